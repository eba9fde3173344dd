"""Per-tag choice of how much of the learned correction to keep, decided honestly on validation.

On real data under grouped splits, relational models often lose to per-tag thresholds; so each
tag keeps the Transformer's correction only where validation shows it helps. The validation
split is cut in two halves by group (A, B). For every blend weight ``w`` of the grid (``w = 0``
is the tag's own raw score, i.e. the benchmark), a threshold is tuned on one half and scored on
the other, both ways, and the out-of-half counts are pooled into one F1 per tag and weight.
A tag keeps its best ``w > 0`` only if that F1 beats ``w = 0`` by more than ``margin``, is
better on *each* half, and the tag has at least ``min_positives`` positives in validation;
otherwise it falls back to the benchmark. Choosing ``w`` and its threshold on the same rows
would flatter the correction on small tags; cross-fitting does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...scoring.counts import DecisionCounts, counts_at
from ...scoring.metrics import tag_f1
from ...scoring.thresholds import f1_optimal_thresholds


@dataclass(frozen=True)
class BlendChoice:
    """Per tag: the weight kept, and the cross-fitted validation F1 of fallback and choice."""

    weights: np.ndarray
    f1_fallback: np.ndarray
    f1_chosen: np.ndarray


def _cross_fitted(
    scores: np.ndarray, labels: np.ndarray, half: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled out-of-half F1 and each half's F1, thresholds tuned on the other half."""
    counts = []
    for tune, score in ((half, ~half), (~half, half)):
        thr = f1_optimal_thresholds(scores[tune], labels[tune])
        counts.append(counts_at(scores[score], labels[score], thr, rows=False))
    return tuple(_per_tag(c) for c in (counts[0] + counts[1], *counts))


def _per_tag(c: DecisionCounts) -> np.ndarray:
    return tag_f1(c.tp, c.fp, c.fn)


def choose_blend(
    raw: np.ndarray,
    own: np.ndarray,
    correction: np.ndarray,
    labels: np.ndarray,
    half: np.ndarray,
    grid: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0),
    margin: float = 0.01,
    min_positives: int = 10,
) -> BlendChoice:
    """Choose per tag a weight in ``grid`` (or 0 = fallback) as the module docstring says."""
    if half.all() or not half.any():
        n = labels.shape[1]
        return BlendChoice(np.zeros(n), np.zeros(n), np.zeros(n))
    base, base_a, base_b = _cross_fitted(raw, labels, half)
    best = base.copy()
    weights = np.zeros(labels.shape[1])
    enough = labels.sum(axis=0) >= min_positives
    for w in grid:
        f1, f1_a, f1_b = _cross_fitted(own + w * correction, labels, half)
        better = enough & (f1 > best) & (f1 > base + margin) & (f1_a > base_a) & (f1_b > base_b)
        weights[better] = w
        best[better] = f1[better]
    return BlendChoice(weights, base, best)
