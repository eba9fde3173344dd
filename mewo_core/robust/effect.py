"""Per-tag effect of a robust threshold estimator, as the Thresholds page shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset, group_labels
from ..scoring.thresholds import f1_optimal_thresholds
from .selection import fit_thresholds


def threshold_effect(
    scores: np.ndarray,
    data: Dataset,
    method: str,
    metric: str = "weighted",
    seed: int = 0,
) -> pd.DataFrame:
    """Per tag: positives, the benchmark threshold and the robust one (``method`` for
    ``metric``), fitted on ``scores`` of labelled ``data`` grouped by its coarsest groups.

    Tags without finite scores keep ``inf`` (never predicted).
    """
    labels = data.require_labels()
    has = np.isfinite(scores).all(axis=0)
    robust = np.full(data.n_tags, np.inf)
    benchmark = np.full(data.n_tags, np.inf)
    if has.any():
        s, y = scores[:, has], labels[:, has]
        cats = [c for c, ok in zip(data.tag_categories, has, strict=True) if ok]
        robust[has] = fit_thresholds(s, y, group_labels(data), metric, method, seed, cats)
        benchmark[has] = f1_optimal_thresholds(s, y)
    return pd.DataFrame(
        {
            "tag": data.tag_names,
            "class": data.tag_classes,
            "category": data.tag_categories,
            "positives": labels.sum(axis=0).astype(np.int64),
            "benchmark": benchmark,
            "robust": robust,
        }
    )
