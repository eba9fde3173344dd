"""Candidates: the threshold settings cross-validation compares, as objects.

A :class:`Candidate` says what to fit (estimator, and for shrinkage its centre, prior and
strength multiplier); :class:`FitContext` holds what every candidate needs, computed once on one
training set, and fits any candidate on it. The candidate cross-validation chooses is the very
object the final fit uses (:func:`refit`), so the refit reproduces the chosen setting exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..scoring.space import ScoreSpace
from ..scoring.thresholds import f1_optimal_thresholds
from .estimators import (
    aggregate_resamples,
    eb_tau2,
    micro_optimal_thresholds,
    resample_thresholds,
    shared_thresholds,
    shrink,
)

KINDS = ("benchmark", "global", "category", "bootstrap", "micro-tag", "shrinkage")
PRIORS = ("global", "category")
CENTERS = ("bootstrap", "micro-tag")
#: Multiples of the empirical-Bayes strength tried by cross-validation (bigger = stronger pull).
STRENGTH_MULTIPLIERS = (9.0, 3.0, 1.0, 1 / 3, 1 / 9)


@dataclass(frozen=True)
class Candidate:
    """One threshold setting: an estimator ``kind``; for ``shrinkage``, the ``center`` pulled
    toward the ``prior`` with ``multiplier`` times the empirical-Bayes strength."""

    kind: str
    prior: str | None = None
    center: str = "bootstrap"
    multiplier: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown estimator {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "shrinkage" and (
            self.prior not in PRIORS or self.center not in CENTERS or not self.multiplier > 0
        ):
            raise ValueError(f"invalid shrinkage setting {self!r}")

    @classmethod
    def shrinkage(cls, prior: str, multiplier: float = 1.0, center: str = "bootstrap") -> Candidate:
        return cls("shrinkage", prior, center, multiplier)

    @property
    def name(self) -> str:
        """A label for reports: the estimator, or ``[micro-tag-]shrinkage-PRIOR-xM``."""
        if self.kind != "shrinkage":
            return self.kind
        prefix = "" if self.center == "bootstrap" else f"{self.center}-"
        return f"{prefix}shrinkage-{self.prior}-x{self.multiplier:.3g}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Fitted:
    """Thresholds of one candidate and its effective number of free thresholds."""

    thresholds: np.ndarray
    complexity: float


def prior_name(categories: Sequence[str] | None) -> str:
    """``category`` when there are several categories, else ``global``."""
    return "category" if categories is not None and len(set(categories)) > 1 else "global"


def _n_distinct(thresholds: np.ndarray) -> float:
    return float(len(set(thresholds[np.isfinite(thresholds)].tolist())))


@dataclass
class FitContext:
    """What every candidate needs, computed once on one training set."""

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
    ) -> FitContext:
        space = ScoreSpace.for_scores(scores)
        bench = f1_optimal_thresholds(scores, labels)
        stats = resample_thresholds(
            scores, labels, groups, n_resamples=n_resamples, space=space, seed=seed
        )
        centers = {"bootstrap": aggregate_resamples(stats, bench, space, aggregate)}
        if metric in ("micro", "samples"):
            centers["micro-tag"] = micro_optimal_thresholds(scores, labels, bench)
        priors = {"global": shared_thresholds(scores, labels, metric, None, seed)}
        if prior_name(categories) == "category":
            priors["category"] = shared_thresholds(scores, labels, metric, categories, seed)
        tau2 = {
            (c, p): eb_tau2(space.forward(ct), space.forward(pt), stats.var)
            for c, ct in centers.items()
            for p, pt in priors.items()
        }
        return cls(space, labels.sum(axis=0), bench, stats.var, centers, priors, tau2)

    def candidates(self, kinds: Sequence[str]) -> list[Candidate]:
        """The candidates of the estimators in ``kinds`` that this context can fit (shrinkage
        at every strength multiplier, for every centre and prior)."""
        out = [Candidate(prior) for prior in self.priors if prior in kinds]
        if "shrinkage" in kinds:
            out += [
                Candidate.shrinkage(prior, mult, center)
                for center in self.centers
                for prior in self.priors
                for mult in STRENGTH_MULTIPLIERS
            ]
        if "bootstrap" in kinds:
            out.append(Candidate("bootstrap"))
        if "micro-tag" in kinds and "micro-tag" in self.centers:
            out.append(Candidate("micro-tag"))
        if "benchmark" in kinds:
            out.append(Candidate("benchmark"))
        return out

    def fit(self, candidate: Candidate) -> Fitted:
        """The thresholds of ``candidate`` on this training set, and their complexity."""
        n_tags = float(np.isfinite(self.benchmark).sum())
        kind = candidate.kind
        if kind in PRIORS:
            return Fitted(self.priors[kind], _n_distinct(self.priors[kind]))
        if kind == "bootstrap":
            return Fitted(self.centers["bootstrap"], n_tags)
        if kind == "micro-tag":
            return Fitted(self.centers["micro-tag"], n_tags + 0.25)
        if kind == "benchmark":
            return Fitted(self.benchmark, n_tags + 0.5)
        center, prior = candidate.center, candidate.prior
        strength = candidate.multiplier / self.tau2[center, prior]
        t = shrink(self.centers[center], self.priors[prior], self.var, strength, self.space)
        v = np.where(np.isfinite(self.var), self.var, 0.0)
        w = np.where(np.isfinite(t), 1.0 / (1.0 + strength * v), 0.0)
        return Fitted(t, _n_distinct(self.priors[prior]) + float(w.sum()))


def refit(
    candidate: Candidate,
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None,
    metric: str,
    categories: Sequence[str] | None,
    n_resamples: int,
    seed: int,
) -> np.ndarray:
    """``candidate``'s thresholds on all of ``scores`` / ``labels`` (a full :class:`FitContext`
    only for the estimators that need resamples)."""
    if candidate.kind == "benchmark":
        return f1_optimal_thresholds(scores, labels)
    if candidate.kind == "micro-tag":
        return micro_optimal_thresholds(scores, labels)
    if candidate.kind in PRIORS:
        cats = categories if candidate.kind == "category" else None
        return shared_thresholds(scores, labels, metric, cats, seed)
    ctx = FitContext.build(scores, labels, groups, metric, categories, n_resamples, seed)
    return ctx.fit(candidate).thresholds
