"""Fit the robust threshold estimators and choose among them by grouped cross-validation.

:func:`fit_thresholds` is the stable entry point (used by the ``robust-thresholds`` model and by
other models for their own final thresholds); :func:`fit_robust` also returns what was chosen
and the cross-validated scores. The estimators are described in :mod:`.robust_thresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .data import fold_of_groups
from .robust_thresholds import (
    ESTIMATORS,
    aggregate_resamples,
    check_metric,
    eb_tau2,
    micro_optimal_thresholds,
    resample_thresholds,
    shared_thresholds,
    shrink,
)
from .scoring.counts import DecisionCounts, counts_at
from .scoring.metrics import f1_averages, f1_score
from .scoring.space import ScoreSpace
from .scoring.thresholds import f1_optimal_thresholds

#: Multiples of the empirical-Bayes strength tried by cross-validation (bigger = stronger pull).
STRENGTH_MULTIPLIERS = (9.0, 3.0, 1.0, 1 / 3, 1 / 9)
N_RESAMPLES = 16
N_FOLDS = 5


@dataclass(frozen=True)
class Candidate:
    """Thresholds of one estimator and its effective number of free thresholds."""

    thresholds: np.ndarray
    complexity: float


@dataclass
class Context:
    """What every estimator needs, computed once on one training set."""

    space: ScoreSpace
    n_pos: np.ndarray
    benchmark: np.ndarray
    var: np.ndarray
    centers: dict[str, np.ndarray]  # "bootstrap" and, for micro / samples F1, "micro-tag"
    priors: dict[str, np.ndarray]  # "global" and, with >1 category, "category"
    tau2: dict[tuple[str, str], float]  # (center, prior)

    @classmethod
    def build(
        cls,
        scores: np.ndarray,
        labels: np.ndarray,
        groups: np.ndarray | None,
        metric: str,
        categories: Sequence[str] | None,
        n_resamples: int,
        seed: int,
        aggregate: str = "mean",
    ) -> Context:
        space = ScoreSpace.for_scores(scores)
        bench = f1_optimal_thresholds(scores, labels)
        stats = resample_thresholds(
            scores, labels, groups, n_resamples=n_resamples, space=space, seed=seed
        )
        centers = {"bootstrap": aggregate_resamples(stats, bench, space, aggregate)}
        if metric in ("micro", "samples"):
            centers["micro-tag"] = micro_optimal_thresholds(scores, labels, bench)
        priors = {"global": shared_thresholds(scores, labels, metric, None, seed)}
        if categories is not None and len(set(categories)) > 1:
            priors["category"] = shared_thresholds(scores, labels, metric, categories, seed)
        tau2 = {
            (c, p): eb_tau2(space.forward(ct), space.forward(pt), stats.var)
            for c, ct in centers.items()
            for p, pt in priors.items()
        }
        return cls(space, labels.sum(axis=0), bench, stats.var, centers, priors, tau2)

    def shrunk(self, prior: str, multiplier: float = 1.0, center: str = "bootstrap") -> Candidate:
        """``center`` pulled toward ``prior`` with ``multiplier`` x the empirical-Bayes strength."""
        strength = multiplier / self.tau2[center, prior]
        t = shrink(self.centers[center], self.priors[prior], self.var, strength, self.space)
        v = np.where(np.isfinite(self.var), self.var, 0.0)
        w = np.where(np.isfinite(t), 1.0 / (1.0 + strength * v), 0.0)
        n_prior = len(set(self.priors[prior][np.isfinite(self.priors[prior])].tolist()))
        return Candidate(t, n_prior + float(w.sum()))

    def candidates(self, methods: Sequence[str]) -> dict[str, Candidate]:
        """Named candidates for the estimators in ``methods`` (shrinkage at several strengths).

        Shrinkage names: ``shrinkage-PRIOR-xM`` (bootstrap centre) and
        ``micro-tag-shrinkage-PRIOR-xM`` (micro-optimal per-tag centre); ``M`` multiplies the
        empirical-Bayes strength.
        """
        n_tags = float(np.isfinite(self.benchmark).sum())
        out: dict[str, Candidate] = {}
        for prior, t in self.priors.items():
            if prior in methods:
                out[prior] = Candidate(t, float(len(set(t[np.isfinite(t)].tolist()))))
        if "shrinkage" in methods:
            for center in self.centers:
                prefix = "" if center == "bootstrap" else f"{center}-"
                for prior in self.priors:
                    for mult in STRENGTH_MULTIPLIERS:
                        name = f"{prefix}shrinkage-{prior}-x{mult:.3g}"
                        out[name] = self.shrunk(prior, mult, center)
        if "bootstrap" in methods:
            out["bootstrap"] = Candidate(self.centers["bootstrap"], n_tags)
        if "micro-tag" in methods and "micro-tag" in self.centers:
            out["micro-tag"] = Candidate(self.centers["micro-tag"], n_tags + 0.25)
        if "benchmark" in methods:
            out["benchmark"] = Candidate(self.benchmark, n_tags + 0.5)
        return out

    def candidate(self, name: str) -> np.ndarray:
        """Thresholds of the candidate called ``name`` (as in :meth:`candidates`)."""
        if "shrinkage-" in name:
            prefix, prior, mult = name.rsplit("-", 2)
            center = "bootstrap" if prefix == "shrinkage" else prefix.removesuffix("-shrinkage")
            return self.shrunk(prior, float(mult[1:]), center).thresholds
        return self.candidates([name])[name].thresholds


def _prior_name(categories: Sequence[str] | None) -> str:
    return "category" if categories is not None and len(set(categories)) > 1 else "global"


def default_choice(metric: str, categories: Sequence[str] | None) -> str:
    """What ``auto`` keeps unless cross-validation clearly prefers another candidate.

    Weighted F1: empirical-Bayes shrinkage (per-tag optima, less noisy, fewer false positives
    on rare tags). Macro F1: the bootstrap thresholds (rare tags weigh as much as frequent ones
    and their optima sit below the shared threshold: only their noise is removed). Micro and
    samples F1: the shared threshold (global, or per category when given).
    """
    prior = _prior_name(categories)
    return {"weighted": f"shrinkage-{prior}-x1", "macro": "bootstrap"}.get(metric, prior)


@dataclass
class CVResult:
    """Pooled held-out F1 per candidate and metric, per-fold target scores, complexities."""

    metric: str
    scores: dict[str, dict[str, float]]
    per_fold: dict[str, np.ndarray]
    complexity: dict[str, float]

    def se(self, name: str, against: str) -> float:
        """Standard error of the per-fold difference between two candidates."""
        diff = self.per_fold[against] - self.per_fold[name]
        return float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0

    def choose(self, default: str) -> str:
        """``default`` unless another candidate beats it by more than two standard errors.

        On small data the cross-validated differences are mostly noise and the principled
        default stands; on large data they are precise and the data decide.
        """
        target = {n: s[self.metric] for n, s in self.scores.items()}
        best = max(target, key=lambda n: (target[n], -self.complexity[n]))
        if default not in target or target[best] - target[default] > 2 * self.se(default, best):
            return best
        return default


@dataclass
class RobustFit:
    """Chosen thresholds, the chosen candidate, and the cross-validated scores (if any)."""

    thresholds: np.ndarray
    chosen: str
    metric: str
    cv: CVResult | None = None


def cross_validate(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None,
    metric: str,
    methods: Sequence[str],
    categories: Sequence[str] | None = None,
    n_folds: int = N_FOLDS,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> CVResult:
    """Held-out F1 of every candidate of ``methods``, each fitted on the other folds.

    Folds are whole groups (each track its own group when ``groups`` is None).
    """
    groups = np.arange(scores.shape[0]) if groups is None else np.asarray(groups)
    n_folds = max(2, min(n_folds, np.unique(groups).size))
    fold = fold_of_groups(groups, n_folds, seed)
    pooled: dict[str, DecisionCounts] = {}
    per_fold: dict[str, list[float]] = {}
    complexity: dict[str, list[float]] = {}
    for k in range(n_folds):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        ctx = Context.build(
            scores[tr], labels[tr], groups[tr], metric, categories, n_resamples, seed + 1 + k
        )
        s_te, y_te = scores[te], labels[te]
        for name, cand in ctx.candidates(methods).items():
            counts = counts_at(s_te, y_te, cand.thresholds)
            pooled[name] = counts if name not in pooled else pooled[name] + counts
            per_fold.setdefault(name, []).append(f1_score(counts, metric))
            complexity.setdefault(name, []).append(cand.complexity)
    names = [n for n in pooled if len(per_fold[n]) == n_folds]
    return CVResult(
        metric,
        {n: f1_averages(pooled[n]) for n in names},
        {n: np.asarray(per_fold[n]) for n in names},
        {n: float(np.mean(complexity[n])) for n in names},
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
) -> RobustFit:
    """Like :func:`fit_thresholds`, also returning the choice and the cross-validated scores."""
    check_metric(metric)
    if method not in ESTIMATORS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(ESTIMATORS)}")
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(
            f"scores shape {scores.shape} and labels shape {labels.shape} differ or are not 2-D"
        )
    fit = RobustFit(np.empty(0), method, metric)
    if method == "shrinkage":
        fit.chosen = f"shrinkage-{_prior_name(categories)}-x1"
    elif method == "auto":
        methods = ["benchmark", "global", "category", "bootstrap", "micro-tag", "shrinkage"]
        fit.cv = cross_validate(
            scores, labels, groups, metric, methods, categories, n_folds, n_resamples, seed
        )
        fit.chosen = fit.cv.choose(default_choice(metric, categories))
    if fit.chosen == "benchmark":
        fit.thresholds = f1_optimal_thresholds(scores, labels)
    elif fit.chosen == "micro-tag":
        fit.thresholds = micro_optimal_thresholds(scores, labels)
    elif fit.chosen in ("global", "category"):
        cats = categories if fit.chosen == "category" else None
        fit.thresholds = shared_thresholds(scores, labels, metric, cats, seed)
    else:
        ctx = Context.build(scores, labels, groups, metric, categories, n_resamples, seed)
        fit.thresholds = ctx.candidate(fit.chosen)
    return fit


def fit_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
    metric: str = "weighted",
    method: str = "auto",
    seed: int = 0,
    categories: Sequence[str] | None = None,
) -> np.ndarray:
    """Per-tag thresholds (decision ``scores >= thresholds``) fitted robustly for ``metric``.

    ``scores`` (tracks x tags, any real scores: tagger outputs or model probabilities) and 0/1
    ``labels`` of the same shape; ``groups`` one label per track (album, artist…) so that
    resampling and cross-validation keep groups whole (each track its own group when None);
    ``metric`` one of weighted, micro, macro, samples; ``method`` one of benchmark, global,
    category, bootstrap, shrinkage, auto (grouped cross-validated choice, the default);
    ``categories`` one category name per tag (enables per-category thresholds and priors).
    Returns float64 ``(n_tags,)``; ``+inf`` for tags with no positive. Deterministic for a seed.
    """
    return fit_robust(scores, labels, groups, metric, method, seed, categories).thresholds
