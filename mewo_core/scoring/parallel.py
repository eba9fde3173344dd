"""The core's parallel loops: one owner for the worker count, the thread pool and joblib.

Two kinds of loop:

- :func:`map_spans`: fine-grained steps over row or tag spans of arrays held in memory, writing
  into shared output arrays (the per-tag threshold search, decision counts). They run on a
  ``concurrent.futures`` thread pool (numpy releases the GIL in its loops), not on joblib:
  joblib's threads wait for results by polling (``time.sleep`` in ``Parallel._retrieve``),
  about 10 ms per call, more than a whole per-tag search on a small split takes
  (``benchmarks/bench_parallel.py``). Shared memory cannot leave the process anyway.
- :func:`map_tasks`: independent tasks that return their result (bootstrap resamples). They
  run on joblib's default backend, threads unless configured otherwise, so
  ``with joblib.parallel_config(backend="loky")`` runs them in processes and, with a
  ``distributed.Client`` open, ``with joblib.parallel_config(backend="dask")`` on a Dask
  cluster. Results come back in task order and tasks draw no random numbers themselves, so
  the results never depend on the backend or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import joblib

__all__ = ["available_cpus", "map_spans", "map_tasks", "n_workers", "run_together"]

R = TypeVar("R")

_MAX_THREADS = 32


def available_cpus() -> int:
    """CPUs this process may use (affinity and cgroup limits included)."""
    return max(1, int(joblib.cpu_count()))


def n_workers(n_jobs: int | None, n_tasks: int) -> int:
    """Workers for ``n_tasks`` tasks: ``n_jobs`` (default: the CPUs), at most one per task."""
    if n_jobs is None or n_jobs < 1:
        n_jobs = available_cpus()
    return max(1, min(int(n_jobs), n_tasks, _MAX_THREADS))


def map_spans(fn: Callable[[int, int], None], total: int, step: int, n_jobs: int | None) -> None:
    """Run ``fn(start, stop)`` over ``range(total)`` in steps of ``step``, on threads if useful."""
    spans = [(a, min(a + step, total)) for a in range(0, total, step)]
    workers = n_workers(n_jobs, len(spans))
    if workers == 1:
        for a, b in spans:
            fn(a, b)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(fn, a, b) for a, b in spans]:
            future.result()


def run_together(*thunks: Callable[[], R]) -> list[R]:
    """Each thunk's result, in order, the thunks side by side on threads (up to the CPUs):
    for a few heterogeneous array computations (numpy and scipy release the GIL in their
    loops). The first error is raised once every thunk has ended."""
    if len(thunks) <= 1 or available_cpus() == 1:
        return [thunk() for thunk in thunks]
    with ThreadPoolExecutor(max_workers=n_workers(None, len(thunks))) as pool:
        futures = [pool.submit(thunk) for thunk in thunks]
    return [future.result() for future in futures]


def map_tasks(
    fn: Callable[..., R], calls: Iterable[tuple[object, ...]], n_jobs: int | None = None
) -> list[R]:
    """``[fn(*args) for args in calls]``, in order, on joblib's active backend.

    ``n_jobs`` None means every worker of the backend (the CPUs for threads and processes,
    the cluster's workers for Dask); 1 runs in this thread. Pass large arrays as arguments
    (not inside ``fn``'s closure) so that process and Dask backends can share them.
    """
    tasks: Sequence[tuple[object, ...]] = list(calls)
    if n_jobs == 1 or len(tasks) <= 1:
        return [fn(*args) for args in tasks]
    runner = joblib.Parallel(n_jobs=-1 if n_jobs is None else n_jobs, prefer="threads")
    return list(runner(joblib.delayed(fn)(*args) for args in tasks))
