"""The review queue and label issues, measured (issue 24).

``queue``
    The demo model (``artifacts/demo-model``) and the per-tag-threshold baseline on the demo's
    test split: weighted F1 after 1 / 5 / 10 % of the decisions are checked (a check reveals the
    label), for the queue (expected F1 gain), closest-to-threshold, the calibrated probability
    that the decision is wrong ("uncertainty") and random order; calibration (ECE) of the raw
    scores and of the recalibrated probabilities; timing of the queue beside closest-to-threshold.
``real``
    The four real taggers of ``../shared/data`` (skipped when absent), out of fold: artist-grouped
    5-fold CV, per-tag thresholds (the challenge benchmark) and calibration fitted on 4 folds,
    decisions and probabilities of the held-out fold, pooled; the same four orderings.
``issues``
    Label issues on a demo catalogue written with ``demo-data --label-noise`` (its
    ``label_noise.csv`` lists the injected places) and on the same catalogue without noise:
    precision and recall of the top 1,000 against the injected places, for ours (out-of-fold
    Platt + album context), ours without the album context, and cleanlab's multi-label per-class
    ranking (``get_label_quality_scores_per_class``) on the same out-of-fold probabilities;
    labels flagged more likely wrong than right; timing.

    .venv/bin/python benchmarks/bench_review.py queue --demo DIR [--model artifacts/demo-model]
    .venv/bin/python benchmarks/bench_review.py real
    .venv/bin/python benchmarks/bench_review.py issues --noisy DIR --clean DIR
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _timing import timed  # noqa: E402

from mewo_core.data import fold_of_groups, group_kfold, group_labels, load_folder  # noqa: E402
from mewo_core.review import (  # noqa: E402
    TagCalibrator,
    build_queue,
    compare_orderings,
    ece_by_class,
    ordering,
)
from mewo_core.review.label_issues import (  # noqa: E402
    find_label_issues,
    out_of_fold_probabilities,
)
from mewo_core.review.workflow import fit_calibrator, whole_catalogue  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TAGGERS = {
    "VGGish baseline": DATA / "mediaeval2019-vggish",
    "AIT-DIL_run1": DATA / "mediaeval2019-more" / "AIT-DIL_run1",
    "TaiInn-Innsbruck_run3": DATA / "mediaeval2019-more" / "TaiInn-Innsbruck_run3",
    "Taiinn-Taiwan_run1": DATA / "mediaeval2019-more" / "Taiinn-Taiwan_run1",
}
FRACTIONS = (0.01, 0.05, 0.10)
NAMES = ("gain", "closest", "uncertainty", "random")


def _table(curves: pd.DataFrame, base: float) -> str:
    """One markdown row per ordering: F1 (gain) after each fraction; ratios to closest."""
    wide = curves.pivot(index="ordering", columns="fraction", values="gain").loc[list(NAMES)]
    head = "| ordering | " + " | ".join(f"after {f:.0%}" for f in FRACTIONS) + " |"
    lines = [head, "|" + "---|" * (len(FRACTIONS) + 1)]
    for name, row in wide.iterrows():
        cells = [f"{base + v:.4f} ({v:+.4f})" for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratio = wide.loc["gain"] / wide.loc["closest"]
    lines.append("| gain / closest | " + " | ".join(f"{r:.2f}x" for r in ratio) + " |")
    return "\n".join(lines)


def _base_f1(d: np.ndarray, y: np.ndarray) -> float:
    from mewo_core.scoring.counts import count_decisions
    from mewo_core.scoring.metrics import f1_score

    return f1_score(count_decisions(y, d), "weighted")


def bench_queue(args: argparse.Namespace) -> None:
    from mewo_core.artifacts import read_manifest
    from mewo_core.session import Session

    bundle = load_folder(args.demo)
    for label, session in (
        ("demo model", Session(bundle, str(args.demo), model_path=args.model,
                               manifest=read_manifest(args.model), model_name="demo-model")),
        ("per-tag thresholds (baseline)", Session(bundle, str(args.demo))),
    ):  # fmt: skip
        model = session.model
        test = session.part("test")
        s_tune = session.scores("model", "tuning")
        t0 = time.perf_counter()
        calibrator = fit_calibrator(session.tuning_data("model"), s_tune)
        fit_s = time.perf_counter() - t0
        s = session.scores("model", "test")
        t0 = time.perf_counter()
        p = calibrator.predict_proba(s)
        proba_s = time.perf_counter() - t0
        d = model.decide(s).astype(bool)
        y = test.require_labels()
        curves = compare_orderings(
            p, d, y, scores=s, thresholds=model.thresholds_, fractions=FRACTIONS
        )
        methods = pd.Series(calibrator.method_).value_counts().to_dict()
        print(f"\n### {label}: demo test split, {d.shape[0]:,} x {d.shape[1]} decisions")
        print(f"tuning rows: {s_tune.shape[0]:,}; calibration per tag: {methods}; "
              f"fit {fit_s:.1f} s, probabilities of the split {proba_s:.2f} s\n")  # fmt: skip
        print(_table(curves, _base_f1(d, y)))
        gain = curves[curves.ordering == "gain"]
        print("\nexpected gain of the queue (from the probabilities): "
              + ", ".join(f"{f:.0%} {v:+.4f}" for f, v in zip(FRACTIONS, gain.expected_gain,
                                                               strict=True)))  # fmt: skip
        cal = ece_by_class(p, y, test.tag_classes)
        raw = ece_by_class(np.clip(np.nan_to_num(s, neginf=0.0), 0, 1), y, test.tag_classes)
        print("\nECE (10 bins) | " + " | ".join(cal["class"]) + " |")
        print("|---|" + "---|" * len(cal))
        print("| decision scores as probabilities | " + " | ".join(f"{v:.4f}" for v in raw.ece)
              + " |")  # fmt: skip
        print("| recalibrated (tuning rows) | " + " | ".join(f"{v:.4f}" for v in cal.ece) + " |")
        if label == "demo model":
            _timings(p, d, s, model.thresholds_)


def _timings(p: np.ndarray, d: np.ndarray, s: np.ndarray, thresholds: np.ndarray) -> None:
    """The queue beside closest-to-threshold, from probabilities / scores already computed."""
    k10 = int(0.10 * d.size)
    rows = []
    for name, fn in (
        ("queue, top 500", lambda: build_queue(p, d, 500)),
        (f"queue, top 10 % ({k10:,})", lambda: build_queue(p, d, k10)),
        ("closest-to-threshold, top 10 %", lambda: ordering(
            "closest", k10, probability=p, decisions=d, scores=s, thresholds=thresholds)),
    ):  # fmt: skip
        best, median, cpu, _ = timed(fn, 3)
        rows.append(f"| {name} | {best:.3f} s | {median:.3f} s | {cpu:.3f} s |")
    print(f"\n| ranking {d.shape[0]:,} x {d.shape[1]} decisions | best wall | median wall | "
          "best CPU |")  # fmt: skip
    print("|---|---|---|---|")
    print("\n".join(rows))


def bench_real(args: argparse.Namespace) -> None:
    present = {k: v for k, v in TAGGERS.items() if (v / "x.csv").exists()}
    if not present:
        print("real data absent (../shared/data): skipped")
        return
    for name, folder in present.items():
        data = load_folder(folder).train
        s, y = data.tag_scores(), data.require_labels()
        groups = group_labels(data)  # artists: the coarsest grouping
        fold = fold_of_groups(groups, 5, seed=0)
        p = np.zeros(s.shape)
        d = np.zeros(s.shape, dtype=bool)
        distance = np.zeros(s.shape)
        for k in range(5):
            tr, te = fold != k, fold == k
            thresholds = f1_optimal_thresholds(s[tr], y[tr])
            cal = TagCalibrator(seed=0).fit(s[tr], y[tr], groups[tr])
            p[te] = cal.predict_proba(s[te])
            d[te] = s[te] >= thresholds
            distance[te] = s[te] - thresholds
        curves = compare_orderings(
            p, d, y, scores=distance, thresholds=np.zeros(s.shape[1]), fractions=FRACTIONS
        )
        ece = ece_by_class(p, y, data.tag_classes)["ece"].iloc[-1]
        raw = ece_by_class(np.clip(s, 0, 1), y, data.tag_classes)["ece"].iloc[-1]
        print(f"\n### {name}: {s.shape[0]:,} x {s.shape[1]} out-of-fold decisions "
              f"(ECE raw {raw:.4f}, recalibrated {ece:.4f})\n")  # fmt: skip
        print(_table(curves, _base_f1(d, y)))


def _precision_recall(top: np.ndarray, injected: np.ndarray) -> tuple[float, float]:
    hits = injected.ravel()[top].sum()
    return hits / top.size, hits / injected.sum()


def bench_issues(args: argparse.Namespace) -> None:
    from cleanlab.multilabel_classification.rank import get_label_quality_scores_per_class

    from mewo_core.demo.noise import NOISE_FILE
    from mewo_core.review import top_positions

    noisy = whole_catalogue(load_folder(args.noisy))
    clean = whole_catalogue(load_folder(args.clean))
    places = pd.read_csv(Path(args.noisy) / NOISE_FILE)
    row = pd.Series(np.arange(noisy.n_tracks), index=noisy.ids)
    col = pd.Series(np.arange(noisy.n_tags), index=list(noisy.tag_names))
    injected = np.zeros(noisy.Y.shape, dtype=bool)
    injected[row[places["ChallengeID"]].to_numpy(), col[places["tag"]].to_numpy()] = True
    print(f"\n### label issues: {noisy.n_tracks:,} tracks x {noisy.n_tags} tags, "
          f"{injected.sum():,} injected ({(places.true_label == 1).sum():,} missing, "
          f"{(places.true_label == 0).sum():,} spurious); chance precision "
          f"{injected.mean():.4f}\n")  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    folds = group_kfold(noisy, 5, 0)
    p = out_of_fold_probabilities(noisy.tag_scores(), noisy.Y, folds)
    oof_s, oof_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    ours = find_label_issues(noisy, probability=p)
    ctx_s, ctx_cpu = time.perf_counter() - t0, time.process_time() - c0
    alone = find_label_issues(noisy, probability=p, context=False)
    labels = [np.flatnonzero(r).tolist() for r in noisy.Y]
    t0 = time.perf_counter()
    quality = np.asarray(get_label_quality_scores_per_class(labels, p))  # (tracks, tags)
    cl_s = time.perf_counter() - t0
    adjusted = np.asarray(get_label_quality_scores_per_class(labels, p, adjust_pred_probs=True))
    assert quality.shape == adjusted.shape == p.shape
    rankings = {
        "ours: out-of-fold Platt + album context": top_positions(ours.issue, args.top),
        "ours without the album context": top_positions(alone.issue, args.top),
        "cleanlab per-class self-confidence": top_positions(-quality, args.top),
        "cleanlab, adjust_pred_probs=True": top_positions(-adjusted, args.top),
    }
    print(f"| ranking | precision at {args.top:,} | recall at {args.top:,} |")
    print("|---|---|---|")
    for name, top in rankings.items():
        prec, rec = _precision_recall(top, injected)
        print(f"| {name} | {prec:.3f} | {rec:.4f} |")
    t0, c0 = time.perf_counter(), time.process_time()
    clean_issues = find_label_issues(clean)
    clean_s, clean_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"\nlabels flagged more likely wrong than right (issue score > 0.5): noisy "
          f"{ours.flagged():,}, clean {clean_issues.flagged():,}; weights (score, album, bias) "
          f"noisy {np.round(ours.weights, 3).tolist()}")  # fmt: skip
    print(f"\ntiming: out-of-fold probabilities (5 artist folds) {oof_s:.1f} s wall / "
          f"{oof_cpu:.1f} s CPU; album context + ranking {ctx_s:.1f} s / {ctx_cpu:.1f} s; "
          f"everything on the clean catalogue (find_label_issues) {clean_s:.1f} s / "
          f"{clean_cpu:.1f} s CPU; cleanlab's per-class scores {cl_s:.1f} s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    q = sub.add_parser("queue")
    q.add_argument("--demo", required=True, help="the demo data folder (demo-data --out DIR)")
    q.add_argument("--model", default=str(ROOT / "artifacts" / "demo-model"))
    sub.add_parser("real")
    i = sub.add_parser("issues")
    i.add_argument("--noisy", required=True, help="demo-data --label-noise --out DIR")
    i.add_argument("--clean", required=True, help="the same catalogue without --label-noise")
    i.add_argument("--top", type=int, default=1000)
    args = ap.parse_args()
    {"queue": bench_queue, "real": bench_real, "issues": bench_issues}[args.what](args)


if __name__ == "__main__":
    main()
