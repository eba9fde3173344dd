"""Per-tag F1-optimal thresholds: ``mewo_core.scoring.thresholds`` vs a scikit-learn loop.

The peer runs ``sklearn.metrics.precision_recall_curve`` per tag and keeps the threshold of
the best F1. Both run on the same seeded matrix (float32 scores, long-tail positive rates
0.1%-30%, scores correlated with labels), in two kinds: ``untied`` (full float32 scores) and
``tied`` (the same scores rounded to 3 decimals, as a tagger's CSV export has them: at most
1,001 distinct values, so every threshold is shared by many tracks). The script checks that
every tag reaches the same (exact) F1 and prints the timings and their ratio per kind. Exit
status 1 if they disagree.

    .venv/bin/python benchmarks/bench_thresholds.py [--kind both|untied|tied] [--quick]
        [--repeat N] [--jobs N] [--global]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_curve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _timing import timed  # noqa: E402

from mewo_core.scoring.counts import tag_counts_at  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds, global_threshold  # noqa: E402


def make_data(n: int, t: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Float32 scores in (0, 1) and labels; positive rates log-uniform in [0.1%, 30%]."""
    rng = np.random.default_rng(seed)
    rates = np.exp(rng.uniform(np.log(0.001), np.log(0.3), t))
    labels = rng.random((n, t)) < rates
    separation = rng.uniform(0.5, 3.0, t)
    logits = rng.normal(size=(n, t)) + separation * labels - 2.0
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32), labels


def make_kind(kind: str, n: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """``untied``: :func:`make_data`; ``tied``: the same scores rounded to 3 decimals."""
    scores, labels = make_data(n, t)
    if kind == "tied":
        scores = np.round(scores, 3).astype(np.float32)
    return scores, labels


def sklearn_thresholds(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per tag, the threshold of the best F1 on scikit-learn's precision-recall curve."""
    out = np.full(scores.shape[1], np.inf)
    for j in range(scores.shape[1]):
        if not labels[:, j].any():
            continue
        precision, recall, thresholds = precision_recall_curve(labels[:, j], scores[:, j])
        with np.errstate(invalid="ignore"):
            f1 = np.nan_to_num(2 * precision * recall / (precision + recall))[:-1]
        out[j] = thresholds[np.argmax(f1)]
    return out


def sklearn_global(scores: np.ndarray, labels: np.ndarray) -> float:
    """One threshold for all cells (micro F1) from scikit-learn's curve on the pooled cells."""
    precision, recall, thresholds = precision_recall_curve(labels.ravel(), scores.ravel())
    with np.errstate(invalid="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))[:-1]
    return float(thresholds[np.argmax(f1)])


def exact_f1(scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    tp, fp, fn = tag_counts_at(scores, labels, thresholds)
    den = 2 * tp + fp + fn
    return np.divide(2 * tp, den, out=np.zeros(den.shape), where=den > 0)


def run_kind(kind: str, args: argparse.Namespace, n: int, t: int, cpus: int) -> bool:
    """Time ours against scikit-learn on one kind of data, print the table; True if they agree."""
    scores, labels = make_kind(kind, n, t)
    distinct = np.unique(scores).size
    print(f"\n## {kind}: scores {n:,} x {t} float32, {distinct:,} distinct values, "
          f"positives {labels.mean():.2%}")  # fmt: skip
    runs = {
        f"per-tag thresholds, {args.jobs or cpus} threads": timed(
            lambda: f1_optimal_thresholds(scores, labels, n_jobs=args.jobs), args.repeat
        ),
        "per-tag thresholds, 1 thread": timed(
            lambda: f1_optimal_thresholds(scores, labels, n_jobs=1), args.repeat
        ),
    }
    peer = timed(lambda: sklearn_thresholds(scores, labels), 1)
    rows = [(name, run, peer) for name, run in runs.items()]

    ours, theirs = next(iter(runs.values()))[-1], peer[-1]
    f_ours, f_peer = exact_f1(scores, labels, ours), exact_f1(scores, labels, theirs)
    agree = bool(np.allclose(f_ours, f_peer, rtol=0, atol=1e-12))
    print(f"per tag: same best F1 on all {t} tags: {agree}; "
          f"identical thresholds: {int(np.sum(ours == theirs))}/{t} "
          "(the others are ties, which we break towards the highest threshold)")  # fmt: skip
    if args.pooled:
        pooled = timed(lambda: global_threshold(scores, labels), args.repeat)
        pooled_peer = timed(lambda: sklearn_global(scores, labels), 1)
        cells_s, cells_y = scores.reshape(-1, 1), labels.reshape(-1, 1)
        g_f = exact_f1(cells_s, cells_y, np.array([pooled[-1]]))[0]
        gs_f = exact_f1(cells_s, cells_y, np.array([pooled_peer[-1]]))[0]
        agree &= abs(g_f - gs_f) <= 1e-12
        print(f"global micro: best F1 {g_f:.6f} (scikit-learn {gs_f:.6f})")
        rows.append(("global micro threshold", pooled, pooled_peer))
    print()
    print("| data | case | ours (s) | sklearn (s) | ratio | ours CPU (s) | sklearn CPU (s) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, (wall, _, cpu, _), (p_wall, _, p_cpu, _) in rows:
        ratio = p_wall / wall
        print(f"| {kind} | {name} | {wall:.3f} | {p_wall:.3f} | {ratio:.1f}x | {cpu:.3f} "
              f"| {p_cpu:.3f} |")  # fmt: skip
    medians = ", ".join(f"{run[1]:.3f} s" for run in runs.values())
    print(f"\nours: best of {args.repeat} (medians {medians}); scikit-learn: one run")
    return agree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="22,000 x 60 instead of 88,000 x 230")
    parser.add_argument(
        "--kind",
        choices=["both", "untied", "tied"],
        default="both",
        help="untied float32 scores, scores rounded to 3 decimals, or both (default)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of ours (best is reported)")
    parser.add_argument("--jobs", type=int, default=None, help="threads for ours (default: CPUs)")
    parser.add_argument(
        "--global", dest="pooled", action="store_true", help="also one micro-F1 threshold for all"
    )
    args = parser.parse_args()
    n, t = (22_000, 60) if args.quick else (88_000, 230)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{cpus} CPUs; load average (1 min) before the run: {load:.2f}")
    kinds = ["untied", "tied"] if args.kind == "both" else [args.kind]
    agree = [run_kind(kind, args, n, t, cpus or 1) for kind in kinds]
    return 0 if all(agree) else 1


if __name__ == "__main__":
    sys.exit(main())
