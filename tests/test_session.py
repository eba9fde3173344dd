"""One owner for splits (SplitSpec) and for what the app works on (Session)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import write_tiny_folder

from mewo_core.artifacts import read_manifest, save_threshold_set
from mewo_core.artifacts.training import train_and_save
from mewo_core.compare.evaluation import evaluate_model
from mewo_core.data import (
    SplitSpec,
    fold_of_groups,
    group_halves,
    group_labels,
    ids_digest,
    load_folder,
)
from mewo_core.errors import DataError
from mewo_core.session import Session


@pytest.fixture
def holdout_bundle(tmp_path):
    """A folder without test files: test is a grouped holdout of train (by artist)."""
    return load_folder(write_tiny_folder(tmp_path / "d", n=180, with_test=False))


def test_every_split_keeps_whole_groups(holdout_bundle) -> None:
    parts = SplitSpec(seed=3).split(holdout_bundle)
    artist = {p: set(group_labels(getattr(parts, p), "artist_id")) for p in
              ("fit", "validation", "test")}  # fmt: skip
    assert not artist["fit"] & artist["validation"]
    assert not (artist["fit"] | artist["validation"]) & artist["test"]
    assert parts.train.n_tracks == parts.fit.n_tracks + parts.validation.n_tracks
    labels = group_labels(holdout_bundle.train, "artist_id")
    folds = fold_of_groups(labels, 4, seed=1)
    halves = group_halves(labels, seed=1)
    for g in np.unique(labels):
        assert np.unique(folds[labels == g]).size == 1
        assert np.unique(halves[labels == g]).size == 1
    assert sorted(np.unique(folds)) == [0, 1, 2, 3]


def test_each_purpose_draws_its_own_order(holdout_bundle) -> None:
    parts = SplitSpec(seed=0).split(holdout_bundle)
    again = SplitSpec(seed=0).split(holdout_bundle)
    other = SplitSpec(seed=1).split(holdout_bundle)
    assert ids_digest(parts.validation) == ids_digest(again.validation)
    assert ids_digest(parts.validation) != ids_digest(other.validation)
    # validation is drawn from another stream than the holdout: not the same groups again
    assert ids_digest(parts.validation) != ids_digest(parts.test)


def test_a_models_splits_are_rederived_exactly_from_its_manifest(holdout_bundle, tmp_path) -> None:
    result = train_and_save(
        holdout_bundle, "global-threshold", {}, tmp_path / "m", spec=SplitSpec(seed=7)
    )
    manifest = read_manifest(result.path)
    assert manifest["split_spec"] == {
        "holdout": 0.2, "validation": 0.2, "seed": 7, "group_column": "artist_id",
        "method": "grouped-permutation-v1",
    }  # fmt: skip
    session = Session(holdout_bundle, "tiny", model_path=result.path, manifest=manifest,
                      model_name="m")  # fmt: skip
    assert session.spec == SplitSpec(seed=7, group_column="artist_id")
    assert ids_digest(session.data("test")) == manifest["split_ids"]["test"]
    assert ids_digest(session.data("validation")) == manifest["split_ids"]["validation"]
    got = evaluate_model(session.model, session.data("test")).overall
    assert got == pytest.approx(manifest["metrics"]["test"], abs=1e-12)


def test_a_split_that_does_not_rederive_is_refused(holdout_bundle, tmp_path) -> None:
    result = train_and_save(holdout_bundle, "global-threshold", {}, tmp_path / "m")
    manifest = read_manifest(result.path)
    manifest["split_ids"]["validation"] = "0" * 16
    session = Session(holdout_bundle, "tiny", model_path=result.path, manifest=manifest,
                      model_name="m")  # fmt: skip
    with pytest.raises(DataError, match="re-derived"):
        session.data("validation")


def test_malformed_split_spec_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="split spec"):
        SplitSpec.from_manifest({"split_spec": {"seed": "x"}})
    with pytest.raises(DataError, match="not known"):
        SplitSpec(method="other-v9").split(None)  # type: ignore[arg-type]
    assert SplitSpec.from_manifest({"seed": 4}) == SplitSpec(seed=4)  # older manifests


def test_a_threshold_set_keeps_its_parents_splits(holdout_bundle, tmp_path) -> None:
    result = train_and_save(
        holdout_bundle, "baseline", {}, tmp_path / "parent", spec=SplitSpec(seed=2)
    )
    parent = read_manifest(result.path)
    path = save_threshold_set(result.model, result.model.thresholds_ + 0.01, tmp_path, "child",
                              parent="parent", parent_manifest=parent)  # fmt: skip
    child = json.loads((path / "manifest.json").read_text())
    assert child["split_spec"] == parent["split_spec"]
    assert child["split_ids"] == parent["split_ids"]


def test_session_computes_each_value_once_and_compares(holdout_bundle) -> None:
    session = Session(holdout_bundle, "tiny")
    assert session.is_baseline and session.model is session.baseline
    scores = session.scores("model", "test")
    assert session.scores("model", "test") is scores
    decided = session.decisions("model", "test")
    assert session.decisions("model", "test") is decided  # one shared array...
    assert session.baseline_decisions("test") is decided  # (no model: the baseline's own)
    assert not decided.flags.writeable  # ...that no caller can change
    assert np.array_equal(decided, scores >= session.thresholds("model"))
    on_fit = session.baseline_decisions("test", "fit")
    assert session.baseline_decisions("test", "fit") is on_fit and not on_fit.flags.writeable
    assert np.array_equal(on_fit, scores >= session.baseline_on("fit").thresholds_)
    cmp = session.comparison("test")
    assert cmp.model.overall == cmp.baseline.overall  # the baseline against itself
    explorer = session.explorer("baseline", "validation")
    result = explorer.evaluate(session.thresholds("baseline"))
    direct = evaluate_model(session.baseline, session.data("validation")).overall
    for average in ("micro", "macro", "weighted", "samples"):
        assert result.overall[average] == pytest.approx(direct[average], abs=1e-12)
    assert session.tuning_data("baseline").n_tracks == session.splits.train.n_tracks
    with pytest.raises(ValueError):
        session.data("train")


def test_session_owns_what_the_threshold_and_correlation_pages_show(holdout_bundle) -> None:
    from mewo_core.data import correlations

    session = Session(holdout_bundle, "tiny")
    effect = session.robust_effect("baseline", "shrinkage", "weighted")
    # the benchmark column is the baseline's own thresholds: both tune on all of train
    np.testing.assert_allclose(effect["benchmark"], session.thresholds("baseline"))
    assert session.robust_effect("baseline", "shrinkage", "weighted") is effect
    tuned = session.tuned_result("baseline", "test", "tuned", session.thresholds("baseline"))
    direct = evaluate_model(session.baseline, session.data("test")).overall
    assert tuned.overall["weighted"] == pytest.approx(direct["weighted"], abs=1e-12)
    # correlations are of the train part (the held-out test is not in them), as Compare's
    train = session.splits.train
    assert train.n_tracks < holdout_bundle.train.n_tracks
    lift = session.correlations("lift").at_least(2)
    expected = correlations.lift(train.require_labels(), train.tag_names, train.tag_classes,
                                 train.tag_categories, min_pair=2)  # fmt: skip
    np.testing.assert_array_equal(lift.values, expected.values)
    with pytest.raises(ValueError):
        session.correlations("other")


def test_the_cli_and_the_app_rank_the_same_pairs(holdout_bundle, tmp_path, capsys) -> None:
    """One owner for the correlation views: ``correlations --json`` lists the pairs the
    Correlations page ranks at its default minimum co-occurrence, on the same rows."""
    import json

    from mewo_core.cli import main
    from mewo_core.data import correlations

    folder = tmp_path / "d"
    write_tiny_folder(folder, n=180, with_test=False)
    session = Session.open(load_folder(folder), str(folder))
    for view in correlations.VIEWS:
        assert main(["correlations", "--data", str(folder), "--view", view, "--json"]) == 0
        cli = json.loads(capsys.readouterr().out)
        matrix = session.correlations(view).at_least(correlations.DEFAULT_MIN_PAIR[view])
        app = correlations.strongest_pairs(matrix, top=20, by_abs=view != "lift")
        assert [(r["tag_a"], r["tag_b"]) for r in cli] == list(zip(app["tag_a"], app["tag_b"],
                                                                    strict=True))


def test_a_model_split_by_artists_opens_on_data_without_groups(tmp_path) -> None:
    """A model trained with artist-grouped splits, opened on an upload of scores without
    groups.csv (other data: the splits cannot be its own), splits that data by track."""
    import pandas as pd

    from mewo_core.data import DataBundle

    with_groups = load_folder(write_tiny_folder(tmp_path / "d", n=180, with_test=False))
    result = train_and_save(with_groups, "baseline", {}, tmp_path / "m", spec=SplitSpec(seed=1))
    assert read_manifest(result.path)["split_spec"]["group_column"] == "artist_id"
    bare = DataBundle(train=dataclasses_replace(with_groups.train, groups=None), test=None)
    session = Session.open(bare, "bare", result.path)
    assert session.spec.group_column is None
    parts = session.splits
    assert parts.train.n_tracks + parts.test.n_tracks == bare.train.n_tracks
    side = session.side("model", "test")  # said, not hidden: these are not its splits
    assert side.in_sample and "other splits than its own" in side.tuned_on
    assert pd.Index(parts.test.ids).is_unique


def dataclasses_replace(obj, **changes):  # noqa: ANN001, ANN201
    import dataclasses

    return dataclasses.replace(obj, **changes)
