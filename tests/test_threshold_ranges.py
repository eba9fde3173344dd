"""The Thresholds page's core: incremental counts, offset and tag slider ranges."""

from __future__ import annotations

import numpy as np
import pytest

from mewo_core.scoring.counts import counts_at
from mewo_core.scoring.explorer import ThresholdExplorer, offset_range, tag_range


def _explorer(seed: int = 0, n: int = 400, k: int = 12) -> tuple[ThresholdExplorer, np.ndarray,
                                                                   np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random((n, k)) < 0.2
    scores = (0.4 * labels + 0.6 * rng.random((n, k))).astype(np.float32)
    scores[rng.random((n, k)) < 0.02] = -np.inf
    names = [f"t{i}" for i in range(k)]
    classes = ["a"] * (k // 2) + ["b"] * (k - k // 2)
    ex = ThresholdExplorer(scores, labels, names, classes, [f"c{i % 3}" for i in range(k)])
    return ex, scores, labels


def test_incremental_counts_equal_a_full_count_after_any_sequence_of_moves() -> None:
    ex, scores, labels = _explorer()
    rng = np.random.default_rng(1)
    thr = rng.random(ex.n_tags)
    for step in range(60):
        moved = rng.random(ex.n_tags) < (0.05 if step % 3 else 0.6)  # few tags, or most
        thr = np.where(moved, rng.random(ex.n_tags), thr)
        if step % 7 == 0:
            thr[rng.integers(ex.n_tags)] = np.inf  # a tag never predicted
        rows = step % 5 != 0  # calls without per-track counts in between
        got = ex.counts(thr, rows=rows)
        want = counts_at(scores, labels, thr)
        assert np.array_equal(got.tp, want.tp) and np.array_equal(got.pred, want.pred)
        if rows:
            assert np.array_equal(got.row_tp, want.row_tp)
            assert np.array_equal(got.row_pred, want.row_pred)


def test_returned_per_track_counts_cannot_corrupt_the_next_call() -> None:
    ex, scores, labels = _explorer(2)
    thr = np.full(ex.n_tags, 0.5)
    first = ex.counts(thr, rows=True)
    first.row_tp[:] = -1
    thr[0] = 0.7
    assert np.array_equal(ex.counts(thr, rows=True).row_tp, counts_at(scores, labels, thr).row_tp)


def test_offset_range_spans_the_offsets_that_change_a_decision() -> None:
    tuned = np.array([0.2, 0.5, 0.7, np.inf])
    ranges = np.array([[0.0, 1.0], [0.1, 0.9], [0.05, 0.95], [0.0, 1.0]])
    r = offset_range(tuned, ranges)
    # lowest: the highest threshold (0.7) down to the lowest score (0.0); highest: 0.2 up to 1.0
    assert r.lo == pytest.approx(-0.7) and r.hi == pytest.approx(0.8)
    assert r.lo <= 0 <= r.hi and abs(round(r.lo / r.step) * r.step - r.lo) < 1e-12
    assert abs(round(r.hi / r.step) * r.step - r.hi) < 1e-12
    one = offset_range(tuned, ranges, np.array([False, True, False, False]))
    assert one.lo == pytest.approx(-0.4) and one.hi == pytest.approx(0.4)  # 0.1 - 0.5, 0.9 - 0.5
    assert one.step < r.step
    assert offset_range(tuned, ranges, np.array([False, False, False, True])) == offset_range(
        np.array([np.inf]), ranges[3:])  # only a never-predicted tag: a default range


def test_tag_range_holds_the_value_shown() -> None:
    r = tag_range((0.1, 0.6), 0.8)
    assert (r.lo, r.hi) == (0.1, 0.8) and r.step == pytest.approx(0.7 / 500)
    wide = tag_range((0.1, 0.6), np.inf)
    assert (wide.lo, wide.hi) == (0.1, 0.6)
