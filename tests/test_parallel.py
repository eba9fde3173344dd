"""Parallel loops: same results whatever the backend and the number of workers."""

from __future__ import annotations

import joblib
import numpy as np
import pytest

from mewo_core.robust.estimators import resample_thresholds
from mewo_core.scoring import parallel
from mewo_core.scoring.thresholds import f1_optimal_thresholds


def _problem(n: int = 3000, t: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, t)) < rng.uniform(0.01, 0.3, t)
    s = (rng.normal(size=(n, t)) + 1.5 * y).astype(np.float32)
    return s, y


def _stats(n_jobs: int | None, **kwargs: object) -> np.ndarray:
    s, y = _problem()
    groups = np.arange(s.shape[0]) // 7
    st = resample_thresholds(s, y, groups, n_resamples=6, seed=3, n_jobs=n_jobs, **kwargs)
    return np.stack([st.mean, st.median, st.var, st.n_finite, st.single])


def test_resamples_do_not_depend_on_workers_or_backend():
    one = _stats(1)
    assert np.array_equal(one, _stats(2), equal_nan=True)
    assert np.array_equal(one, _stats(None), equal_nan=True)
    with joblib.parallel_config(backend="loky"):
        assert np.array_equal(one, _stats(2), equal_nan=True)


def test_resamples_are_the_thresholds_of_each_draw():
    s, y = _problem(500, 3, seed=1)
    st = resample_thresholds(s, y, n_resamples=1, seed=0, n_jobs=2)
    rows = np.random.default_rng(0).choice(500, size=500, replace=True)
    want = f1_optimal_thresholds(s[rows], y[rows])
    np.testing.assert_array_equal(st.single[np.isfinite(st.single)], want[np.isfinite(st.single)])


def test_map_tasks_keeps_order_and_map_spans_covers_every_span():
    assert parallel.map_tasks(pow, [(i, 2) for i in range(20)], n_jobs=2) == [
        i * i for i in range(20)
    ]
    assert parallel.map_tasks(pow, [(3, 2)], n_jobs=None) == [9]
    seen = np.zeros(103, dtype=int)

    def mark(a: int, b: int) -> None:
        seen[a:b] += 1

    parallel.map_spans(mark, 103, 10, n_jobs=2)
    assert seen.tolist() == [1] * 103


@pytest.mark.parametrize(("n_jobs", "tasks", "want"), [(1, 9, 1), (4, 2, 2), (100, 100, 32)])
def test_n_workers(n_jobs, tasks, want):
    assert parallel.n_workers(n_jobs, tasks) == want
    assert 1 <= parallel.n_workers(None, tasks) <= parallel.available_cpus()


def test_run_together_runs_side_by_side_and_keeps_the_order(monkeypatch) -> None:
    import threading

    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    meet = threading.Barrier(2, timeout=30)  # each thunk waits for the other: only side by side

    def thunk(value: int):  # noqa: ANN202
        return lambda: (meet.wait(), value)[1]

    assert parallel.run_together(thunk(1), thunk(2)) == [1, 2]
    ended = []

    def fails() -> None:
        raise ValueError("first")

    def slow() -> None:
        threading.Event().wait(0.2)
        ended.append("slow")

    with pytest.raises(ValueError, match="first"):
        parallel.run_together(fails, slow)
    assert ended == ["slow"]  # raised once every thunk had ended
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    assert parallel.run_together(lambda: threading.get_ident()) == [threading.get_ident()]
