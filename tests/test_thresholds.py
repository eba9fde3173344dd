"""Thresholds against brute force (every distinct score tried) and scikit-learn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import nullcontext as contextlib_null
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import precision_recall_curve

from mewo_core.scoring import counts
from mewo_core.scoring import thresholds as thr

SCALES = [1.0, 0.1, 3e-5, 1e-30, 1e30, -1.0, -0.25]


@contextmanager
def tiny_buckets() -> Iterator[None]:
    """Few first-level buckets and tiny exact sets: every refinement step runs on small data."""
    with (
        mock.patch.object(thr, "_LEVEL1_BITS", 2),
        mock.patch.object(thr, "_REFINE_BITS", 1),
        mock.patch.object(thr, "_EXACT_SIZE", 1),
        mock.patch.object(thr, "_FLAT_BLOCK", 7),
        mock.patch.object(thr, "_ROW_BLOCK", 3),
        mock.patch.object(thr, "_ROW_SPAN", 5),
        mock.patch.object(thr, "_TAG_CHUNK", 2),
    ):
        yield


@st.composite
def problems(draw, max_rows: int = 30, max_tags: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Scores with many ties (small integers times a scale), float32 or float64, and labels."""
    n = draw(st.integers(1, max_rows))
    t = draw(st.integers(1, max_tags))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    levels = draw(st.integers(1, 8))
    ints = draw(arrays(np.int64, (n, t), elements=st.integers(-levels, levels)))
    signs = draw(arrays(np.int64, (n, t), elements=st.sampled_from([-1, 1])))
    scores = (ints * draw(st.sampled_from(SCALES)) * signs).astype(dtype)  # mixes 0.0 and -0.0
    rate = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    labels = draw(arrays(np.bool_, (n, t), elements=st.booleans()))
    mode = draw(st.sampled_from(["random", "rate"]))
    if mode == "rate":
        labels = np.random.default_rng(n * 31 + t).random((n, t)) < rate
    return scores, labels


def f1_at(s: np.ndarray, y: np.ndarray, t: float) -> Fraction:
    """Exact F1 of the decision ``s >= t`` for one tag."""
    pred = s >= t
    tp, n_pred, n_pos = int((pred & y).sum()), int(pred.sum()), int(y.sum())
    return Fraction(2 * tp, n_pred + n_pos) if n_pred + n_pos else Fraction(0)


def brute_tag(s: np.ndarray, y: np.ndarray) -> tuple[float, Fraction]:
    """Highest threshold among the distinct scores reaching the best F1; +inf if no positive."""
    if not y.any():
        return np.inf, Fraction(0)
    best, best_t = Fraction(-1), np.inf
    for t in np.unique(s):  # ascending: ">=" keeps the highest of equal maxima
        f = f1_at(s, y, t)
        if f >= best:
            best, best_t = f, float(t)
    return best_t, best


def weighted_at(S: np.ndarray, Y: np.ndarray, t: float) -> Fraction:
    support = Y.sum(axis=0)
    if support.sum() == 0:
        return Fraction(0)
    total = sum(int(n) * f1_at(S[:, j], Y[:, j], t) for j, n in enumerate(support))
    return total / int(support.sum())


def brute_shared(S: np.ndarray, Y: np.ndarray, metric: str, candidates=None) -> tuple:
    """Best shared threshold (highest among maxima) for micro / weighted F1."""
    if not Y.any():
        return np.inf, Fraction(0)
    best, best_t = Fraction(-1), np.inf
    for t in np.unique(S if candidates is None else candidates):
        f = f1_at(S.ravel(), Y.ravel(), t) if metric == "micro" else weighted_at(S, Y, t)
        if f >= best:
            best, best_t = f, float(t)
    return best_t, best


# ------------------------------------------------------------------------- per-tag optimum


def check_per_tag(S: np.ndarray, Y: np.ndarray, n_jobs: int = 1) -> None:
    got = thr.f1_optimal_thresholds(S, Y, n_jobs=n_jobs)
    assert got.dtype == np.float64 and got.shape == (S.shape[1],)
    for j in range(S.shape[1]):
        want_t, want_f = brute_tag(S[:, j], Y[:, j])
        assert got[j] == want_t, (j, S[:, j], Y[:, j])
        if np.isfinite(got[j]):
            assert f1_at(S[:, j], Y[:, j], got[j]) == want_f
            assert got[j] in S[:, j]  # an actual score value


@settings(max_examples=150, deadline=None)
@given(problems())
def test_per_tag_matches_brute_force(problem):
    check_per_tag(*problem)


@settings(max_examples=100, deadline=None)
@given(problems(max_rows=40, max_tags=5))
def test_per_tag_matches_brute_force_with_tiny_buckets(problem):
    with tiny_buckets():
        check_per_tag(*problem, n_jobs=2)


def test_ties_are_decided_together_and_highest_threshold_wins():
    s = np.array([[0.9], [0.5], [0.5], [0.5], [0.1]], dtype=np.float32)
    y = np.array([[1], [1], [0], [0], [0]], dtype=bool)
    # 0.9 -> F1 = 2*1 / (1 + 2) = 2/3; 0.5 -> 2*2 / (4 + 2) = 2/3 too: the higher one wins
    assert thr.f1_optimal_thresholds(s, y)[0] == np.float32(0.9)
    y = np.array([[1], [1], [1], [0], [0]], dtype=bool)
    # 0.9 -> 2/4; 0.5 takes the three tied tracks together -> 2*3 / (4 + 3) = 6/7; 0.1 -> 6/8
    assert thr.f1_optimal_thresholds(s, y)[0] == np.float32(0.5)


def test_special_columns():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(50, 4)).astype(np.float32)
    s[:, 2] = 0.25  # constant column
    y = np.zeros((50, 4), dtype=bool)
    y[:, 1] = True  # all positives
    y[::3, 2] = True
    y[::7, 3] = True
    got = thr.f1_optimal_thresholds(s, y)
    assert got[0] == np.inf  # no positive: never predicted
    assert got[1] == s[:, 1].min()  # all positive: predict everything
    assert got[2] == np.float32(0.25)  # constant: predict all (only choice with tp > 0)
    assert np.isfinite(got[3])


def test_negative_zero_is_tied_with_zero():
    s = np.array([[0.0], [-0.0], [-0.0], [1.0], [-1.0]], dtype=np.float32)
    y = np.array([[1], [1], [0], [0], [1]], dtype=bool)
    t = thr.f1_optimal_thresholds(s, y)[0]
    want_t, want_f = brute_tag(s[:, 0], y[:, 0])
    assert t == want_t and f1_at(s[:, 0], y[:, 0], t) == want_f


@pytest.mark.parametrize("tiny", [False, True])
def test_negative_zero_next_to_denormals(tiny):
    # -0.0 and +0.0 must share a bucket, or counting at threshold 0.0 misses the -0.0 tracks
    d = np.float32(1e-45)
    s = np.array([-d] * 2 + [-0.0] * 30 + [0.0] * 3 + [d, d], dtype=np.float32)[:, None]
    y = np.array([0] * 32 + [1] * 4 + [0], dtype=bool)[:, None]
    want_t, _ = brute_tag(s[:, 0], y[:, 0])
    with tiny_buckets() if tiny else mock.patch.object(thr, "_EXACT_SIZE", 2048):
        assert thr.f1_optimal_thresholds(s, y)[0] == want_t == float(d)
        assert thr.global_threshold(s, y) == want_t


def test_float32_thresholds_reproduce_decisions_exactly():
    rng = np.random.default_rng(1)
    y = rng.random((3000, 6)) < 0.2
    s = (rng.normal(size=(3000, 6)) + y).astype(np.float32)
    t = thr.f1_optimal_thresholds(s, y)
    assert np.array_equal(t.astype(np.float32).astype(np.float64), t)  # exact float32 values
    for j in range(6):
        want_t, want_f = brute_tag(s[:, j], y[:, j])
        assert t[j] == want_t
        decided = s[:, j] >= t[j]
        assert np.array_equal(decided, s[:, j] >= np.float32(t[j]))
        assert f1_at(s[:, j], y[:, j], t[j]) == want_f


def test_wide_value_ranges_and_float64():
    rng = np.random.default_rng(2)
    mags = 10.0 ** rng.uniform(-35, 35, size=(400, 3))
    s = mags * rng.choice([-1.0, 1.0], size=mags.shape)
    y = rng.random(s.shape) < 0.3
    check_per_tag(s, y)
    check_per_tag(s.astype(np.float32), y)


@settings(max_examples=100, deadline=None)
@given(problems(max_rows=40, max_tags=5))
def test_columns_read_in_place_match_brute_force(problem):
    """Tags read as columns of a wider Fortran-order matrix (in place), in another order and
    with a column used twice: each tag's brute-force optimum."""
    S, Y = problem
    wide = np.asfortranarray(np.hstack([S[:, ::-1], S[:, :1]]))  # tag j is column k - 1 - j
    k = S.shape[1]
    columns = np.array([k - 1 - j for j in range(k)])
    for tiny in (False, True):
        with tiny_buckets() if tiny else contextlib_null():
            got = thr.f1_optimal_thresholds(wide, Y, columns=columns, n_jobs=2)
            rows_first = np.ascontiguousarray(wide)  # gathered, then the usual path
            again = thr.f1_optimal_thresholds(rows_first, np.hstack([Y, Y[:, :1]]),
                                              columns=np.append(columns, k))  # fmt: skip
        for j in range(k):
            assert got[j] == brute_tag(S[:, j], Y[:, j])[0]
        assert np.array_equal(again, np.append(got, got[0]))


def test_columns_argument_checks():
    s, y = np.asfortranarray(np.zeros((4, 3))), np.zeros((4, 2))
    with pytest.raises(ValueError, match="columns"):
        thr.f1_optimal_thresholds(s, y, columns=np.array([0, 3]))
    with pytest.raises(ValueError, match="labels shape"):
        thr.f1_optimal_thresholds(s, y, columns=np.array([0, 1, 2]))


def test_threads_and_layouts_agree():
    rng = np.random.default_rng(3)
    y = rng.random((5000, 40)) < rng.uniform(0.001, 0.3, 40)
    s = (rng.normal(size=y.shape) + 1.5 * y).astype(np.float32)
    one = thr.f1_optimal_thresholds(s, y, n_jobs=1)
    assert np.array_equal(one, thr.f1_optimal_thresholds(s, y, n_jobs=2))
    assert np.array_equal(one, thr.f1_optimal_thresholds(np.asfortranarray(s), y.astype(np.uint8)))
    with tiny_buckets():
        assert np.array_equal(one, thr.f1_optimal_thresholds(s, y, n_jobs=2))


def test_matches_sklearn_precision_recall_curve_optimum():
    rng = np.random.default_rng(4)
    n, t = 4000, 25
    y = rng.random((n, t)) < np.exp(rng.uniform(np.log(0.002), np.log(0.3), t))
    s = 1 / (1 + np.exp(-(rng.normal(size=(n, t)) + rng.uniform(0.5, 3, t) * y - 2)))
    s = s.astype(np.float32)
    got = thr.f1_optimal_thresholds(s, y)
    for j in range(t):
        if not y[:, j].any():
            assert got[j] == np.inf
            continue
        p, r, _ = precision_recall_curve(y[:, j], s[:, j])
        with np.errstate(invalid="ignore"):
            sk_best = np.nanmax(2 * p * r / (p + r))
        assert float(f1_at(s[:, j], y[:, j], got[j])) == pytest.approx(sk_best, abs=1e-12)


def test_input_checks_and_conversions():
    with pytest.raises(ValueError):
        thr.f1_optimal_thresholds(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError):
        thr.f1_optimal_thresholds(np.zeros((5, 2)), np.zeros((5, 3)))
    ints = np.array([[3, 1], [2, 2], [1, 3]])
    labels = np.array([[1, 0], [0, 1], [0, 1]], dtype=np.uint8)
    assert list(thr.f1_optimal_thresholds(ints, labels)) == [3.0, 2.0]
    half = ints.astype(np.float16)
    assert list(thr.f1_optimal_thresholds(half, labels)) == [3.0, 2.0]
    assert thr.f1_optimal_thresholds(np.zeros((0, 3)), np.zeros((0, 3))).tolist() == [np.inf] * 3


# ------------------------------------------------------------------------ curves and counts


@settings(max_examples=100, deadline=None)
@given(problems(max_tags=1))
def test_f1_curve_is_exact(problem):
    S, Y = problem
    s, y = S[:, 0], Y[:, 0]
    t, precision, recall, f1 = thr.f1_curve(s, y)
    assert np.array_equal(t, np.unique(s)[::-1].astype(np.float64))
    for k, tk in enumerate(t):
        pred = s >= tk
        tp = (pred & y).sum()
        assert precision[k] == pytest.approx(tp / pred.sum(), abs=1e-15)
        assert recall[k] == pytest.approx(tp / y.sum() if y.any() else 0.0, abs=1e-15)
        assert f1[k] == pytest.approx(float(f1_at(s, y, tk)), abs=1e-15)
    if y.any():
        assert f1.max() == pytest.approx(float(brute_tag(s, y)[1]), abs=1e-15)


def test_f1_curve_rejects_2d():
    with pytest.raises(ValueError):
        thr.f1_curve(np.zeros((3, 2)), np.zeros((3, 2)))


@settings(max_examples=100, deadline=None)
@given(problems(), st.data())
def test_tag_counts_at(problem, data):
    S, Y = problem
    t = np.array(
        data.draw(
            st.lists(
                st.floats(allow_nan=False, width=64) | st.sampled_from([np.inf, -np.inf, 0.0]),
                min_size=S.shape[1],
                max_size=S.shape[1],
            )
        )
    )
    with tiny_buckets():
        tp, fp, fn = counts.tag_counts_at(S, Y, t, n_jobs=2)
    pred = S.astype(np.float64) >= t  # the reference compares in float64
    assert np.array_equal(tp, (pred & Y).sum(axis=0))
    assert np.array_equal(fp, (pred & ~Y).sum(axis=0))
    assert np.array_equal(fn, (~pred & Y).sum(axis=0))


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float32, 20, elements=st.floats(width=32, allow_nan=False)),
    arrays(np.float64, 20, elements=st.floats(allow_nan=False)),
)
def test_thresholds_for_dtype_keep_decisions(s, t):
    t32 = thr.thresholds_for_dtype(t, np.float32)
    assert t32.dtype == np.float32
    assert np.array_equal(s[:, None] >= t32[None, :], s.astype(np.float64)[:, None] >= t[None, :])


def test_tag_counts_at_checks_threshold_shape():
    with pytest.raises(ValueError):
        counts.tag_counts_at(np.zeros((4, 3)), np.zeros((4, 3)), np.zeros(2))


# --------------------------------------------------------------- global and per group


@settings(max_examples=100, deadline=None)
@given(problems(max_rows=20), st.sampled_from(["micro", "weighted"]), st.booleans())
def test_global_threshold_matches_brute_force(problem, metric, tiny):
    S, Y = problem
    want_t, want_f = brute_shared(S, Y, metric)
    if tiny:
        with tiny_buckets():
            got = thr.global_threshold(S, Y, metric)
    else:
        got = thr.global_threshold(S, Y, metric)
    if not Y.any():
        assert got == np.inf
        return
    got_f = f1_at(S.ravel(), Y.ravel(), got) if metric == "micro" else weighted_at(S, Y, got)
    if metric == "micro":
        assert got == want_t and got_f == want_f
    else:
        assert float(got_f) == pytest.approx(float(want_f), abs=1e-12)
    assert got in S


@settings(max_examples=60, deadline=None)
@given(problems(max_rows=15), st.sampled_from(["micro", "weighted"]), st.data())
def test_global_threshold_on_candidates(problem, metric, data):
    S, Y = problem
    cands = np.array(data.draw(st.lists(st.sampled_from([*S.ravel().tolist(), 0.3, -2.0, 1e9]))))
    cands = np.array([0.5]) if cands.size == 0 else cands
    got = thr.global_threshold(S, Y, metric, candidates=cands)
    if not Y.any():
        assert got == np.inf
        return
    want_t, want_f = brute_shared(S, Y, metric, candidates=cands)
    got_f = f1_at(S.ravel(), Y.ravel(), got) if metric == "micro" else weighted_at(S, Y, got)
    assert got in cands
    assert float(got_f) == pytest.approx(float(want_f), abs=1e-12)
    if metric == "micro":
        assert got == want_t


@settings(max_examples=60, deadline=None)
@given(problems(max_rows=15, max_tags=6), st.sampled_from(["micro", "weighted"]), st.data())
def test_per_group_thresholds_match_brute_force(problem, metric, data):
    S, Y = problem
    groups = data.draw(
        st.lists(st.sampled_from(["a", "b", 3]), min_size=S.shape[1], max_size=S.shape[1])
    )
    got = thr.per_group_thresholds(S, Y, groups, metric)
    for g in set(groups):
        cols = [j for j, gj in enumerate(groups) if gj == g]
        assert len(set(got[cols])) == 1  # shared by the group's tags
        sub_s, sub_y = S[:, cols], Y[:, cols]
        assert got[cols[0]] == thr.global_threshold(sub_s, sub_y, metric)
        want_t, want_f = brute_shared(sub_s, sub_y, metric)
        if metric == "micro":
            assert got[cols[0]] == want_t


def test_shared_threshold_argument_checks():
    s, y = np.zeros((3, 2)), np.ones((3, 2))
    with pytest.raises(ValueError):
        thr.global_threshold(s, y, metric="macro")
    with pytest.raises(ValueError):
        thr.per_group_thresholds(s, y, ["a"])
    with pytest.raises(ValueError):
        thr.global_threshold(s, y, candidates=[np.nan])


def test_global_micro_on_many_cells_uses_blocks():
    rng = np.random.default_rng(5)
    y = rng.random((700, 9)) < 0.1
    s = (rng.normal(size=y.shape) + y).astype(np.float32)
    want_t, want_f = brute_tag(s.ravel(), y.ravel())
    with mock.patch.object(thr, "_FLAT_BLOCK", 1000):
        assert thr.global_threshold(s, y) == want_t
    assert thr.global_threshold(s, y) == want_t


# ------------------------------------------------------- rounded scores (decimal grid path)


def rounded_problem(
    n: int, t: int, decimals: int, dtype: type, seed: int, shift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Tie-heavy scores: sigmoid scores rounded to ``decimals``, long-tail positive rates."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, t)) < np.exp(rng.uniform(np.log(0.005), np.log(0.4), t))
    s = 1 / (1 + np.exp(-(rng.normal(size=(n, t)) + rng.uniform(0.5, 3, t) * y - 2)))
    return np.round(s + shift, decimals).astype(dtype), y


@pytest.mark.parametrize(
    ("decimals", "dtype", "shift"),
    [(3, np.float32, 0.0), (2, np.float64, 0.0), (1, np.float32, -0.5), (4, np.float32, 7.0)],
)
def test_rounded_scores_match_brute_force(decimals, dtype, shift):
    S, Y = rounded_problem(1500, 12, decimals, dtype, seed=decimals, shift=shift)
    Y[:, 0] = False  # a tag without positives
    assert thr._grid_scale(S) is not None  # the grid path is the one under test
    check_per_tag(S, Y)
    check_per_tag(S, Y, n_jobs=2)


def test_rounded_scores_agree_with_the_general_path():
    S, Y = rounded_problem(20_000, 30, 3, np.float32, seed=5)
    grid = thr.f1_optimal_thresholds(S, Y)
    with mock.patch.object(thr, "_grid_thresholds", lambda *args: None):
        general = thr.f1_optimal_thresholds(S, Y)
    assert np.array_equal(grid, general)


def test_off_grid_score_after_the_head_falls_back_exactly():
    S, Y = rounded_problem(2000, 5, 2, np.float32, seed=6)
    S[1500, 3] = np.float32(0.123456)  # off the 2-decimal grid, past the rows that guess it
    Y[1500, 3] = True
    with mock.patch.object(thr, "_grid_best", side_effect=AssertionError("grid path used")):
        check_per_tag(S, Y)


def test_grid_needs_exact_integers_and_few_steps():
    wide = np.array([[0.0], [40_000.0]], dtype=np.float32)  # 40,001 steps of 1: too many
    assert thr._grid_scale(wide) is None
    assert thr._grid_scale(np.array([[0.5], [np.inf]], dtype=np.float32)) is None
    assert thr._grid_scale(np.array([[0.25], [0.5]], dtype=np.float32))[0] == 100
