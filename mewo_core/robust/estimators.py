"""The robust per-tag threshold estimators, each fitted on training data only.

The challenge benchmark picks, per tag, the threshold that maximises that tag's F1 on the
training data. That argmax is noisy (above all for rare tags) and, for rare tags, sits low: a
tag whose best F1 is small is F1-optimal with many false positives. The estimators here aim
to judge well on held-out data, not only in-sample:

``benchmark``
    exact per-tag F1-optimal thresholds
    (:func:`mewo_core.scoring.thresholds.f1_optimal_thresholds`).
``global``
    one threshold for every tag, tuned for the target metric.
``category``
    one threshold per category, each tuned for the target metric within its category (for
    ``samples``, for micro F1 within the category: samples F1 does not split by category).
``micro-tag``
    per-tag thresholds maximising the micro F1 of all tags together (coordinate ascent from
    the benchmark): a tag predicts down to where its marginal precision falls below half the
    micro F1, so weak tags predict less.
``bootstrap``
    per-tag optimal thresholds on resamples of whole groups (albums, artists), aggregated by
    their mean (or median) in the transformed space.
``shrinkage``
    each tag's threshold (the bootstrap one, or for micro and samples F1 also the micro-tag
    one) pulled toward a prior (the global or its category's threshold) in the
    transformed space: ``z = w z_tag + (1 - w) z_prior`` with the empirical-Bayes weight
    ``w = tau2 / (tau2 + var_tag)``; ``var_tag`` is the tag threshold's group-bootstrap variance
    and ``tau2`` the spread of the true tag thresholds around the prior, estimated by moments
    (``mean((z_tag - z_prior)^2) - mean(var_tag)``). Noisy thresholds (rare tags, flat F1 curves)
    move most. The strength ``1 / tau2`` is this estimate, or a multiple of it chosen by
    grouped cross-validation (:mod:`.selection`).

The transformed space (:class:`~mewo_core.scoring.space.ScoreSpace`): when all finite scores
lie in [0, 1] (probabilities), the logit of the scores clipped to [1e-6, 1 - 1e-6]; otherwise
the scores themselves (identity). The choice is made on the training scores. Thresholds are
always returned in score space; ``+inf`` means "never predict this tag" (no positive in the
training data).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..scoring.metrics import AVERAGES, safe_ratio, tag_f1
from ..scoring.parallel import map_tasks
from ..scoring.space import ScoreSpace
from ..scoring.thresholds import f1_optimal_thresholds, global_threshold, per_group_thresholds


def check_metric(metric: str) -> str:
    """``metric`` if it is one of the F1 averages, else a ValueError."""
    if metric not in AVERAGES:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(AVERAGES)}")
    return metric


# --- global and per-category thresholds ---------------------------------------------------------

N_CANDIDATES = 256
_ROW_CHUNK = 8192


def _quantile_grid(scores: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Candidate thresholds: quantiles of the positives' scores and of the upper half of all."""
    flat = scores.ravel()
    if flat.size > 2_000_000:
        flat = flat[rng.integers(0, flat.size, 2_000_000)]
    flat = flat[np.isfinite(flat)]
    pos = scores[labels.astype(bool) & np.isfinite(scores)]
    parts = [np.quantile(flat, np.linspace(0.5, 1.0, N_CANDIDATES // 2))] if flat.size else []
    if pos.size:
        parts.append(np.quantile(pos, np.linspace(0.0, 1.0, N_CANDIDATES // 2)))
    if not parts:
        return np.array([np.inf])
    return np.unique(np.concatenate(parts))


def _tag_curves(
    scores: np.ndarray, labels: np.ndarray, cands: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per tag and candidate ``c``: (tp, predicted) of ``scores >= c`` (tags x candidates)."""
    n_tags, m = scores.shape[1], cands.size
    bins = np.searchsorted(cands, scores, side="right")  # number of candidates <= score
    flat = bins + (m + 1) * np.arange(n_tags)
    pos = np.bincount(flat[labels.astype(bool)], minlength=n_tags * (m + 1))
    allc = np.bincount(flat.ravel(), minlength=n_tags * (m + 1))
    pos, allc = pos.reshape(n_tags, m + 1), allc.reshape(n_tags, m + 1)
    # decision at candidate i: bins >= i + 1
    tp = np.cumsum(pos[:, ::-1], axis=1)[:, ::-1][:, 1:]
    pred = np.cumsum(allc[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return tp, pred


def _samples_curve(scores: np.ndarray, labels: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Samples F1 of one shared threshold, for every candidate."""
    m = cands.size
    total = np.zeros(m)
    for start in range(0, scores.shape[0], _ROW_CHUNK):
        s = scores[start : start + _ROW_CHUNK]
        y = labels[start : start + _ROW_CHUNK].astype(bool)
        bins = np.searchsorted(cands, s, side="right")
        rows = s.shape[0]
        flat = bins + (m + 1) * np.arange(rows)[:, None]
        pos = np.bincount(flat[y], minlength=rows * (m + 1)).reshape(rows, m + 1)
        allc = np.bincount(flat.ravel(), minlength=rows * (m + 1)).reshape(rows, m + 1)
        tp = np.cumsum(pos[:, ::-1], axis=1)[:, ::-1][:, 1:]
        pred = np.cumsum(allc[:, ::-1], axis=1)[:, ::-1][:, 1:]
        total += tag_f1(tp, pred - tp, y.sum(axis=1)[:, None] - tp).sum(axis=0)
    return total / max(scores.shape[0], 1)


def _curve_f1(tp: np.ndarray, pred: np.ndarray, n_pos: np.ndarray, metric: str) -> np.ndarray:
    """Metric (weighted / micro / macro) at each candidate, from per-tag curves of some tags."""
    if metric in ("micro", "samples"):
        return safe_ratio(2 * tp.sum(axis=0), pred.sum(axis=0) + n_pos.sum())
    f1 = tag_f1(tp, pred - tp, n_pos[:, None] - tp)
    if metric == "macro":
        return f1.mean(axis=0)
    w = n_pos.astype(np.float64)
    return (f1 * w[:, None]).sum(axis=0) / max(w.sum(), 1.0)


def shared_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    metric: str = "micro",
    categories: Sequence[str] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """One threshold per category (or one for all tags when ``categories`` is None), per tag.

    Micro and weighted: exact (:mod:`mewo_core.scoring.thresholds`). Macro and samples: the best of
    quantile candidates (samples uses micro F1 within each category, see the module docstring).
    Tags with no positive get ``+inf``.
    """
    check_metric(metric)
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    n_pos = labels.sum(axis=0)
    by_cat = categories is not None and len(set(categories)) > 1
    if metric in ("micro", "weighted") or (metric == "samples" and by_cat):
        exact = "weighted" if metric == "weighted" else "micro"
        if by_cat:
            out = per_group_thresholds(scores, labels, list(categories), exact)
        else:
            out = np.full(scores.shape[1], global_threshold(scores, labels, exact))
        return np.where(n_pos > 0, out, np.inf)
    cands = _quantile_grid(scores, labels, np.random.default_rng(seed))
    out = np.full(scores.shape[1], np.inf)
    if metric == "samples":
        out[n_pos > 0] = cands[int(np.argmax(_samples_curve(scores, labels, cands)))]
        return out
    tp, pred = _tag_curves(scores, labels, cands)
    cats = np.zeros(scores.shape[1], dtype=np.int64)
    if by_cat:
        cats = np.unique(np.asarray(categories), return_inverse=True)[1].reshape(-1)
    for c in np.unique(cats):
        tags = np.flatnonzero((cats == c) & (n_pos > 0))
        if tags.size:
            curve = _curve_f1(tp[tags], pred[tags], n_pos[tags], metric)
            out[tags] = cands[int(np.argmax(curve))]
    return out


# --- bootstrap and shrinkage --------------------------------------------------------------------


@dataclass(frozen=True)
class ResampleStats:
    """Per-tag thresholds over group resamples, in the transformed space."""

    mean: np.ndarray
    median: np.ndarray
    var: np.ndarray
    n_finite: np.ndarray
    single: np.ndarray  # score-space threshold where all resamples agree, else nan


def resample_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    n_resamples: int = 16,
    fraction: float = 1.0,
    replace: bool = True,
    space: ScoreSpace | None = None,
    seed: int = 0,
    n_jobs: int | None = None,
) -> ResampleStats:
    """Per-tag F1-optimal thresholds on ``n_resamples`` resamples of whole groups.

    Each resample draws ``round(fraction * n_groups)`` groups, with or without replacement
    (``fraction=0.5, replace=False`` is half-sampling). Without groups, each row is a group.
    Every draw is made first, in order, then the resamples are solved in parallel
    (:func:`mewo_core.scoring.parallel.map_tasks`, ``n_jobs`` workers, default all; 1 is one at a
    time with threads inside each): the result does not depend on the workers.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    space = space or ScoreSpace.for_scores(scores)
    groups = np.arange(scores.shape[0]) if groups is None else np.asarray(groups)
    uniq, inverse = np.unique(groups, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(uniq.size + 1))
    rng = np.random.default_rng(seed)
    n_draw = max(1, round(fraction * uniq.size))
    draws = []
    for _ in range(n_resamples):
        pick = rng.choice(uniq.size, size=n_draw, replace=replace)
        if not replace:
            pick = np.sort(pick)
        lengths = starts[pick + 1] - starts[pick]
        offsets = np.repeat(starts[pick] - (np.cumsum(lengths) - lengths), lengths)
        rows = order[offsets + np.arange(offsets.size)]
        draws.append(np.sort(rows) if not replace else rows)
    inner = None if n_jobs == 1 or n_resamples <= 1 else 1  # threads inside, or across
    calls = [(scores, labels, rows, inner) for rows in draws]
    raw = np.asarray(map_tasks(_resample_thresholds, calls, n_jobs), dtype=np.float64)
    raw = raw.reshape(n_resamples, scores.shape[1])
    z = space.forward(raw)
    finite = np.isfinite(z)
    zn = np.where(finite, z, np.nan)
    n_finite = finite.sum(axis=0)
    rawn = np.where(finite, raw, np.nan)
    with warnings.catch_warnings():  # all-nan columns (tags never positive) give nan quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(zn, axis=0)
        median = np.nanmedian(zn, axis=0)
        var = np.nanvar(zn, axis=0)
        lo, hi = np.nanmin(rawn, axis=0), np.nanmax(rawn, axis=0)
    single = np.where(lo == hi, lo, np.nan)
    return ResampleStats(mean, median, var, n_finite, single)


def _resample_thresholds(
    scores: np.ndarray, labels: np.ndarray, rows: np.ndarray, n_jobs: int | None
) -> np.ndarray:
    """One resample's per-tag thresholds (a task of :func:`resample_thresholds`)."""
    return f1_optimal_thresholds(scores[rows], labels[rows], n_jobs=n_jobs)


def aggregate_resamples(
    stats: ResampleStats, fallback: np.ndarray, space: ScoreSpace, how: str = "mean"
) -> np.ndarray:
    """Score-space thresholds from resample statistics; ``fallback`` where no resample had one.

    Where every resample gave the same threshold, that exact value is kept.
    """
    z = stats.mean if how == "mean" else stats.median
    out = space.inverse(np.where(stats.n_finite > 0, z, 0.0))
    out = np.where(np.isnan(stats.single), out, stats.single)
    out = np.where(stats.n_finite > 0, out, fallback)
    return np.where(np.isfinite(fallback), out, fallback)  # no positive at all: never predict


def eb_tau2(center_z: np.ndarray, prior_z: np.ndarray, var: np.ndarray) -> float:
    """Moment estimate of the spread of true tag thresholds around their prior (>= a floor)."""
    ok = np.isfinite(center_z) & np.isfinite(prior_z) & np.isfinite(var)
    if not ok.any():
        return 1.0
    d2 = (center_z[ok] - prior_z[ok]) ** 2
    floor = 1e-2 * max(float(np.mean(d2)), 1e-6)
    return max(float(np.mean(d2) - np.mean(var[ok])), floor)


def shrink(
    center: np.ndarray,
    prior: np.ndarray,
    var: np.ndarray,
    strength: float,
    space: ScoreSpace,
) -> np.ndarray:
    """``center`` pulled toward ``prior`` in the transformed space (score-space in and out).

    Weight of the centre ``w = 1 / (1 + strength * var)``: ``strength=0`` returns ``center``
    exactly; tags with an infinite centre or prior, or no variance estimate, keep their centre.
    """
    cz, pz = space.forward(center), space.forward(prior)
    v = np.where(np.isfinite(var), var, 0.0)
    w = 1.0 / (1.0 + strength * v)
    ok = np.isfinite(cz) & np.isfinite(pz) & (w < 1.0)
    mixed = space.inverse(np.where(ok, w * cz + (1 - w) * np.where(ok, pz, 0.0), 0.0))
    return np.where(ok, mixed, center)


# --- per-tag thresholds for micro F1 ------------------------------------------------------------


def micro_optimal_thresholds(
    scores: np.ndarray, labels: np.ndarray, start: np.ndarray | None = None, n_sweeps: int = 4
) -> np.ndarray:
    """Per-tag thresholds maximising the pooled (micro) F1 of all tags together, in-sample.

    Coordinate ascent from ``start`` (default: the per-tag F1 optima): each tag in turn takes
    the threshold (one of its positives' scores) that maximises micro F1 with the other tags'
    decisions fixed. Micro F1 never decreases; a tag's threshold goes down only while its
    marginal precision beats half the current micro F1, so weak tags predict less than per-tag
    F1 wants. Tags with positives keep a finite threshold; tags without get ``+inf``.
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels).astype(bool)
    n_rows, n_tags = scores.shape
    start = f1_optimal_thresholds(scores, labels) if start is None else np.asarray(start)
    curves, state = [], np.zeros(n_tags, dtype=np.int64)  # index in the curve; 0 = never
    for j in range(n_tags):
        col = scores[:, j]
        cand = np.unique(col[labels[:, j]])[::-1]  # positives' scores, descending
        ordered = np.sort(col)
        tp = np.searchsorted(np.sort(-col[labels[:, j]]), -cand, side="right")
        pred = n_rows - np.searchsorted(ordered, cand, side="left")
        curves.append((np.r_[np.inf, cand], np.r_[0, tp], np.r_[0, pred]))
        state[j] = int(np.searchsorted(-curves[j][0], -start[j], side="left"))
        if state[j] >= curves[j][0].size or curves[j][0][state[j]] != start[j]:
            state[j] = min(1, cand.size)  # start not a positive's score: begin at the top one
    n_pos = int(labels.sum())
    total_tp = sum(int(curves[j][1][state[j]]) for j in range(n_tags))
    total_pred = sum(int(curves[j][2][state[j]]) for j in range(n_tags))
    for _ in range(n_sweeps):
        changed = False
        for j in range(n_tags):
            thr, tp, pred = curves[j]
            a = total_tp - tp[state[j]]
            b = total_pred - pred[state[j]] + n_pos
            value = (a + tp) / np.maximum(b + pred, 1)
            if thr.size > 1:
                value[0] = -np.inf  # a tag with positives keeps at least its top track(s)
            k = int(np.argmax(value))  # ties: the first, i.e. the highest threshold
            if value[k] > value[state[j]] and k != state[j]:
                total_tp += int(tp[k] - tp[state[j]])
                total_pred += int(pred[k] - pred[state[j]])
                state[j], changed = k, True
        if not changed:
            break
    return np.array([curves[j][0][state[j]] for j in range(n_tags)], dtype=np.float64)
