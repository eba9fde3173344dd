"""One track's decisions, the model's against the baseline's: what the Track inspector shows.

UI-free: the caller passes one track's scores, both sides' thresholds, its labels and the
model's per-tag correction weights (:meth:`DecisionModel.correction_weights`). A tag's model
decision either uses the learned correction (a reservoir-transformer's kept tags) or falls back
to the tag's raw score; :data:`SOURCE` names that column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..scoring.metrics import f1_from_counts

SOURCE = "model uses"  # column: the learned correction (with its weight) or the raw score
#: Columns of the "adds" and "removes" tables: the same for both.
CHANGE_COLUMNS = (
    "tag", SOURCE, "model score", "model threshold", "raw score",
    "baseline threshold", "truth", "change is right",
)  # fmt: skip


def track_f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    """F1 of one track's yes/no decisions against its labels: 2 TP / (predicted + labelled);
    0 when the track has neither (the project's 0/0 = 0 convention)."""
    p, t = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
    return float(f1_from_counts(int((p & t).sum()), int(p.sum()), int(t.sum())))


def score_sources(weights: np.ndarray, learned: bool = True) -> list[str]:
    """Per tag, what the model's decision score is: ``correction ×w`` (the learned correction
    with weight ``w``) where the weight is above 0, else ``raw score (fallback)``; ``raw score``
    for every tag of a model without a learned correction (``learned=False``)."""
    if not learned:
        return ["raw score"] * len(weights)
    return [f"correction ×{w:g}" if w > 0 else "raw score (fallback)"
            for w in np.asarray(weights, dtype=np.float64)]  # fmt: skip


def track_table(
    tag_names: Sequence[str],
    tag_classes: Sequence[str],
    tag_categories: Sequence[str],
    *,
    raw: np.ndarray,
    model_score: np.ndarray,
    model_threshold: np.ndarray,
    baseline_threshold: np.ndarray,
    truth: np.ndarray,
    weights: np.ndarray,
    learned: bool,
) -> pd.DataFrame:
    """One row per tag: the raw score (the baseline's decision score) and the model's, each
    side's threshold and decision (``score >= threshold``), the label and :data:`SOURCE`."""
    raw = np.asarray(raw, dtype=np.float64)
    model_score = np.asarray(model_score, dtype=np.float64)
    model_threshold = np.asarray(model_threshold, dtype=np.float64)
    baseline_threshold = np.asarray(baseline_threshold, dtype=np.float64)
    return pd.DataFrame({
        "tag": list(tag_names),
        "class": list(tag_classes),
        "category": list(tag_categories),
        SOURCE: score_sources(weights, learned),
        "raw score": raw,
        "baseline threshold": baseline_threshold,
        "baseline": raw >= baseline_threshold,
        "model score": model_score,
        "model threshold": model_threshold,
        "model": model_score >= model_threshold,
        "truth": np.asarray(truth, dtype=bool),
    })


def changes(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tags the model adds (yes where the baseline says no) and removes (the reverse), with
    the same :data:`CHANGE_COLUMNS`; ``change is right``: the label agrees with the model."""
    model, base = table["model"].to_numpy(bool), table["baseline"].to_numpy(bool)
    out = table.assign(**{"change is right": table["truth"] == table["model"]})
    cols = list(CHANGE_COLUMNS)
    return (out.loc[model & ~base, cols].reset_index(drop=True),
            out.loc[~model & base, cols].reset_index(drop=True))  # fmt: skip
