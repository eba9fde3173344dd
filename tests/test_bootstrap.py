"""Group-bootstrap intervals (mewo_core.scoring.bootstrap) and their use in comparisons."""

from __future__ import annotations

import numpy as np
import pytest

from mewo_core.scoring import bootstrap as bs
from mewo_core.scoring.counts import count_decisions
from mewo_core.scoring.metrics import AVERAGES, f1_averages, tag_f1


def _data(n: int = 1200, t: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.random((n, t)) < np.linspace(0.02, 0.3, t)
    a = y ^ (rng.random((n, t)) < 0.08)
    b = y ^ (rng.random((n, t)) < 0.10)
    groups = rng.integers(0, 60, n)
    return y, a, b, groups


def test_replicate_metrics_are_the_metrics_of_the_weighted_tracks(monkeypatch) -> None:
    """With every group drawn once, a replicate's figures are the ordinary ones, exactly."""
    y, a, b, groups = _data()
    monkeypatch.setattr(bs, "_weights", lambda rng, g, r: np.ones((r, g), dtype=np.float32))
    rep = bs.bootstrap(bs.group_counts(y, [a, b], groups), replicates=3)
    for side, d in enumerate((a, b)):
        want = f1_averages(count_decisions(y, d))
        got = rep.averages(side)
        for k in AVERAGES:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-6)
        c = count_decisions(y, d)
        np.testing.assert_allclose(rep.tag_f1(side)[0], tag_f1(c.tp, c.fp, c.fn), rtol=1e-6)


def test_interval_contains_the_point_estimate_and_is_deterministic() -> None:
    y, a, b, groups = _data()
    counts = bs.group_counts(y, [a, b], groups)
    rep = bs.bootstrap(counts, replicates=400, seed=5)
    again = bs.bootstrap(counts, replicates=400, seed=5)
    other = bs.bootstrap(counts, replicates=400, seed=6)
    point = {s: f1_averages(count_decisions(y, d)) for s, d in enumerate((a, b))}
    for k in AVERAGES:
        for side in (0, 1):
            low, high = bs.percentile_interval(rep.averages(side)[k], 0.95)
            assert low < point[side][k] < high, (k, side, low, point[side][k], high)
        delta = rep.averages(0)[k] - rep.averages(1)[k]
        low, high = bs.percentile_interval(delta, 0.95)
        assert low <= point[0][k] - point[1][k] <= high
        np.testing.assert_array_equal(delta, again.averages(0)[k] - again.averages(1)[k])
        assert not np.array_equal(rep.averages(0)[k], other.averages(0)[k])


def test_identical_decisions_give_a_zero_delta_interval() -> None:
    y, a, _, groups = _data()
    rep = bs.bootstrap(bs.group_counts(y, [a, a.copy()], groups), replicates=200)
    for k in AVERAGES:
        low, high = bs.percentile_interval(rep.averages(0)[k] - rep.averages(1)[k], 0.95)
        assert low == high == 0.0
    per_tag = rep.tag_f1(0) - rep.tag_f1(1)
    assert not per_tag.any()
    assert not bs.excludes_zero(*bs.percentile_interval(per_tag, 0.95)).any()


def test_whole_groups_are_resampled() -> None:
    """10 albums of 100 tracks, each album entirely right or entirely wrong: resampling tracks
    would make the figure look precise; resampling albums shows how little 10 albums say."""
    n_groups, size = 10, 100
    groups = np.repeat(np.arange(n_groups), size)
    y = np.ones((n_groups * size, 1), dtype=bool)
    right = np.repeat(np.arange(n_groups) % 2 == 0, size)[:, None]
    grouped = bs.bootstrap(bs.group_counts(y, [right], groups), replicates=500)
    by_track = bs.bootstrap(bs.group_counts(y, [right], None), replicates=500)
    assert grouped.n_groups == n_groups and by_track.n_groups == n_groups * size
    # every replicate holds whole albums: track counts are multiples of the album size
    assert np.all(grouped.rows % size == 0) and np.all(grouped.rows == n_groups * size)
    assert np.all(grouped.true % size == 0)
    width = {}
    for name, rep in (("grouped", grouped), ("track", by_track)):
        low, high = bs.percentile_interval(rep.averages(0)["micro"], 0.95)
        width[name] = high - low
    assert width["grouped"] > 4 * width["track"]


def test_many_tracks_without_groups_are_resampled_in_random_blocks() -> None:
    """Blocks of independent tracks give the track bootstrap's interval (within noise)."""
    y, a, b, _ = _data(n=3 * bs.TRACK_BLOCKS, t=6, seed=3)
    blocks = bs.group_counts(y, [a, b], None, seed=1)
    assert blocks.n_groups == bs.TRACK_BLOCKS and blocks.rows.sum() == y.shape[0]
    tracks = bs.group_counts(y, [a, b], np.arange(y.shape[0]))
    width = {}
    for name, counts in (("blocks", blocks), ("tracks", tracks)):
        rep = bs.bootstrap(counts, replicates=600)
        low, high = bs.percentile_interval(rep.averages(0)["micro"] - rep.averages(1)["micro"],
                                           0.95)  # fmt: skip
        width[name] = high - low
    assert 0.8 < width["blocks"] / width["tracks"] < 1.25


def test_grouped_f1_matches_the_per_group_counts() -> None:
    y, a, b, groups = _data()
    rep = bs.bootstrap(bs.group_counts(y, [a, b], groups), replicates=50)
    codes = np.array([0, 0, 1, 1, 1, -1, 2, 2, 2, 2, 0, 1])
    got = rep.grouped_f1(0, codes, 3)["f1"]
    keep = codes == 1
    tp, pred = rep.tp[0][:, keep].sum(1), rep.pred[0][:, keep].sum(1)
    true = rep.true[:, keep].sum(1)
    np.testing.assert_allclose(got[:, 1], 2 * tp / (pred + true))


def test_bad_arguments_are_refused() -> None:
    y, a, _, groups = _data(n=50)
    with pytest.raises(ValueError, match="group labels"):
        bs.group_counts(y, [a], groups[:10])
    with pytest.raises(ValueError, match="shape"):
        bs.group_counts(y, [a[:, :3]])
    with pytest.raises(ValueError, match="replicates"):
        bs.bootstrap(bs.group_counts(y, [a]), replicates=0)


# --- comparisons (evaluation.Comparison, Session.comparison) ------------------------------------


@pytest.fixture
def bundle(tmp_path):
    from conftest import write_tiny_folder

    from mewo_core.data import load_folder

    return load_folder(write_tiny_folder(tmp_path / "d", n=240, with_test=False))


def test_session_comparison_says_what_each_side_was_tuned_on(bundle) -> None:
    from mewo_core.session import Session

    session = Session(bundle, "tiny")
    on_val = session.comparison("validation", replicates=200)
    assert on_val.baseline_side.in_sample and "this split included" in on_val.baseline_side.tuned_on
    fair = session.comparison("validation", baseline_part="fit", replicates=200)
    assert not fair.baseline_side.in_sample and "fit part" in fair.baseline_side.tuned_on
    from mewo_core.models import create_model

    fit = session.splits.fit
    assert fit.n_tracks + session.splits.validation.n_tracks == session.splits.train.n_tracks
    np.testing.assert_array_equal(session.baseline_on("fit").thresholds_,
                                  create_model("baseline").fit(fit).thresholds_)  # fmt: skip
    assert not session.comparison("test").baseline_side.in_sample
    # decisions and scores of any part can be exported
    for part in ("fit", "train"):
        assert session.decisions("model", part).shape == (getattr(session.splits, part).n_tracks,
                                                          bundle.train.n_tags)  # fmt: skip
    text = " ".join(on_val.captions())
    assert "in-sample" in text and "validation split" in text and "artist_id" in text
    info = on_val.bootstrap_info()
    assert info["group_column"] == "artist_id" and info["replicates"] == 200
    # the baseline against itself: every delta exactly 0, never "clear"
    same = on_val.overall
    assert (same["delta_low"] == 0).all() and (same["delta_high"] == 0).all()
    assert not same["clear"].any() and not on_val.per_tag["clear"].any()
    assert {"delta_low", "delta_high", "clear"} <= set(on_val.per_category.columns)
    # in-sample vs out-of-sample baseline: intervals around the point deltas
    for frame in (fair.overall,):
        assert (frame["delta_low"] <= frame["delta"]).all()
        assert (frame["delta"] <= frame["delta_high"]).all()


def test_two_models_split_differently_are_refused(bundle, tmp_path) -> None:
    from mewo_core.artifacts import read_manifest
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import SplitSpec
    from mewo_core.errors import DataError
    from mewo_core.session import Session

    sessions = []
    for seed in (0, 1):
        path = tmp_path / f"m{seed}"
        train_and_save(bundle, "global-threshold", {}, path, spec=SplitSpec(seed=seed))
        sessions.append(Session(bundle, "tiny", model_path=path, manifest=read_manifest(path),
                                model_name=f"m{seed}"))  # fmt: skip
    with pytest.raises(DataError, match="split differently"):
        sessions[0].comparison("test", other=sessions[1])
    same = sessions[0].comparison("test", other=sessions[0], replicates=100)
    assert same.model_side.tuned_on.startswith("nothing")
    assert not same.overall["clear"].any()


def test_won_lost_hides_tags_with_too_few_positives() -> None:
    import pandas as pd

    from mewo_core.compare.evaluation import won_lost

    per_tag = pd.DataFrame({"tag": list("abcde"), "support": [5, 50, 19, 20, 300],
                            "delta_f1": [0.3, 0.1, -0.4, -0.05, 0.0]})  # fmt: skip
    won, lost = won_lost(per_tag, top=10, min_support=20)
    assert list(won["tag"]) == ["b"] and list(lost["tag"]) == ["d"]  # a, c too rare; e a tie
    won, lost = won_lost(per_tag, top=10, min_support=0)
    assert list(won["tag"]) == ["a", "b"] and list(lost["tag"]) == ["c", "d"]


# --- the evaluate command ----------------------------------------------------------------


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    from mewo_core.cli import main

    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_evaluate_reports_intervals_and_filters_rare_tags(tmp_path, capsys) -> None:
    import json

    from conftest import write_tiny_folder

    data = write_tiny_folder(tmp_path / "d", n=240)
    art = tmp_path / "m"
    assert _cli(capsys, "train", "--data", str(data), "--model", "global-threshold",
                "--out", str(art), "--quiet")[0] == 0  # fmt: skip
    status, out, _ = _cli(capsys, "evaluate", "--model", str(art), "--json", "--bootstrap", "300",
                          "--min-support", "0")  # fmt: skip
    assert status == 0
    report = json.loads(out)
    assert report["bootstrap"]["replicates"] == 300 and report["bootstrap"]["level"] == 0.95
    assert report["bootstrap"]["group_column"] == "artist_id"
    assert report["sides"]["baseline"]["in_sample"] is False  # scored on test
    for row in report["overall"]:
        assert row["delta_low"] <= row["delta"] <= row["delta_high"]
        assert row["model_low"] <= row["model"] <= row["model_high"]
    supports = {r["tag"]: r["support"] for r in report["per_tag"]}
    rare = min(supports.values()) + 1
    status, out, _ = _cli(capsys, "evaluate", "--model", str(art), "--json", "--bootstrap", "0",
                          "--min-support", str(rare))  # fmt: skip
    filtered = json.loads(out)
    assert filtered["bootstrap"] is None and "delta_low" not in filtered["overall"][0]
    assert all(supports[t] >= rare for t in filtered["won"] + filtered["lost"])
    status, text, _ = _cli(capsys, "evaluate", "--model", str(art), "--bootstrap", "200")
    assert status == 0 and "tuned on nothing" in text and "200 replicates" in text
    assert "▲" in text or "▼" in text or "≈" in text
    status, text, _ = _cli(capsys, "evaluate", "--data", str(data), "--bootstrap", "200")
    assert status == 0 and "Intervals: 95% group bootstrap (percentile), 200 replicates" in text
    status, _, err = _cli(capsys, "evaluate", "--data", str(data), "--level", "1.5")
    assert status == 2 and "--level" in err


@pytest.mark.parametrize("big", [False, True])
def test_group_sums_are_exact_whatever_the_group_size(big: bool) -> None:
    """Per-group sums equal a plain count, in int16 (small groups) as in int32 (a group of
    more rows than int16 counts)."""
    n = 40_000 if big else 1200
    rng = np.random.default_rng(3)
    y = rng.random((n, 3)) < 0.9
    a = y | (rng.random((n, 3)) < 0.5)
    groups = np.where(np.arange(n) < n - 50, 0, rng.integers(1, 5, n)) if big else \
        rng.integers(0, 60, n)  # fmt: skip
    counts = bs.group_counts(y, [a], groups)
    labels = np.unique(groups)
    for g, label in enumerate(labels):
        rows = groups == label
        np.testing.assert_array_equal(counts.true[g], y[rows].sum(axis=0))
        np.testing.assert_array_equal(counts.tp[0, g], (y & a)[rows].sum(axis=0))
        np.testing.assert_array_equal(counts.pred[0, g], a[rows].sum(axis=0))
    assert counts.true.dtype == np.int32
    assert (counts.true.max() > np.iinfo(np.int16).max) == big


def test_counts_at_a_joint_partition_merge_into_each_coarser_one() -> None:
    """Counted once at the joint units of three partitions, merged: each partition's own counts
    (integers exactly, the tracks' F1 sums to rounding)."""
    y, a, b, groups = _data()
    rng = np.random.default_rng(5)
    bands, blocks = rng.integers(0, 4, y.shape[0]), rng.integers(0, 7, y.shape[0])
    fine, maps = bs.joint_units(bands, groups, blocks)
    assert len(maps) == 3 and fine.max() + 1 == maps[0].size
    once = bs.group_counts(y, [a, b], units=fine)
    for codes, to_cut in zip((bands, groups, blocks), maps, strict=True):
        assert np.array_equal(to_cut[fine], codes)  # a unit lies in one code of each partition
        got, want = once.merged(to_cut), bs.group_counts(y, [a, b], units=codes)
        for field in ("true", "tp", "pred", "rows"):
            assert np.array_equal(getattr(got, field), getattr(want, field)), field
            assert getattr(got, field).dtype == getattr(want, field).dtype, field
        np.testing.assert_allclose(got.row_f1, want.row_f1, rtol=1e-12)
    with pytest.raises(ValueError, match="codes for"):
        once.merged(maps[0][:-1])
