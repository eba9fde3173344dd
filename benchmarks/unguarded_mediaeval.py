"""What the per-tag fallback is worth on real data: guarded vs unguarded correction, MediaEval.

Artist-grouped 5-fold cross-validation (the same folds as ``ablation.py``). "guarded" is the
model's own decision; "unguarded" keeps the learned correction on every tag (w = 1) with
per-tag F1-optimal thresholds tuned on the validation split. Skips if the data is absent.

    .venv/bin/python benchmarks/unguarded_mediaeval.py [variant]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.data import Dataset, group_kfold, load_folder, split_dataset  # noqa: E402
from mewo_core.models import create_model  # noqa: E402
from mewo_core.scoring.thresholds import f1_optimal_thresholds  # noqa: E402

MEDIAEVAL = ROOT.parent / "shared" / "data" / "mediaeval2019-vggish"


def full_logits(model, data: Dataset) -> np.ndarray:  # noqa: ANN001
    """Own logit + the whole correction (w = 1) for every tag."""
    Z = model.transform_.transform(model.align(data).X)
    own, corr = model._parts(model._inputs(Z), model._own(Z))
    return own + corr


def main(variant: str = "transformer-only") -> int:
    if not MEDIAEVAL.is_dir():
        print(f"skipped: {MEDIAEVAL} not found")
        return 0
    data = load_folder(MEDIAEVAL).train
    guarded, unguarded = np.zeros_like(data.Y), np.zeros_like(data.Y)
    for rows in group_kfold(data, 5, 0, group_column="artist_id"):
        mask = np.zeros(data.n_tracks, dtype=bool)
        mask[rows] = True
        fit, validation = split_dataset(data.subset(np.flatnonzero(~mask)), 0.2, 0)
        test = data.subset(rows)
        model = create_model("reservoir-transformer", variant=variant).fit(fit, validation)
        guarded[rows] = model.predict(test)
        thresholds = f1_optimal_thresholds(full_logits(model, validation), validation.Y)
        unguarded[rows] = full_logits(model, test) >= thresholds
    for name, pred in (("guarded", guarded), ("unguarded (w = 1)", unguarded)):
        scores = {
            a: round(f1_score(data.Y, pred, average=a, zero_division=0), 4)
            for a in ("weighted", "micro", "macro", "samples")
        }
        print(f"{variant} {name}: {scores}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
