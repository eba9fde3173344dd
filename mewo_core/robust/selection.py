"""Choose among the robust estimators by grouped cross-validation: the ``auto`` method.

``auto`` is a grouped cross-validated choice among all estimators of :mod:`.estimators`
(shrinkage at 1/9 to 9 times the empirical-Bayes strength) for the target metric. It keeps a
principled default unless another candidate beats it by more than two standard errors of the
per-fold difference: on small data the cross-validated differences are mostly noise, on large
data they decide. The candidate chosen is an object (:class:`~.candidates.Candidate`) that the
final fit on all rows uses as it is.

Which estimator serves which metric, and why: weighted and macro F1 are sums of per-tag F1s,
so per-tag optima serve them; their noise is what costs held-out F1. The default for weighted
F1 is empirical-Bayes shrinkage of the bootstrap thresholds toward the shared (category, else
global) threshold tuned for it: less noise, and fewer false positives on rare tags, which
weigh little in weighted F1. Macro F1 weighs rare tags like frequent ones, and their optima
sit below the shared threshold, so its default is the bootstrap (noise removed, no pull).
Micro and samples F1 count every false positive alike, so they gain from fewer false positives
on weak tags: the default is the shared threshold tuned for micro F1 (or samples F1); when the
tags' scores are not on one scale (one threshold cannot fit all), cross-validation moves to
``micro-tag`` or to shrinkage toward it.

:func:`fit_thresholds` is the entry point (used by the ``robust-thresholds`` model and by other
models for their own final thresholds); :func:`fit_robust` also returns the chosen candidate and
the cross-validated scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data import fold_of_groups
from ..scoring.counts import DecisionCounts, counts_at
from ..scoring.metrics import f1_averages, f1_score
from .candidates import Candidate, FitContext, prior_name, refit
from .estimators import check_metric

#: The ``method`` values: one estimator, or ``auto`` (cross-validated choice among them all).
ESTIMATORS = ("benchmark", "global", "category", "bootstrap", "micro-tag", "shrinkage", "auto")
N_RESAMPLES = 16
N_FOLDS = 5
#: ``progress(step, total, message)``: called after each fold and after the final fit.
Steps = Callable[[int, int, str], None]


def default_choice(metric: str, categories: Sequence[str] | None) -> Candidate:
    """What ``auto`` keeps unless cross-validation clearly prefers another candidate.

    Weighted F1: empirical-Bayes shrinkage (per-tag optima, less noisy, fewer false positives
    on rare tags). Macro F1: the bootstrap thresholds (rare tags weigh as much as frequent ones
    and their optima sit below the shared threshold: only their noise is removed). Micro and
    samples F1: the shared threshold (global, or per category when given).
    """
    prior = prior_name(categories)
    if metric == "weighted":
        return Candidate.shrinkage(prior)
    return Candidate("bootstrap") if metric == "macro" else Candidate(prior)


@dataclass
class CVResult:
    """Pooled held-out F1 per candidate and metric, per-fold target scores, complexities."""

    metric: str
    scores: dict[Candidate, dict[str, float]]
    per_fold: dict[Candidate, np.ndarray]
    complexity: dict[Candidate, float]

    def se(self, candidate: Candidate, against: Candidate) -> float:
        """Standard error of the per-fold difference between two candidates."""
        diff = self.per_fold[against] - self.per_fold[candidate]
        return float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0

    def choose(self, default: Candidate) -> Candidate:
        """``default`` unless another candidate beats it by more than two standard errors.

        On small data the cross-validated differences are mostly noise and the principled
        default stands; on large data they are precise and the data decide.
        """
        target = {c: s[self.metric] for c, s in self.scores.items()}
        best = max(target, key=lambda c: (target[c], -self.complexity[c]))
        if default not in target or target[best] - target[default] > 2 * self.se(default, best):
            return best
        return default


@dataclass
class RobustFit:
    """Chosen thresholds, the chosen candidate, and the cross-validated scores (if any)."""

    thresholds: np.ndarray
    chosen: Candidate
    metric: str
    cv: CVResult | None = None


def cross_validate(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None,
    metric: str,
    kinds: Sequence[str],
    categories: Sequence[str] | None = None,
    n_folds: int = N_FOLDS,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    progress: Steps | None = None,
    total: int | None = None,
) -> CVResult:
    """Held-out F1 of every candidate of the estimators ``kinds``, each fitted on the other
    folds. Folds are whole groups (each track its own group when ``groups`` is None).
    ``progress`` hears of each fold done (out of ``total`` steps, the folds by default).
    """
    groups = np.arange(scores.shape[0]) if groups is None else np.asarray(groups)
    n_folds = max(2, min(n_folds, np.unique(groups).size))
    fold = fold_of_groups(groups, n_folds, seed)
    pooled: dict[Candidate, DecisionCounts] = {}
    per_fold: dict[Candidate, list[float]] = {}
    complexity: dict[Candidate, list[float]] = {}
    for k in range(n_folds):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        ctx = FitContext.build(
            scores[tr], labels[tr], groups[tr], metric, categories, n_resamples, seed + 1 + k
        )
        s_te, y_te = scores[te], labels[te]
        for cand in ctx.candidates(kinds):
            fitted = ctx.fit(cand)
            counts = counts_at(s_te, y_te, fitted.thresholds)
            pooled[cand] = counts if cand not in pooled else pooled[cand] + counts
            per_fold.setdefault(cand, []).append(f1_score(counts, metric))
            complexity.setdefault(cand, []).append(fitted.complexity)
        if progress is not None:
            progress(k + 1, total or n_folds, f"cross-validation fold {k + 1}/{n_folds}")
    kept = [c for c in pooled if len(per_fold[c]) == n_folds]
    return CVResult(
        metric,
        {c: f1_averages(pooled[c]) for c in kept},
        {c: np.asarray(per_fold[c]) for c in kept},
        {c: float(np.mean(complexity[c])) for c in kept},
    )


def fit_robust(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
    metric: str = "weighted",
    method: str = "auto",
    seed: int = 0,
    categories: Sequence[str] | None = None,
    *,
    n_folds: int = N_FOLDS,
    n_resamples: int = N_RESAMPLES,
    progress: Steps | None = None,
) -> RobustFit:
    """Like :func:`fit_thresholds`, also returning the chosen candidate and, for ``auto``, the
    cross-validated scores. ``progress`` hears of each cross-validation fold and of the final
    fit (:func:`fit_steps` steps in all)."""
    check_metric(metric)
    if method not in ESTIMATORS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(ESTIMATORS)}")
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(
            f"scores shape {scores.shape} and labels shape {labels.shape} differ or are not 2-D"
        )
    cv = None
    if method == "auto":
        kinds = [m for m in ESTIMATORS if m != "auto"]
        steps = fit_steps(method, n_folds, groups, scores.shape[0])
        cv = cross_validate(
            scores, labels, groups, metric, kinds, categories, n_folds, n_resamples, seed,
            progress, steps,
        )
        chosen = cv.choose(default_choice(metric, categories))
    elif method == "shrinkage":
        chosen = Candidate.shrinkage(prior_name(categories))
    else:
        chosen = Candidate(method)
    thresholds = refit(chosen, scores, labels, groups, metric, categories, n_resamples, seed)
    if progress is not None:
        steps = fit_steps(method, n_folds, groups, scores.shape[0])
        progress(steps, steps, f"{chosen.name} fitted on all rows")
    return RobustFit(thresholds, chosen, metric, cv)


def fit_steps(method: str, n_folds: int, groups: np.ndarray | None, n_rows: int) -> int:
    """How many ``progress`` steps :func:`fit_robust` reports: the folds ``auto`` runs (as
    :func:`cross_validate` caps them by the groups) and the final fit."""
    if method != "auto":
        return 1
    n_groups = n_rows if groups is None else np.unique(np.asarray(groups)).size
    return max(2, min(n_folds, n_groups)) + 1


def fit_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
    metric: str = "weighted",
    method: str = "auto",
    seed: int = 0,
    categories: Sequence[str] | None = None,
    progress: Steps | None = None,
) -> np.ndarray:
    """Per-tag thresholds (decision ``scores >= thresholds``) fitted robustly for ``metric``.

    ``scores`` (tracks x tags, any real scores: tagger outputs or model probabilities) and 0/1
    ``labels`` of the same shape; ``groups`` one label per track (album, artist…) so that
    resampling and cross-validation keep groups whole (each track its own group when None);
    ``metric`` one of weighted, micro, macro, samples; ``method`` one of benchmark, global,
    category, bootstrap, micro-tag, shrinkage, auto (grouped cross-validated choice, the
    default); ``categories`` one category name per tag (enables per-category thresholds and
    priors). Returns float64 ``(n_tags,)``; ``+inf`` for tags with no positive. Deterministic
    for a seed. ``progress`` as in :func:`fit_robust`.
    """
    return fit_robust(
        scores, labels, groups, metric, method, seed, categories, progress=progress
    ).thresholds
