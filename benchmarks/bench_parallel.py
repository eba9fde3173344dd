"""The core's parallel loops: joblib (threads, loky processes) against a plain thread pool.

Three loops, side by side on the same seeded data as ``bench_thresholds.py``:

- per-tag thresholds (``f1_optimal_thresholds``, 88,000 x 230): its row and tag spans on
  ``mewo_core.scoring.parallel.map_spans`` (a ``concurrent.futures`` thread pool, kept), on joblib
  threads (shared memory), and the tags cut in one chunk per worker solved in loky processes
  (the arrays go through joblib's memory mapping);
- decision counts (``tag_counts_at``): thread pool against joblib threads;
- bootstrap resamples (``resample_thresholds``, 16 resamples of 22,000 x 60, groups of 20
  rows): one resample at a time with threads inside (the loop before joblib), the resamples
  across joblib threads (``mewo_core.scoring.parallel.map_tasks``, today's default), and across loky
  processes (``joblib.parallel_config(backend="loky")``).

Every variant must give bit-identical results (exit status 1 otherwise).

    .venv/bin/python benchmarks/bench_parallel.py [--repeat N] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import joblib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _timing import timed  # noqa: E402
from bench_thresholds import make_data  # noqa: E402

from mewo_core.robust.estimators import resample_thresholds  # noqa: E402
from mewo_core.scoring import thresholds as thr  # noqa: E402
from mewo_core.scoring.parallel import n_workers  # noqa: E402


def joblib_map(fn: Callable[[int, int], None], total: int, step: int, n_jobs: int | None) -> None:
    """The span loop on joblib threads (shared memory), as a drop-in for ``map_spans``."""
    spans = [(a, min(a + step, total)) for a in range(0, total, step)]
    workers = n_workers(n_jobs, len(spans))
    if workers == 1:
        for a, b in spans:
            fn(a, b)
        return
    joblib.Parallel(n_jobs=workers, require="sharedmem")(joblib.delayed(fn)(a, b) for a, b in spans)


def loky_thresholds(s: np.ndarray, y: np.ndarray, jobs: int) -> np.ndarray:
    """Per-tag thresholds with one chunk of tags per loky process."""
    bounds = np.linspace(0, s.shape[1], jobs + 1).astype(int)
    parts = joblib.Parallel(n_jobs=jobs, backend="loky")(
        joblib.delayed(thr.f1_optimal_thresholds)(s[:, a:b], y[:, a:b], n_jobs=1)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    )
    return np.concatenate(parts)


Stats = tuple[float, float, float, object]


def interleaved(variants: dict[str, Callable[[], object]], repeat: int) -> dict[str, Stats]:
    """``timed`` for several variants taking turns (ABAB...), fairer on a loaded machine."""
    runs: dict[str, list[Stats]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, fn in variants.items():
            runs[name].append(timed(fn, 1))
    return {
        name: (
            min(r[0] for r in rs),
            float(np.median([r[0] for r in rs])),
            min(r[2] for r in rs),
            rs[-1][-1],
        )
        for name, rs in runs.items()
    }


def with_joblib_map(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run with its span loops on joblib threads."""

    def run() -> object:
        with mock.patch.object(thr, "_map", joblib_map):
            return fn()

    return run


def with_loky(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with joblib.parallel_config(backend="loky"):
            return fn()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds (best and median)")
    parser.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    args = parser.parse_args()
    jobs, repeat = args.jobs, args.repeat
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"joblib {joblib.__version__}, {jobs} workers, {os.cpu_count()} CPUs; "
          f"load average (1 min) before the run: {load:.2f}")  # fmt: skip

    s, y = make_data(88_000, 230)
    loky_thresholds(s, y, jobs)  # start the loky workers once: the warm pool is reported

    def per_tag() -> np.ndarray:
        return thr.f1_optimal_thresholds(s, y, n_jobs=jobs)

    tables = {
        "per-tag thresholds": interleaved(
            {
                "ThreadPoolExecutor (map_spans)": per_tag,
                "joblib threads": with_joblib_map(per_tag),
                "joblib loky (one tag chunk per process)": lambda: loky_thresholds(s, y, jobs),
            },
            repeat,
        )
    }
    t = tables["per-tag thresholds"]["ThreadPoolExecutor (map_spans)"][-1]

    def counts() -> np.ndarray:
        return np.stack(counts.tag_counts_at(s, y, t, n_jobs=jobs))

    tables["decision counts"] = interleaved(
        {"ThreadPoolExecutor (map_spans)": counts, "joblib threads": with_joblib_map(counts)},
        repeat,
    )

    rs, ry = make_data(22_000, 60, seed=1)
    groups = np.arange(rs.shape[0]) // 20

    def resamples(n_jobs: int) -> np.ndarray:
        st = resample_thresholds(rs, ry, groups, n_resamples=16, seed=0, n_jobs=n_jobs)
        return np.stack([st.mean, st.median, st.var])

    with_loky(lambda: resamples(jobs))()  # warm pool
    tables["16 resamples"] = interleaved(
        {
            "one at a time, threads inside (before joblib)": lambda: resamples(1),
            "joblib threads across (map_tasks, default)": lambda: resamples(jobs),
            "joblib loky across": with_loky(lambda: resamples(jobs)),
        },
        max(3, repeat // 2),
    )

    same = True
    print("\n| loop | variant | best (s) | median (s) | CPU (s) | speed vs first |")
    print("|---|---|---:|---:|---:|---:|")
    for loop, table in tables.items():
        base_wall, _, _, base_result = next(iter(table.values()))
        for variant, (wall, median, cpu, result) in table.items():
            same &= bool(np.array_equal(result, base_result, equal_nan=True))
            print(f"| {loop} | {variant} | {wall:.3f} | {median:.3f} | {cpu:.3f} "
                  f"| {base_wall / wall:.2f}x |")  # fmt: skip
    print(f"\nidentical results across variants: {same}")
    print("Variants take turns; CPU is this process only (loky workers are other processes).")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
