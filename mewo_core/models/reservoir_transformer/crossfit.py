"""Cross-fitted keep test (``keep_test="crossfit"``): the network's correction judged on every
training artist, not on two halves of the validation split.

The training rows (fit + validation) are cut into ``K`` artist-grouped folds; for each fold a
network (same settings, the main network's epoch count) is trained on the other folds and gives
the fold's out-of-fold (own, correction). Per tag and weight ``w`` of the grid (``w = 0``: the
tag's raw score, the benchmark), thresholds tuned on the other folds' out-of-fold scores decide
each fold; the pooled counts give one F1 per tag and weight. A paired group bootstrap over the
artists gives each gain's standard error and 95 % interval. A tag keeps the weight with the
largest gain less :data:`Z_KEEP` standard errors when that is above 0, the gain is above the
margin and the tag has enough positives; its threshold is then fitted on the out-of-fold
blended scores of all training rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...data import fold_of_groups
from ...scoring.bootstrap import bootstrap, group_counts
from ...scoring.counts import counts_at
from ...scoring.metrics import tag_f1
from ...scoring.thresholds import f1_optimal_thresholds

#: Standard errors a tag's gain is shrunk by before it may keep the correction (one-sided 95 %).
Z_KEEP = 1.645
#: Group-bootstrap replicates behind the standard errors and intervals.
REPLICATES = 500


@dataclass(frozen=True)
class CrossFitChoice:
    """Per tag: the weight kept (0: fallback), the CV F1 of fallback and of the best weight, the
    best weight's CV gain with its 95 % interval, and the out-of-fold parts of every row."""

    weights: np.ndarray
    f1_fallback: np.ndarray
    f1_chosen: np.ndarray
    gain: np.ndarray
    gain_low: np.ndarray
    gain_high: np.ndarray
    own: np.ndarray
    correction: np.ndarray


def out_of_fold(
    n_rows: int,
    folds: np.ndarray,
    n_folds: int,
    fit_fold: Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold (own, correction): ``fit_fold(train_rows, held_rows, k)`` trains on the
    first and returns the parts of the second."""
    own = correction = None
    for k in range(n_folds):
        held, rest = np.flatnonzero(folds == k), np.flatnonzero(folds != k)
        if held.size == 0 or rest.size == 0:
            continue
        o, c = fit_fold(rest, held, k)
        if own is None:
            own = np.zeros((n_rows, o.shape[1]), dtype=np.float64)
            correction = np.zeros_like(own)
        own[held], correction[held] = o, c
    if own is None:
        raise ValueError("cross-fitting needs at least two non-empty folds")
    return own, correction


def _decided(scores: np.ndarray, labels: np.ndarray, folds: np.ndarray, n_folds: int) -> np.ndarray:
    """Each fold's decisions with thresholds tuned on the other folds (tracks x tags)."""
    out = np.zeros(scores.shape, dtype=bool)
    for k in range(n_folds):
        held, rest = folds == k, folds != k
        if held.any() and rest.any():
            out[held] = scores[held] >= f1_optimal_thresholds(scores[rest], labels[rest])
    return out


def choose_cross_fitted(
    raw: np.ndarray,
    own: np.ndarray,
    correction: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    folds: np.ndarray,
    n_folds: int,
    grid: tuple[float, ...],
    margin: float,
    min_positives: int,
    seed: int = 0,
) -> CrossFitChoice:
    """The keep test of the module docstring on out-of-fold parts of every training row."""
    y = np.asarray(labels, dtype=bool)
    sides = [_decided(raw, y, folds, n_folds)]
    sides += [_decided(own + w * correction, y, folds, n_folds) for w in grid]
    f1 = np.stack([tag_f1(*_tp_fp_fn(y, d)) for d in sides])  # (1 + W, T)
    reps = bootstrap(group_counts(y, sides, groups, seed), REPLICATES, seed)
    base_reps = reps.tag_f1(0)
    gain_reps = np.stack([reps.tag_f1(i) - base_reps for i in range(1, len(sides))])  # (W, R, T)
    gains = f1[1:] - f1[0]
    shrunk = gains - Z_KEEP * gain_reps.std(axis=1)
    best = np.argmax(shrunk, axis=0)  # per tag, the weight of largest shrunk gain
    tags = np.arange(y.shape[1])
    enough = y.sum(axis=0) >= min_positives
    keep = enough & (shrunk[best, tags] > 0) & (gains[best, tags] > margin)
    weights = np.where(keep, np.asarray(grid, dtype=np.float64)[best], 0.0)
    low, high = np.quantile(gain_reps[best, :, tags], [0.025, 0.975], axis=1)
    return CrossFitChoice(
        weights=weights,
        f1_fallback=f1[0],
        f1_chosen=np.where(keep, f1[1 + best, tags], f1[0]),
        gain=gains[best, tags],
        gain_low=low,
        gain_high=high,
        own=own,
        correction=correction,
    )


def _tp_fp_fn(y: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = counts_at(d.astype(np.float64), y, np.full(y.shape[1], 0.5), rows=False)
    return c.tp, c.fp, c.fn


def grouped_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """The cross-fitting folds: whole groups (artists) together, seeded."""
    return fold_of_groups(groups, n_folds, seed)
