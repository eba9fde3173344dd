"""The album context's choice on the four real taggers, whole and subsampled (issue 20).

Same data and protocols as ``real_decisions.py`` (artist-grouped 5-fold CV; transfer: fit on
half the artists, decide the other half resampled to a prevalence shift), on:

``whole``
    all 4,231 tracks of 327 artists (a CV fit is ~262 artists / ~3,400 tracks);
``sub<N>-s<k>``
    ``N`` artists drawn with seed ``k`` (CV only);
``noalbum-s<k>``
    all tracks with their album ids shuffled across tracks (seed ``k``): no album effect, so the
    context must stay off and the model be the one without context (CV only).

Per model and cell: weighted / micro F1 over the per-tag benchmark, and how many of the fits
switched the context on (with the weights chosen). Run from a checkout to measure its code
(``--json`` writes the raw numbers, ``--report a.json b.json`` puts two runs side by side):

    .venv/bin/python benchmarks/context_small_n.py --json /tmp/after.json
    .venv/bin/python benchmarks/context_small_n.py --network --json /tmp/after-network.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_decisions import TAGGERS, _splits_cv, _splits_transfer  # noqa: E402

from mewo_core.data import Dataset, group_labels, load_folder  # noqa: E402
from mewo_core.models import create_model  # noqa: E402
from mewo_core.scoring.metrics import f1_scores  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds  # noqa: E402

MODELS = {
    "album context + benchmark": ("robust-thresholds", {"method": "benchmark", "context": "album"}),
    "robust-thresholds (context auto)": ("robust-thresholds", {}),
}
NETWORK = {
    "default model (context auto)": ("reservoir-transformer", {}),
    "default model, keep_test crossfit": ("reservoir-transformer", {"keep_test": "crossfit"}),
}


def _cells(data: Dataset, subsample: int, seeds: int) -> list[tuple[str, Dataset, tuple[str, ...]]]:
    artists = group_labels(data, "artist_id")
    cells = [("whole", data, ("cv", "transfer"))]
    for k in range(seeds):
        pick = np.random.default_rng(k).choice(np.unique(artists), subsample, replace=False)
        cells.append((f"sub{subsample}-s{k}", data.subset(np.flatnonzero(np.isin(artists, pick))),
                      ("cv",)))  # fmt: skip
    groups = data.groups.copy()
    groups["album_id"] = np.random.default_rng(100).permutation(groups["album_id"].to_numpy())
    cells.append(("noalbum-s0", replace(data, groups=groups), ("cv",)))
    return cells


def _measure(data: Dataset, protocol: str, reps: int, models: dict) -> dict:
    s, y = data.tag_scores(), data.Y.astype(bool)
    g = group_labels(data, "artist_id")
    splits = _splits_cv(g, len(y), reps) if protocol == "cv" else _splits_transfer(g, y, reps)
    truth: dict[int, list] = {}
    decided: dict[tuple[str, int], list] = {}
    alphas: dict[str, list[float]] = {name: [] for name in models}
    for r, tr, te in splits:
        truth.setdefault(r, []).append(y[te])
        bench = s[te] >= f1_optimal_thresholds(s[tr], y[tr])
        decided.setdefault(("benchmark", r), []).append(bench)
        for name, (kind, params) in models.items():
            model = create_model(kind, **params).fit(data.subset(tr))
            decided.setdefault((name, r), []).append(model.predict(data.subset(te)).astype(bool))
            alphas[name].append(model.context_.alpha_ if model.context_ is not None else 0.0)
    out: dict[str, dict] = {}
    for (name, r), parts in decided.items():
        f = f1_scores(np.vstack(truth[r]), np.vstack(parts))
        acc = out.setdefault(name, {"weighted": 0.0, "micro": 0.0})
        for m in acc:
            acc[m] += f[m] / len(truth)
    for name, a in alphas.items():
        out[name]["alphas"] = a
    return out


def run(args: argparse.Namespace) -> dict:
    models = NETWORK if args.network else MODELS
    results: dict[str, dict] = {}
    for tagger, path in TAGGERS.items():
        if not path.is_dir():
            continue
        for cell, data, protocols in _cells(load_folder(path).train, args.subsample, args.seeds):
            if args.network and cell != "whole":
                continue
            for protocol in protocols:
                start = time.perf_counter()
                chosen = models
                if args.network and protocol == "transfer":  # CPU: the crossfit test on CV only
                    chosen = {k: v for k, v in models.items() if "crossfit" not in k}
                res = _measure(data, protocol, args.reps, chosen)
                results[f"{tagger} | {cell} | {protocol}"] = res
                print(f"{tagger} | {cell} | {protocol}: {time.perf_counter() - start:.0f} s",
                      flush=True)
    return results


def report(before: dict, after: dict) -> str:
    """Markdown: per cell the benchmark and, per model, before -> after deltas and switches."""
    lines = ["| tagger | cell | protocol | benchmark w / mi | model | before: on, w / mi "
             "| after: on, w / mi |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for key, res in after.items():
        tagger, cell, protocol = key.split(" | ")
        b = res["benchmark"]
        for name, row in res.items():
            if name == "benchmark":
                continue
            cells = []
            for side in (before.get(key, {}).get(name), row):
                if side is None:
                    cells.append("n/a")
                    continue
                on = sum(a > 0 for a in side["alphas"])
                weights = ",".join(f"{a:g}" for a in side["alphas"])
                cells.append(f"{on}/{len(side['alphas'])} ({weights}), "
                             f"{side['weighted'] - b['weighted']:+.4f} / "
                             f"{side['micro'] - b['micro']:+.4f}")  # fmt: skip
            lines.append(f"| {tagger} | {cell} | {protocol} | {b['weighted']:.4f} / "
                         f"{b['micro']:.4f} | {name} | {cells[0]} | {cells[1]} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="transfer repetitions")
    parser.add_argument("--subsample", type=int, default=160, help="artists per subsample")
    parser.add_argument("--seeds", type=int, default=3, help="subsamples per tagger")
    parser.add_argument("--network", action="store_true",
                        help="the default model instead (halves keep test; crossfit too under CV), "
                        "on the whole folders only")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--report", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                        help="print two runs' JSON side by side")
    args = parser.parse_args(argv)
    if args.report:
        before, after = (json.loads(p.read_text()) for p in args.report)
        print(report(before, after))
        return 0
    if not any(p.is_dir() for p in TAGGERS.values()):
        print("skipped: no tagger data under ../shared/data")
        return 0
    results = run(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
