"""Ablation of the reservoir-transformer variants against the two threshold baselines.

Datasets:
1. the demo catalogue (``--demo DIR`` or generated into a temporary folder with ``--tracks``),
   scored on its album-grouped test files; models tune on a grouped validation split of train;
2. the real MediaEval 2019 data (``--mediaeval DIR``, default ``../shared/data/...``) by
   artist-grouped 5-fold cross-validation: each fold is decided by models fitted on the other
   folds, and the out-of-fold decisions are pooled into one score. Skipped if absent.

Baselines: a global 0.5 threshold, the challenge benchmark (per-tag F1-optimal thresholds on
all training rows) and, for reference, the core's robust thresholds (``robust-thresholds``,
whose estimator the model also uses for its own final and fallback thresholds).

Prints a markdown table: weighted / micro / macro / samples F1, training and inference seconds,
and for the model the number of tags that kept the learned correction.

    .venv/bin/python benchmarks/ablation.py --tracks 110000 --epochs 12
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.data import Dataset, group_kfold, load_folder, split_dataset  # noqa: E402
from mewo_core.models import create_model  # noqa: E402
from mewo_core.models.reservoir_transformer.token_layout import VARIANTS  # noqa: E402

MEDIAEVAL = ROOT.parent / "shared" / "data" / "mediaeval2019-vggish"
AVERAGES = ("weighted", "micro", "macro", "samples")
BASELINES = ("global-threshold", "baseline", "robust-thresholds")
# The seed authors' own settings of their final model (their Optuna search; d_model stays ours).
VARIANT_PARAMS = {"seed-final": {"units": 100, "n_layers": 2}}


def f1s(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {a: float(f1_score(y, pred, average=a, zero_division=0)) for a in AVERAGES}


def run_one(name: str, train: Dataset, test: Dataset, params: dict, seed: int) -> dict:
    """Fit ``name`` (a baseline or a variant) on ``train``; decisions on ``test`` and timings."""
    start = time.perf_counter()
    if name in BASELINES:
        model = create_model(name).fit(train)
    else:
        fit, validation = split_dataset(train, 0.2, seed)
        options = {**params, **VARIANT_PARAMS.get(name, {})}
        model = create_model("reservoir-transformer", variant=name, seed=seed, **options)
        model.fit(fit, validation)
    trained = time.perf_counter()
    decisions = model.predict(test)
    done = time.perf_counter()
    kept = len(getattr(model, "kept_tags", ()))
    return {
        "pred": decisions,
        "train_s": trained - start,
        "predict_s": done - trained,
        "kept": kept,
    }


def demo_rows(folder: Path, names: list[str], params: dict, seed: int) -> list[dict]:
    bundle = load_folder(folder)
    if bundle.test is None:
        raise SystemExit(f"{folder} has no test files")
    rows = []
    for name in names:
        out = run_one(name, bundle.train, bundle.test, params, seed)
        rows.append(_row("demo", name, f1s(bundle.test.Y, out["pred"]), out, bundle.train.n_tags))
        print(_line(rows[-1]), file=sys.stderr, flush=True)
    return rows


def mediaeval_rows(folder: Path, names: list[str], params: dict, seed: int, folds: int) -> list:
    data = load_folder(folder).train
    held = group_kfold(data, folds, seed, group_column="artist_id")
    rows = []
    for name in names:
        pred = np.zeros_like(data.Y)
        total = {"train_s": 0.0, "predict_s": 0.0, "kept": 0}
        for rows_out in held:
            mask = np.zeros(data.n_tracks, dtype=bool)
            mask[rows_out] = True
            out = run_one(
                name, data.subset(np.flatnonzero(~mask)), data.subset(rows_out), params, seed
            )
            pred[rows_out] = out["pred"]
            for k in total:
                total[k] += out[k]
        total["kept"] /= len(held)
        rows.append(_row(f"mediaeval {folds}-fold", name, f1s(data.Y, pred), total, data.n_tags))
        print(_line(rows[-1]), file=sys.stderr, flush=True)
    return rows


def _row(dataset: str, name: str, scores: dict, out: dict, n_tags: int) -> dict:
    kept = f"{out['kept']:.0f}/{n_tags}" if name not in BASELINES else ""
    return {"dataset": dataset, "model": name, **scores, "train_s": out["train_s"],
            "predict_s": out["predict_s"], "kept": kept}  # fmt: skip


def _line(r: dict) -> str:
    return (
        f"| {r['dataset']} | {r['model']} | "
        + " | ".join(f"{r[a]:.4f}" for a in AVERAGES)
        + f" | {r['train_s']:.1f} | {r['predict_s']:.2f} | {r['kept']} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", type=Path, help="demo data folder (default: generate one)")
    ap.add_argument("--tracks", type=int, default=110_000, help="tracks of a generated catalogue")
    ap.add_argument("--mediaeval", type=Path, default=MEDIAEVAL)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the rows (without decisions) here")
    args = ap.parse_args(argv)
    names = [*BASELINES, *[v for v in args.variants.split(",") if v]]
    params = {} if args.epochs is None else {"epochs": args.epochs}
    rows: list[dict] = []
    print("| data | model | weighted F1 | micro F1 | macro F1 | samples F1 | train s | predict s "
          "| kept |\n|---|---|---|---|---|---|---|---|---|", file=sys.stderr)  # fmt: skip
    if not args.skip_demo:
        if args.demo is not None:
            rows += demo_rows(args.demo, names, params, args.seed)
        else:
            from mewo_core.demo import write_demo_data

            with tempfile.TemporaryDirectory() as tmp:
                write_demo_data(tmp, n_tracks=args.tracks, seed=args.seed)
                rows += demo_rows(Path(tmp), names, params, args.seed)
    if args.mediaeval.is_dir():
        rows += mediaeval_rows(args.mediaeval, names, params, args.seed, args.folds)
    else:
        print(f"skipped MediaEval: {args.mediaeval} not found", file=sys.stderr)
    print("| data | model | weighted F1 | micro F1 | macro F1 | samples F1 | train s | predict s "
          "| kept |\n|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    for r in rows:
        print(_line(r))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
