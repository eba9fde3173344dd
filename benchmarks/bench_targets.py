"""Precision targets (:mod:`mewo_core.targets`): validity, power and cost, beside MAPIE's risk
controller, the textbook i.i.d. test and the naive in-sample choice.

Each data set's train part is split in halves by artist (``group_halves``, one split per
seed): thresholds are fitted for ``precision >= p`` (p in 0.7, 0.8, 0.9; delta 0.1) on one
half and judged on the other. Per (method, p), over all (tag, resplit) pairs:

- **violations**: share of pairs whose held-out precision is below p (a pair without a
  promise, or whose threshold selects no held-out track, shows no wrong track: no violation),
  with a 90 % Clopper-Pearson interval; also the share among the pairs with a promise;
- **power**: held-out recall averaged over the pairs whose tag has held-out positives (0 for a
  tag with no promise), and the share of pairs with a promise.

With ``--metric recall`` the targets are ``recall >= r`` for the same values: a violation is a
promised pair whose held-out recall is below r, and power is the held-out precision (0 without
a promise).

Methods: ``grouped`` (ours: group-level bound, per tag; ``grouped/category``: one threshold
shared by a category's tags), ``iid`` (the same test counting tracks as independent: the
textbook Learn then Test with Clopper-Pearson), ``mapie`` (MAPIE's BinaryClassificationController
per tag, precision, its defaults: Hoeffding-Bentkus p-values, Bonferroni-Holm over 100
candidate thresholds, here the tag's tuning-score quantiles so that low scores are not
coarsely gridded), ``naive`` (the loosest threshold whose in-sample precision is >= p).

Held-out precision is itself a finite-sample estimate: on small held-out halves a threshold
whose true precision is just above p shows a realised one below it about half the time, so the
violation shares are upper estimates of the rate the guarantee speaks of.

Cost: ``fit_targets`` for every tag of a demo catalogue's train split (default 110,000 tracks:
~87k train x 248 tags) beside the project's per-tag F1 search (``f1_optimal_thresholds``).

    .venv/bin/python benchmarks/bench_targets.py [--demo DIR] [--demo-resplits 5]
        [--real-resplits 20] [--metric precision|recall] [--cost DIR] [--mapie-tags N]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import timed  # noqa: E402

from mewo_core.data import Dataset, group_halves, group_labels, load_folder  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds  # noqa: E402
from mewo_core.targets.fit import fit_targets, naive_thresholds  # noqa: E402
from mewo_core.targets.report import share_interval  # noqa: E402
from mewo_core.targets.spec import Target  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
REAL = [SHARED / "mediaeval2019-vggish"] + sorted((SHARED / "mediaeval2019-more").glob("*"))
P_VALUES = (0.7, 0.8, 0.9)
DELTA = 0.1
Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray, list[str], float], np.ndarray]
#: The metric the targets bound ("precision" by default; --metric recall).
METRIC = ["precision"]


def _targets(n: int, p: float) -> list[Target]:
    return [Target(METRIC[0], p)] * n


def _grouped(s, y, g, cats, p):  # noqa: ANN001, ANN202
    return fit_targets(s, y, g, _targets(s.shape[1], p), DELTA).thresholds


def _grouped_category(s, y, g, cats, p):  # noqa: ANN001, ANN202
    return fit_targets(s, y, g, _targets(s.shape[1], p), DELTA, scope=cats).thresholds


def _iid(s, y, g, cats, p):  # noqa: ANN001, ANN202
    return fit_targets(s, y, None, _targets(s.shape[1], p), DELTA).thresholds


def _naive(s, y, g, cats, p):  # noqa: ANN001, ANN202
    return naive_thresholds(s, y, _targets(s.shape[1], p))


def _mapie(s, y, g, cats, p):  # noqa: ANN001, ANN202
    import warnings

    from mapie.risk_control import BinaryClassificationController

    out = np.full(s.shape[1], np.inf)
    for t in range(s.shape[1]):
        col = np.clip(s[:, t].astype(np.float64), 0.0, 1.0)  # MAPIE wants probabilities
        grid = np.unique(np.quantile(col, np.linspace(0.0, 0.999, 100)))
        controller = BinaryClassificationController(
            predict_function=lambda x: np.column_stack([1 - x[:, 0], x[:, 0]]),
            risk=METRIC[0], target_level=p, confidence_level=1 - DELTA,
            list_predict_params=grid,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            controller.calibrate(col[:, None], y[:, t])
        best = controller.best_predict_param
        if best is not None and np.isfinite(best):
            out[t] = float(best)
    return out


METHODS: dict[str, Fitter] = {
    "grouped": _grouped,
    "grouped/category": _grouped_category,
    "iid": _iid,
    "mapie": _mapie,
    "naive": _naive,
}


def _judge(thresholds: np.ndarray, s: np.ndarray, y: np.ndarray, p: float) -> dict[str, float]:
    chosen = s >= thresholds
    pred = chosen.sum(axis=0)
    tp = (chosen & (y == 1)).sum(axis=0)
    true = y.sum(axis=0)
    promised = np.isfinite(thresholds)
    has_pos = true > 0
    if METRIC[0] == "precision":
        precision = np.where(pred > 0, tp / np.maximum(pred, 1), 1.0)
        violations = int(((pred > 0) & (precision < p)).sum())
        power = np.where(has_pos, tp / np.maximum(true, 1), 0.0)  # recall at the target
    else:  # recall: a promise without held-out positives cannot be broken
        recall = np.where(has_pos, tp / np.maximum(true, 1), 1.0)
        violations = int((promised & has_pos & (recall < p)).sum())
        power = np.where(promised & (pred > 0), tp / np.maximum(pred, 1), 0.0)  # precision
        has_pos = np.ones_like(has_pos)
    return {
        "pairs": len(thresholds),
        "promised": int(promised.sum()),
        "violations": violations,
        "recall_sum": float(power[has_pos].sum()),
        "recall_pairs": int(has_pos.sum()),
    }


def validity(data: Dataset, resplits: int, methods: list[str], label: str) -> list[dict]:
    """Rows of the validity / power table of one data set."""
    groups = group_labels(data)
    has = data.tag_feature_index >= 0
    scores, labels = data.tag_scores()[:, has], data.require_labels()[:, has]
    cats = [c for c, ok in zip(data.tag_categories, has, strict=True) if ok]
    totals: dict[tuple[str, float], dict[str, float]] = {}
    seconds: dict[str, float] = dict.fromkeys(methods, 0.0)
    for r in range(resplits):
        half = group_halves(groups, r)
        tune, hold = half == 0, half == 1
        s_tu, y_tu, g_tu = scores[tune], labels[tune], groups[tune]
        s_ho, y_ho = scores[hold], labels[hold]
        for p in P_VALUES:
            for m in methods:
                t0 = time.perf_counter()
                thr = METHODS[m](s_tu, y_tu, g_tu, cats, p)
                seconds[m] += time.perf_counter() - t0
                got = _judge(thr, s_ho, y_ho, p)
                acc = totals.setdefault((m, p), dict.fromkeys(got, 0.0))
                for k, v in got.items():
                    acc[k] += v
    rows = []
    for (m, p), acc in totals.items():
        low, high = share_interval(int(acc["violations"]), int(acc["pairs"]))
        rows.append({
            "data": label, "p": p, "method": m, "pairs": int(acc["pairs"]),
            "violation_share": acc["violations"] / acc["pairs"],
            "violation_interval": [low, high],
            "violation_share_promised": acc["violations"] / acc["promised"]
            if acc["promised"] else None,
            "promised_share": acc["promised"] / acc["pairs"],
            "recall": acc["recall_sum"] / max(acc["recall_pairs"], 1),
            "fit_seconds_per_resplit_and_p": seconds[m] / (resplits * len(P_VALUES)),
        })  # fmt: skip
    return rows


def cost(folder: Path, repeat: int, mapie_tags: int) -> dict[str, float]:
    """Fit seconds for every tag of ``folder``'s train split, beside the per-tag F1 search."""
    train = load_folder(folder).train
    groups = group_labels(train)
    has = train.tag_feature_index >= 0
    s, y = train.tag_scores()[:, has], train.require_labels()[:, has]
    cats = [c for c, ok in zip(train.tag_categories, has, strict=True) if ok]
    targets = _targets(s.shape[1], 0.9)
    out: dict[str, float] = {"tracks": train.n_tracks, "tags": int(s.shape[1])}
    for name, fn in {
        "targets_tag": lambda: fit_targets(s, y, groups, targets, DELTA),
        "targets_category": lambda: fit_targets(s, y, groups, targets, DELTA, scope=cats),
        "f1_optimal_thresholds": lambda: f1_optimal_thresholds(s, y),
    }.items():
        best, median, cpu, _ = timed(fn, repeat)
        out[f"{name}_best_s"], out[f"{name}_median_s"], out[f"{name}_cpu_s"] = best, median, cpu
    if mapie_tags:
        k = min(mapie_tags, s.shape[1])
        best, _, _, _ = timed(lambda: _mapie(s[:, :k], y[:, :k], groups, cats[:k], 0.9), 1)
        out["mapie_tags_timed"], out["mapie_s_per_tag"] = k, best / k
    return out


def _table(rows: list[dict]) -> str:
    power = "held-out recall" if METRIC[0] == "precision" else "held-out precision"
    lines = [f"| data | {METRIC[0]} >= | method | violations (all pairs) [90% CI] | "
             f"among promised | promised | {power} |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lo, hi = r["violation_interval"]
        among = r["violation_share_promised"]
        lines.append(
            f"| {r['data']} | {r['p']} | {r['method']} | {r['violation_share']:.3f} "
            f"[{lo:.3f}, {hi:.3f}] | {'-' if among is None else f'{among:.3f}'} | "
            f"{r['promised_share']:.3f} | {r['recall']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", type=Path, help="a demo-data folder for validity (e.g. 20k tracks)")
    ap.add_argument("--demo-resplits", type=int, default=5)
    ap.add_argument("--real-resplits", type=int, default=20)
    ap.add_argument("--cost", type=Path, help="a demo-data folder to time the fit on")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mapie-tags", type=int, default=10, help="tags MAPIE is timed on (cost)")
    ap.add_argument("--no-mapie", action="store_true")
    ap.add_argument("--metric", choices=["precision", "recall"], default="precision",
                    help="the targets' metric (recall: power is the held-out precision)")
    ap.add_argument("--real-limit", type=int, default=4, help="real folders used (of 4)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    METRIC[0] = args.metric
    methods = [m for m in METHODS if not (args.no_mapie and m == "mapie")]
    result: dict[str, object] = {"delta": DELTA, "metric": args.metric, "p": list(P_VALUES),
                                 "rows": []}  # fmt: skip
    rows: list[dict] = result["rows"]  # type: ignore[assignment]
    if args.demo:
        rows += validity(load_folder(args.demo).train, args.demo_resplits, methods,
                         f"demo {args.demo.name}")  # fmt: skip
    for folder in REAL[: args.real_limit]:
        if (folder / "x.csv").exists() or (folder / "x.csv.gz").exists():
            rows += validity(load_folder(folder).train, args.real_resplits, methods, folder.name)
        else:
            print(f"skipping {folder} (absent)", file=sys.stderr)
    if rows:
        print(_table(rows))
    if args.cost:
        result["cost"] = cost(args.cost, args.repeat, 0 if args.no_mapie else args.mapie_tags)
        print(json.dumps(result["cost"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
