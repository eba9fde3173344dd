"""The cross-fitted keep test (``keep_test="crossfit"``, issue 20): out-of-fold networks over every
training artist decide which tags keep the network's correction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import load_model, save_model
from mewo_core.data import Dataset, Taxonomy
from mewo_core.models.reservoir_transformer import ReservoirTransformer
from mewo_core.models.reservoir_transformer.crossfit import choose_cross_fitted

SMALL = {"d_model": 16, "n_heads": 2, "epochs": 8, "batch_size": 128, "threads": 1,
         "threshold_method": "benchmark", "context": "none", "keep_test": "crossfit",
         "keep_folds": 3}  # fmt: skip


def _catalogue(planted: bool, seed: int = 0, n_artists: int = 300) -> Dataset:
    """``n_artists`` artists of 8 tracks, 4 tags. Tags 0, 2 and 3 are scored well by the tagger;
    tag 1's own score is weak. ``planted``: tag 1 is (almost always) tag 0, so tag 0's score tells
    tag 1 (a cross-tag relation the network can learn); else tag 1 is independent."""
    rng = np.random.default_rng(seed)
    n = 8 * n_artists
    Y = (rng.random((n, 4)) < 0.2).astype(np.uint8)
    if planted:
        copy = rng.random(n) < 0.95
        Y[copy, 1] = Y[copy, 0]
    logits = 2.5 * Y + rng.normal(0, 1, Y.shape) - 1.5
    logits[:, 1] = 0.3 * Y[:, 1] + rng.normal(0, 1, n) - 1.5  # tag 1's own score: weak
    X = (1 / (1 + np.exp(-logits))).astype(np.float32)
    tags = ("moods-a", "moods-b", "moods-c", "moods-d")
    taxonomy = Taxonomy.from_frame(
        pd.DataFrame({"column": tags, "class": "moods", "category": "moods-all"}), tags
    )
    groups = pd.DataFrame({"album_id": np.arange(n) // 4, "artist_id": np.arange(n) // 8})
    return Dataset(X, Y, np.arange(n), tags, tags, taxonomy, groups, name="relation")


def test_choice_keeps_a_correction_that_knows_the_labels_and_drops_noise() -> None:
    rng = np.random.default_rng(0)
    n, t = 2000, 4
    labels = rng.random((n, t)) < 0.2
    raw = 0.5 * labels + rng.random((n, t))
    own = np.log(raw)
    groups = np.arange(n) // 8
    folds = groups % 4
    args = (labels, groups, folds, 4, (0.25, 0.5, 1.0), 0.01, 10)
    noise = choose_cross_fitted(raw, own, rng.normal(0, 3, (n, t)), *args)
    assert np.all(noise.weights == 0)
    assert np.all(noise.gain_low <= noise.gain) and np.all(noise.gain <= noise.gain_high)
    helpful = choose_cross_fitted(raw, own, 3.0 * (labels - 0.5), *args)
    assert np.all(helpful.weights > 0) and np.all(helpful.gain_low > 0)


@pytest.mark.slow
def test_planted_relation_is_kept_at_300_artists(tmp_path: Path) -> None:
    model = ReservoirTransformer(**SMALL).fit(_catalogue(planted=True))
    assert "moods-b" in model.kept_tags, model.keep_report()
    report = model.keep_report()
    assert report["moods-b"]["low"] > 0 and report["moods-b"]["weight"] > 0
    json.dumps(report)  # plain floats, for evaluate --json
    again = load_model(save_model(model, tmp_path / "m"))
    assert again.keep_report() == report


@pytest.mark.slow
def test_no_relation_keeps_nothing_at_300_artists() -> None:
    model = ReservoirTransformer(**SMALL).fit(_catalogue(planted=False))
    assert model.kept_tags == (), model.keep_report()


def test_evaluate_json_shows_the_keep_test(tmp_path: Path, capsys) -> None:
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.cli import main
    from mewo_core.data import load_folder
    from tests.conftest import write_tiny_folder

    folder = write_tiny_folder(tmp_path / "data", n=240)
    small = {**SMALL, "epochs": 1, "d_model": 8}
    out = tmp_path / "crossfit"
    train_and_save(load_folder(folder), "reservoir-transformer", small, out)
    assert main(["evaluate", "--model", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["keep_test"]
    assert set(report) == set(load_model(out).tag_names_)
    for row in report.values():
        assert row["low"] <= row["cv_gain"] <= row["high"] and row["weight"] >= 0
    halves = tmp_path / "halves"
    train_and_save(load_folder(folder), "reservoir-transformer",
                   {**small, "keep_test": "halves"}, halves)  # fmt: skip
    assert main(["evaluate", "--model", str(halves), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["keep_test"] is None
