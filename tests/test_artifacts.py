"""Artifacts: atomic, never overwritten by accident, hash-checked, refused when damaged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mewo_core.artifacts import (
    FORMAT_VERSION,
    check_name,
    list_artifacts,
    load_model,
    resolve_in_root,
    save_model,
)
from mewo_core.compare.evaluation import evaluate_model
from mewo_core.data import load_folder
from mewo_core.errors import ArtifactError, DataError
from mewo_core.models.baselines import GlobalThreshold, PerTagThreshold


@pytest.fixture
def fitted(tiny_folder: Path):
    bundle = load_folder(tiny_folder)
    return bundle, PerTagThreshold().fit(bundle.train)


def test_save_load_identical_decisions(tmp_path: Path, fitted) -> None:
    bundle, model = fitted
    path = save_model(model, tmp_path / "m1", metrics={"test": {"weighted": 0.5}})
    loaded = load_model(path)
    assert np.array_equal(loaded.predict(bundle.test), model.predict(bundle.test))
    assert loaded.tag_names_ == model.tag_names_
    assert loaded.taxonomy_ == model.taxonomy_
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["metrics"]["test"]["weighted"] == 0.5
    assert set(manifest["files"]) == {"arrays.npz"}


def test_never_overwrites_without_force(tmp_path: Path, fitted) -> None:
    bundle, model = fitted
    path = save_model(model, tmp_path / "m")
    before = (path / "arrays.npz").read_bytes()
    other = GlobalThreshold(0.3).fit(bundle.train)
    with pytest.raises(ArtifactError, match="already exists"):
        save_model(other, path)
    assert (path / "arrays.npz").read_bytes() == before
    save_model(other, path, force=True)
    assert load_model(path).model_type == "global-threshold"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_failed_save_leaves_nothing(tmp_path: Path, fitted, monkeypatch) -> None:
    _, model = fitted

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("mewo_core.artifacts.store.np.savez", boom)
    with pytest.raises(OSError):
        save_model(model, tmp_path / "arts" / "m")
    assert list((tmp_path / "arts").iterdir()) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "arrays.npz").write_bytes((p / "arrays.npz").read_bytes()[:50]), "hash"),
        (lambda p: (p / "arrays.npz").unlink(), "missing"),
        (lambda p: _edit(p, format_version=99), "format version 99"),
        (lambda p: _edit(p, format="something-else"), "not a Mewo Tag Lab model"),
        (lambda p: _edit(p, model_type="mystery"), "unknown model type"),
        (lambda p: _edit(p, files={"arrays.npz": "0" * 64}), "does not match its hash"),
        (lambda p: _edit(p, files={"arrays.npz": "x", "../evil": "y"}), "unexpected weight file"),
        (lambda p: (p / "manifest.json").write_text("{not json"), "not valid JSON"),
        (lambda p: (p / "manifest.json").unlink(), "no manifest.json"),
    ],
    ids=[
        "truncated",
        "missing-weights",
        "future-version",
        "foreign",
        "unknown-type",
        "hash-mismatch",
        "extra-file",
        "bad-json",
        "no-manifest",
    ],
)
def test_damaged_artifacts_refused(tmp_path: Path, fitted, damage, message: str) -> None:
    _, model = fitted
    path = save_model(model, tmp_path / "m")
    damage(path)
    with pytest.raises(ArtifactError, match=message):
        load_model(path)
    listed = {i.name: i for i in list_artifacts(tmp_path)}
    if message not in ("hash", "missing", "does not match its hash"):
        assert listed["m"].error is not None


def _edit(path: Path, **changes) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest.update(changes)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_weights_for_other_tags_refused(tmp_path: Path, fitted) -> None:
    bundle, model = fitted
    path = save_model(model, tmp_path / "m")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["columns"]["tag_names"] = manifest["columns"]["tag_names"][:2]
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="thresholds for 2 tags"):
        load_model(path)


def test_model_on_data_with_other_columns(fitted) -> None:
    bundle, model = fitted
    other = bundle.test.subset(np.arange(5))
    from dataclasses import replace

    renamed = replace(other, feature_names=("a",) + other.feature_names[1:])
    with pytest.raises(DataError, match="missing feature columns: genres-rock"):
        model.predict(renamed)
    fewer_tags = replace(other, tag_names=other.tag_names[:-1], Y=other.Y[:, :-1])
    with pytest.raises(DataError, match="missing tags: moods-happy"):
        evaluate_model(model, fewer_tags)


@pytest.mark.parametrize("name", ["..", "../x", "/abs", "a/b", ".hidden", "", "a" * 200, "x\n"])
def test_bad_names_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ArtifactError, match="invalid artifact name"):
        check_name(name)
    with pytest.raises(ArtifactError):
        resolve_in_root(tmp_path, name)


def test_symlink_out_of_root_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ArtifactError, match="outside"):
        resolve_in_root(root, "link")
    assert resolve_in_root(root, "ok-name") == (root / "ok-name").resolve()


def test_symlinked_artifact_outside_root_not_listed(tmp_path: Path, fitted) -> None:
    _, model = fitted
    elsewhere = save_model(model, tmp_path / "elsewhere" / "m")
    root = tmp_path / "root"
    save_model(model, root / "inside")
    (root / "link").symlink_to(elsewhere)
    assert [i.name for i in list_artifacts(root)] == ["inside"]
