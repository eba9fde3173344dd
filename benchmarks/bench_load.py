"""Loading the demo catalogue: ``mewo_core.data.load_folder`` vs plain ``pandas.read_csv``.

Run: ``python benchmarks/bench_load.py [--data DIR]`` (default: generates the default 110,000-track
demo catalogue into ``.mewo_cache/bench-demo`` on first use). Both sides read the four CSVs; ours
also validates every cell, matches rows by id and converts to float32 / uint8.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mewo_core.data import load_folder  # noqa: E402

FILES = ("x_train.csv", "y_train.csv", "x_test.csv", "y_test.csv")


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(".mewo_cache/bench-demo"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (args.data / "x_train.csv").exists():
        from mewo_core.demo import write_demo_data

        print(f"generating the default demo catalogue into {args.data} …")
        write_demo_data(args.data)
    ours = _best_of(lambda: load_folder(args.data), args.repeat)
    peer = _best_of(lambda: [pd.read_csv(args.data / f) for f in FILES], args.repeat)
    bundle = load_folder(args.data)
    n = bundle.train.n_tracks + bundle.test.n_tracks
    print(f"{n} tracks x {len(bundle.train.feature_names)} columns")
    print(f"| loader | seconds (best of {args.repeat}) | ratio |")
    print("|---|---|---|")
    print(f"| mewo_core.load_folder (pyarrow, validated) | {ours:.2f} | 1.00 |")
    print(f"| pandas.read_csv x4 (C engine, no checks) | {peer:.2f} | {peer / ours:.2f}x slower |")


if __name__ == "__main__":
    main()
