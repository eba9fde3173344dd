"""Robust thresholds vs the challenge benchmark: markdown tables of held-out F1 per estimator.

Real data (``../shared/data/mediaeval2019-vggish``, skipped when absent): artist-grouped 5-fold
cross-validation; each estimator is fitted on 4 folds and decides on the held-out one; the
held-out decisions of the 5 folds are pooled and scored once. Demo catalogue (a folder written
by ``python -m mewo_core demo-data``, skipped when absent): fitted on its train files, scored
on its album-grouped test files.

    .venv/bin/python benchmarks/robust_thresholds.py [--demo DIR] [--metrics weighted,micro]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.data import Dataset, group_kfold, group_labels, load_folder  # noqa: E402
from mewo_core.robust.selection import fit_robust  # noqa: E402
from mewo_core.scoring.counts import DecisionCounts, counts_at  # noqa: E402
from mewo_core.scoring.metrics import AVERAGES, f1_score  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "mediaeval2019-vggish"
METHODS = ("benchmark", "global", "category", "micro-tag", "bootstrap", "shrinkage", "auto")


def _fit(train: Dataset, metric: str, method: str, seed: int) -> tuple[np.ndarray, str]:
    has = train.tag_feature_index >= 0
    cats = [c for c, ok in zip(train.tag_categories, has, strict=True) if ok]
    fit = fit_robust(
        train.tag_scores()[:, has],
        train.Y[:, has],
        group_labels(train),
        metric,
        method,
        seed,
        cats,
    )
    t = np.full(train.n_tags, np.inf)
    t[has] = fit.thresholds
    return t, fit.chosen.name


def cross_validated(data: Dataset, metric: str, method: str, seed: int, column: str):
    """Pooled held-out counts over grouped folds, and the choice made in each fold."""
    pooled, chosen = None, []
    for held in group_kfold(data, 5, seed, column):
        mask = np.ones(data.n_tracks, dtype=bool)
        mask[held] = False
        t, name = _fit(data.subset(np.flatnonzero(mask)), metric, method, seed)
        counts = counts_at(data.tag_scores()[held], data.Y[held], t)
        pooled = counts if pooled is None else pooled + counts
        chosen.append(name)
    return pooled, chosen


def held_out(train: Dataset, test: Dataset, metric: str, method: str, seed: int):
    t, name = _fit(train, metric, method, seed)
    return counts_at(test.tag_scores(), test.Y, t), [name]


def table(title: str, rows: dict[str, tuple[DecisionCounts, list[str], float]]) -> str:
    bench = {m: f1_score(rows["benchmark"][0], m) for m in AVERAGES}
    lines = [
        f"**{title}**",
        "",
        "| estimator | weighted F1 | micro F1 | macro F1 | samples F1 | fit s | chosen |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (counts, chosen, secs) in rows.items():
        cells = []
        for m in AVERAGES:
            v = f1_score(counts, m)
            cells.append(f"{v:.4f}" if name == "benchmark" else f"{v:.4f} ({v - bench[m]:+.4f})")
        picks = ", ".join(sorted(set(chosen))) if name == "auto" else ""
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {secs:.1f} | {picks} |")
    return "\n".join(lines)


def targets(rows: dict[str, tuple[DecisionCounts, list[str], float]], metric: str) -> str:
    auto, bench = rows["auto"][0], rows["benchmark"][0]
    if metric == "weighted":
        dw = f1_score(auto, "weighted") - f1_score(bench, "weighted")
        dm = f1_score(auto, "micro") - f1_score(bench, "micro")
        return (
            f"targets (auto): weighted F1 >= benchmark: {'met' if dw >= 0 else 'MISSED'} "
            f"({dw:+.4f}); micro F1 >= benchmark + 0.03: {'met' if dm >= 0.03 else 'MISSED'} "
            f"({dm:+.4f}{'' if dm >= 0.03 else f', short by {0.03 - dm:.4f}'})"
        )
    if metric == "micro":
        best = max(rows, key=lambda n: f1_score(rows[n][0], "micro"))
        gap = f1_score(rows[best][0], "micro") - f1_score(auto, "micro")
        ok = gap <= 0
        return (
            f"target (auto): best micro F1 of all estimators: {'met' if ok else 'MISSED'}"
            f"{'' if ok else f' (best is {best}, auto short by {gap:.4f})'}"
        )
    return ""


def run(name: str, evaluate, metrics: list[str], methods: list[str]) -> None:
    for metric in metrics:
        rows = {}
        for method in methods:
            t0 = time.perf_counter()
            counts, chosen = evaluate(metric, method)
            rows[method] = (counts, chosen, time.perf_counter() - t0)
        print(table(f"{name}, --metric {metric}", rows))
        print()
        note = targets(rows, metric) if "auto" in rows else ""
        if note:
            print(note)
            print()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", default=str(ROOT / "data" / "demo"), help="demo data folder")
    p.add_argument("--real", default=str(REAL), help="mediaeval2019-vggish folder")
    p.add_argument("--metrics", default="weighted,micro")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    metrics = args.metrics.split(",")
    methods = args.methods.split(",")
    if "benchmark" not in methods:
        methods.insert(0, "benchmark")
    real = Path(args.real)
    if (real / "x.csv").exists():
        data = load_folder(real).train
        print(
            f"## Real data: {real.name}, {data.n_tracks} tracks x {data.n_tags} tags, "
            "artist-grouped 5-fold CV, held-out decisions pooled\n"
        )
        run(
            real.name,
            lambda m, e: cross_validated(data, m, e, args.seed, "artist_id"),
            metrics,
            methods,
        )
    else:
        print(f"(skipped real data: {real} not found)\n")
    demo = Path(args.demo)
    if (demo / "x_test.csv").exists() or (demo / "x_test.parquet").exists():
        bundle = load_folder(demo)
        train, test = bundle.train, bundle.test
        print(
            f"## Demo catalogue: {demo}, train {train.n_tracks} / test {test.n_tracks} tracks "
            f"x {train.n_tags} tags, fitted on train, scored on the album-grouped test split\n"
        )
        run("demo catalogue", lambda m, e: held_out(train, test, m, e, args.seed), metrics, methods)
    else:
        print(
            f"(skipped demo catalogue: no test files in {demo}; "
            "write one with python -m mewo_core demo-data --out DIR)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
