"""F1 averages + per-tag table: ``mewo_core.scoring.metrics`` vs scikit-learn, side by side.

Ours: ``count_decisions`` + ``f1_averages`` (weighted, micro, macro, samples) +
``per_tag_table``. Peer: scikit-learn's ``f1_score`` for the four averages +
``precision_recall_fscore_support(average=None)``. Both run on the same seeded bool
decisions (long-tail tag rates 0.1%-30%, predictions correlated with the labels); the script
checks the values agree to 1e-9 and prints the timings and their
ratio. Exit status 1 if they disagree.

    .venv/bin/python benchmarks/bench_metrics.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _timing import timed  # noqa: E402

from mewo_core.scoring.counts import count_decisions  # noqa: E402
from mewo_core.scoring.metrics import AVERAGES, f1_averages, per_tag_table  # noqa: E402


def make_decisions(n: int, t: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels with long-tail rates and decisions that find most of them, plus some noise."""
    rng = np.random.default_rng(seed)
    rates = np.exp(rng.uniform(np.log(0.001), np.log(0.3), t))
    y_true = rng.random((n, t)) < rates
    hit = rng.random((n, t)) < rng.uniform(0.3, 0.9, t)
    false_alarm = rng.random((n, t)) < rates * rng.uniform(0.05, 0.5, t)
    return y_true, (y_true & hit) | false_alarm


def ours(y_true: np.ndarray, y_pred: np.ndarray, names: list[str]):
    counts = count_decisions(y_true, y_pred)
    return f1_averages(counts), per_tag_table(counts, names)


def peer(y_true: np.ndarray, y_pred: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        averages = {a: f1_score(y_true, y_pred, average=a, zero_division=0) for a in AVERAGES}
        return averages, precision_recall_fscore_support(y_true, y_pred, zero_division=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 x 60 instead of 22,000 x 230")
    parser.add_argument("--repeat", type=int, default=20, help="runs of ours (best is reported)")
    args = parser.parse_args()
    n, t = (5_000, 60) if args.quick else (22_000, 230)
    y_true, y_pred = make_decisions(n, t)
    names = [f"tag{j}" for j in range(t)]
    print(f"decisions {n:,} x {t} bool, true rate {y_true.mean():.2%}, pred {y_pred.mean():.2%}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) before the run: {load:.2f}")

    ours(y_true, y_pred, names)  # warm-up (imports, pandas first call)
    best, median, cpu, (averages, table) = timed(lambda: ours(y_true, y_pred, names), args.repeat)
    sk_repeat = max(1, args.repeat // 10)
    sk_best, sk_median, sk_cpu, (sk_averages, (p, r, f, s)) = timed(
        lambda: peer(y_true, y_pred), sk_repeat
    )

    agree = all(abs(averages[a] - sk_averages[a]) <= 1e-9 for a in AVERAGES)
    agree &= np.array_equal(table["support"], s)
    for column, ref in (("precision", p), ("recall", r), ("f1", f)):
        agree &= bool(np.allclose(table[column], ref, rtol=0, atol=1e-9))
    print("F1:", ", ".join(f"{a} {averages[a]:.6f}" for a in AVERAGES))
    print(f"same values as scikit-learn (1e-9): {agree}")
    print()
    print("| case | ours (ms) | sklearn (ms) | ratio | ours CPU (ms) | sklearn CPU (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| 4 F1 averages + per-tag table | {best * 1e3:.2f} | {sk_best * 1e3:.1f} "
        f"| {sk_best / best:.0f}x | {cpu * 1e3:.2f} | {sk_cpu * 1e3:.1f} |"
    )
    print(f"\nbest of {args.repeat} (ours) and {sk_repeat} (scikit-learn); "
          f"medians {median * 1e3:.2f} ms and {sk_median * 1e3:.1f} ms")  # fmt: skip
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
