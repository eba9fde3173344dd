"""Decisions on real tagger outputs: new threshold estimators and prior-shift adaptation.

Four real taggers on the same 4,231 tracks x 56 mood tags (``../shared/data``: the VGGish
baseline and the three systems of ``mediaeval2019-more/``; skipped when absent). Two protocols,
both split by artist, never tuned on what they decide:

``cv``
    artist-grouped 5-fold cross-validation (:func:`mewo_core.data.fold_of_groups`): fit on 4
    folds, decide the held-out one (its scores are the unlabelled catalogue adaptation sees);
    the held-out decisions of the 5 folds are pooled and scored once.
``transfer``
    fit on half of the artists, decide the other half after a prevalence shift made by
    resampling it: each tag gets a factor ``exp(u)``, ``u ~ U(-log 4, log 4)``, a track weighs
    the product of its tags' factors, and half the decided half is drawn without replacement
    in proportion. Repeated with ``--reps`` seeds; F1 averaged over repetitions.

The in-sample ceiling is the benchmark's per-tag optimum tuned on the decided set itself
(unreachable); "gap closed" is ``(estimator - benchmark) / (ceiling - benchmark)``. The
"oracle prevalence" row (a diagnostic, also unreachable) re-optimises the benchmark's own
curves at the decided set's true prevalences: what a perfect prevalence estimate would give.

    .venv/bin/python benchmarks/real_decisions.py [--reps 5] [--out docs/real-decisions.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.data import Dataset, fold_of_groups, group_labels, load_folder  # noqa: E402
from mewo_core.models import create_model  # noqa: E402
from mewo_core.robust.adaptation import CalibratedCutoff, PriorShiftAdapter  # noqa: E402
from mewo_core.robust.binormal import BinormalThresholds, EmpiricalROC  # noqa: E402
from mewo_core.scoring.metrics import AVERAGES, f1_scores  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds, global_threshold  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TAGGERS = {
    "VGGish baseline": DATA / "mediaeval2019-vggish",
    "AIT-DIL_run1": DATA / "mediaeval2019-more" / "AIT-DIL_run1",
    "TaiInn-Innsbruck_run3": DATA / "mediaeval2019-more" / "TaiInn-Innsbruck_run3",
    "Taiinn-Taiwan_run1": DATA / "mediaeval2019-more" / "Taiinn-Taiwan_run1",
}
BINORMAL = {"pooling": 20.0, "blend": 100.0}
SHIFT = np.log(4.0)

# name -> fit(train scores, train labels, train groups, decided scores) -> thresholds
Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
Decide = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _robust(metric: str) -> Fitter:
    """The project's ``robust-thresholds`` (auto) for ``metric``."""
    from mewo_core.robust.selection import fit_thresholds

    def fit(s: np.ndarray, y: np.ndarray, g: np.ndarray, _: np.ndarray) -> np.ndarray:
        return fit_thresholds(s, y, g, metric, "auto", 0)

    return fit


def _adapted(estimator: str, strength_per_track: float) -> Fitter:
    def fit(s: np.ndarray, y: np.ndarray, _: np.ndarray, decided: np.ndarray) -> np.ndarray:
        params = BINORMAL if estimator == "binormal" else None
        adapter = PriorShiftAdapter(estimator, params, strength_per_track * decided.shape[0])
        return adapter.fit(s, y).adapt(decided)[0]

    return fit


def _cutoff(adapt: bool) -> Fitter:
    def fit(s: np.ndarray, y: np.ndarray, _: np.ndarray, decided: np.ndarray) -> np.ndarray:
        if not adapt:
            return CalibratedCutoff().fit(s, y).thresholds_
        adapter = PriorShiftAdapter(CalibratedCutoff(), strength=decided.shape[0]).fit(s, y)
        return adapter.adapt(decided)[0]

    return fit


ESTIMATORS: dict[str, Fitter] = {
    "benchmark": lambda s, y, g, d: f1_optimal_thresholds(s, y),
    "robust auto (weighted)": _robust("weighted"),
    "robust auto (micro)": _robust("micro"),
    "global (micro)": lambda s, y, g, d: np.full(s.shape[1], global_threshold(s, y, "micro")),
    "binormal": lambda s, y, g, d: BinormalThresholds(**BINORMAL).fit(s, y).thresholds_,
    "adapt (EM, ML)": _adapted("empirical", 0.0),
    "adapt (EM, MAP k=n)": _adapted("empirical", 1.0),
    "binormal + adapt (MAP k=n)": _adapted("binormal", 1.0),
    "calibrated cutoff (micro)": _cutoff(False),
    "calibrated cutoff + adapt (MAP k=n)": _cutoff(True),
}


def _model(model_type: str, **params: object) -> Callable[[Dataset], Decide]:
    """A product model (``create_model(model_type, **params)``) fitted on the ``tr`` rows of
    ``data`` (its own grouped splits inside), deciding the ``te`` rows with their groups."""

    def bind(data: Dataset) -> Decide:
        def decide(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
            model = create_model(model_type, **params).fit(data.subset(tr))
            return model.predict(data.subset(te)).astype(bool)

        return decide

    return bind


# name -> decide(train rows, decided rows) -> decisions: models that read every input score
# (and, with a group context, the decided tracks' albums)
MODELS = {
    "album context + benchmark": _model("robust-thresholds", method="benchmark", context="album"),
    "robust-thresholds (context auto: album)": _model("robust-thresholds"),
    "default model, context none (previous default)": _model(
        "reservoir-transformer", context="none"
    ),
    "default model (reservoir-transformer, context auto: album)": _model("reservoir-transformer"),
}


def _splits_cv(groups: np.ndarray, n_rows: int, reps: int):
    fold = fold_of_groups(groups, 5, 0)
    for k in range(5):
        yield 0, np.flatnonzero(fold != k), np.flatnonzero(fold == k)


def _splits_transfer(groups: np.ndarray, y: np.ndarray, reps: int):
    for r in range(reps):
        half = fold_of_groups(groups, 2, r)
        fit_rows, other = np.flatnonzero(half == 0), np.flatnonzero(half == 1)
        rng = np.random.default_rng(1000 + r)
        u = rng.uniform(-SHIFT, SHIFT, y.shape[1])
        weight = np.exp(y[other].astype(np.float64) @ u)
        picked = rng.choice(other.size, other.size // 2, replace=False, p=weight / weight.sum())
        yield r, fit_rows, np.sort(other[picked])


def evaluate(
    s: np.ndarray, y: np.ndarray, g: np.ndarray, protocol: str, reps: int,
    data: Dataset | None = None,
    models: dict[str, Callable[[Dataset], Decide]] | None = None,
) -> dict:
    """Per estimator (and ``ceiling``; with ``data``, the :data:`MODELS` too): F1 per average,
    averaged over repetitions."""
    splits = _splits_cv(g, len(y), reps) if protocol == "cv" else _splits_transfer(g, y, reps)
    decisions: dict[tuple[str, int], np.ndarray] = {}
    truth: dict[int, list[np.ndarray]] = {}
    shifts = []
    for r, tr, te in splits:
        pi, q = y[tr].mean(axis=0), y[te].mean(axis=0)
        ok = (pi > 0) & (q > 0)
        shifts.append(float(np.mean(np.abs(np.log(q[ok] / pi[ok])))))
        truth.setdefault(r, []).append(y[te])
        found = {
            "ceiling": f1_optimal_thresholds(s[te], y[te]),
            "oracle prevalence": EmpiricalROC().fit(s[tr], y[tr]).thresholds_at(q),
        }
        for name, fit in ESTIMATORS.items():
            found[name] = fit(s[tr], y[tr], g[tr], s[te])
        for name, thr in found.items():
            decisions.setdefault((name, r), []).append(s[te] >= thr)
        if data is not None:
            for name, model in (MODELS if models is None else models).items():
                decisions.setdefault((name, r), []).append(model(data)(tr, te))
    out: dict[str, dict[str, float]] = {}
    for (name, r), parts in decisions.items():
        f = f1_scores(np.vstack(truth[r]), np.vstack(parts))
        acc = out.setdefault(name, dict.fromkeys(AVERAGES, 0.0))
        for m in AVERAGES:
            acc[m] += f[m] / len(truth)
    out["_shift"] = {"mean |log(q / pi)|": float(np.mean(shifts))}
    return out


def table(title: str, res: dict) -> str:
    bench, ceil = res["benchmark"], res["ceiling"]
    shift = res["_shift"]["mean |log(q / pi)|"]
    lines = [
        f"**{title}** (mean |log(decided / labelled prevalence)| per tag: {shift:.2f})",
        "",
        "| estimator | weighted F1 | micro F1 | macro F1 | samples F1 | gap closed (w / mi) |",
        "|---|---|---|---|---|---|",
    ]
    names = ["benchmark", *[n for n in ESTIMATORS if n != "benchmark"]]
    names += [n for n in MODELS if n in res] + ["oracle prevalence"]
    names.append("ceiling")
    for name in names:
        row = res[name]
        cells = [
            f"{row[m]:.4f}" if name == "benchmark" else f"{row[m]:.4f} ({row[m] - bench[m]:+.4f})"
            for m in AVERAGES
        ]
        gaps = []
        for m in ("weighted", "micro"):
            gap = ceil[m] - bench[m]
            gaps.append(f"{(row[m] - bench[m]) / gap:+.0%}" if gap > 0 else "n/a")
        closed = "" if name in ("benchmark", "ceiling") else " / ".join(gaps)
        if name in ("oracle prevalence", "ceiling"):
            name = f"*{name}* (uses the decided labels)"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {closed} |")
    return "\n".join(lines)


def _sklearn_check(s: np.ndarray, y: np.ndarray) -> None:
    from sklearn.metrics import f1_score

    pred = s >= f1_optimal_thresholds(s, y)
    ours = f1_scores(y, pred)
    for m in AVERAGES:
        ref = f1_score(y, pred, average=m, zero_division=0)
        assert abs(ours[m] - ref) < 1e-12, (m, ours[m], ref)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="transfer repetitions")
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    parser.add_argument("--no-model", action="store_true", help="skip the network's rows")
    args = parser.parse_args(argv)
    found = {name: path for name, path in TAGGERS.items() if path.is_dir()}
    if not found:
        print(f"skipped: no tagger data under {DATA}")
        return 0
    models = {k: v for k, v in MODELS.items() if not (args.no_model and "default model" in k)}
    blocks, checked = [], False
    for name, path in found.items():
        data = load_folder(path).train
        s, y = data.tag_scores(), data.Y.astype(bool)
        g = group_labels(data, "artist_id")
        if not checked:
            _sklearn_check(s, y)
            checked = True
        for protocol in ("cv", "transfer"):
            start = time.perf_counter()
            res = evaluate(s, y, g, protocol, args.reps, data, models)
            label = (
                "artist-grouped 5-fold CV"
                if protocol == "cv"
                else (f"transfer, half the artists -> other half resampled, {args.reps} reps")
            )
            block = table(f"{name}: {label}", res)
            print(block, f"\n\n({time.perf_counter() - start:.0f} s)\n", flush=True)
            blocks.append(block)
    if args.out:
        args.out.write_text("\n\n".join(blocks) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
