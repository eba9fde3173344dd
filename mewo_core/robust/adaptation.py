"""Adapt thresholds to the catalogue being decided: EM prior-shift estimation (Saerens 2002).

Labelled scores give, per tag, a calibration of scores to posteriors (Platt scaling in the
transformed space) at the labelled prevalence ``pi``. The catalogue to decide is unlabelled,
but its scores are there: under a prior shift (class-conditional score distributions
unchanged, prevalences moved), its prevalences ``q`` are the fixed point of

    q <- mean_i  a p_i / (a p_i + b (1 - p_i)),    a = q / pi,  b = (1 - q) / (1 - pi)

(Saerens, Latinne and Decaestecker, 2002), one tag at a time. ``strength`` adds that many
pseudo-tracks at the labelled prevalence (a MAP estimate: small catalogues move less). The
thresholds are then re-optimised for F1 at ``q`` by an estimator with ``thresholds_at(prior)``
(:class:`mewo_core.binormal.EmpiricalROC` by default: the benchmark's own curves).

On the labelled scores themselves the Platt posteriors average to ``pi`` exactly (the
intercept's score equation), so the estimate is ``pi`` and the thresholds do not move;
estimates within ``rtol`` of ``pi`` are taken as ``pi``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy.special import expit, logit

from .binormal import BinormalThresholds, EmpiricalROC, ScoreTransform

__all__ = ["CalibratedCutoff", "PlattCalibration", "PriorShiftAdapter", "em_prevalences"]

_CLIP = 1e-6


class PlattCalibration:
    """Per-tag logistic calibration ``p = expit(a z + b)`` of transformed scores ``z``.

    Fitted by damped Newton steps on all tags at once (optional ridge ``l2`` on ``a`` and
    ``b``; 0 keeps the intercept's score equation, so posteriors average to the prevalence).
    Learned: ``transform_``, ``coef_`` (a), ``intercept_`` (b), ``prevalences_``.
    """

    def __init__(self, l2: float = 0.0, max_iter: int = 100) -> None:
        self.l2 = l2
        self.max_iter = max_iter

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> Self:
        s = np.asarray(scores)
        y = np.asarray(labels).astype(np.float64)
        self.transform_ = ScoreTransform.for_scores(s)
        z = self.transform_.forward(s)
        z = np.where(np.isfinite(z), z, np.nan)
        z = np.where(np.isnan(z), np.nanmean(z, axis=0), z)
        n = max(s.shape[0], 1)
        a, b = np.zeros(s.shape[1]), logit(np.clip(y.mean(axis=0), _CLIP, 1 - _CLIP))

        def loss(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            u = a * z + b
            nll = (np.logaddexp(0.0, u) - y * u).sum(axis=0) / n
            return nll + 0.5 * self.l2 * (a * a + b * b)

        current = loss(a, b)
        for _ in range(self.max_iter):
            p = expit(a * z + b)
            r = p - y
            w = p * (1 - p)
            ga = (r * z).sum(axis=0) / n + self.l2 * a
            gb = r.sum(axis=0) / n + self.l2 * b
            haa = (w * z * z).sum(axis=0) / n + self.l2
            hab = (w * z).sum(axis=0) / n
            hbb = w.sum(axis=0) / n + self.l2
            det = haa * hbb - hab * hab
            ok = det > 1e-300
            da = np.where(ok, (hbb * ga - hab * gb) / np.where(ok, det, 1.0), 0.0)
            db = np.where(ok, (haa * gb - hab * ga) / np.where(ok, det, 1.0), 0.0)
            step = np.ones_like(a)
            for _ in range(40):  # halve each tag's step until its loss does not increase
                trial = loss(a - step * da, b - step * db)
                worse = ~(trial <= current)
                if not worse.any():
                    break
                step = np.where(worse, step / 2, step)
            trial = loss(a - step * da, b - step * db)
            keep = trial <= current
            a = np.where(keep, a - step * da, a)
            b = np.where(keep, b - step * db, b)
            current = np.where(keep, trial, current)
            if max(np.abs(step * da).max(initial=0), np.abs(step * db).max(initial=0)) < 1e-12:
                break
        if self.l2 == 0:  # polish the intercept: posteriors average to the prevalence
            for _ in range(20):
                p = expit(a * z + b)
                b = b - (p.mean(axis=0) - y.mean(axis=0)) / np.maximum(
                    (p * (1 - p)).mean(axis=0), 1e-12
                )
        self.coef_, self.intercept_ = a, b
        self.prevalences_ = y.mean(axis=0)
        return self

    def log_odds(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated log-odds ``a z + b`` (tracks x tags) at the labelled prevalences."""
        z = self.transform_.forward(np.asarray(scores))
        with np.errstate(invalid="ignore"):
            return self.coef_ * z + self.intercept_

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        return expit(self.log_odds(scores))


def em_prevalences(
    log_odds: np.ndarray,
    prior: np.ndarray,
    *,
    strength: float = 0.0,
    max_iter: int = 1000,
    tol: float = 1e-10,
) -> np.ndarray:
    """Saerens' EM: per-tag prevalences of a catalogue from its posteriors' log-odds at ``prior``.

    ``log_odds`` (tracks x tags) are the calibrated log-odds under the labelled prevalences
    ``prior``; a shift to ``q`` adds ``logit(q) - logit(prior)`` to them. ``strength``
    pseudo-tracks at ``prior`` regularise the estimate (0: maximum likelihood).
    """
    lo = np.asarray(log_odds, dtype=np.float64)
    pi = np.clip(np.asarray(prior, dtype=np.float64), _CLIP, 1 - _CLIP)
    n = lo.shape[0]
    if n == 0:
        return pi.copy()
    q = pi.copy()
    base = logit(pi)
    for _ in range(max_iter):
        post = expit(lo + (logit(q) - base))
        new = (post.sum(axis=0) + strength * pi) / (n + strength)
        new = np.clip(new, _CLIP, 1 - _CLIP)
        done = np.abs(new - q).max(initial=0) < tol
        q = new
        if done:
            break
    return q


class PriorShiftAdapter:
    """Thresholds re-optimised for the prevalences EM estimates on the catalogue to decide.

    ``estimator``: ``"empirical"`` (the benchmark's curves, :class:`EmpiricalROC`),
    ``"binormal"`` (:class:`BinormalThresholds` with ``estimator_params``), or any object with
    ``fit(scores, labels)`` and ``thresholds_at(prior)``. Learned: ``estimator_``,
    ``calibration_``, ``prevalences_`` (labelled), ``thresholds_`` (unadapted). After
    :meth:`adapt`: the estimate is returned with the thresholds, nothing is stored.
    """

    def __init__(
        self,
        estimator: str | Any = "empirical",
        estimator_params: dict[str, Any] | None = None,
        strength: float = 0.0,
        rtol: float = 1e-6,
    ) -> None:
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.strength = strength
        self.rtol = rtol

    def fit(
        self, scores: np.ndarray, labels: np.ndarray, categories: Sequence[str] | None = None
    ) -> Self:
        params = dict(self.estimator_params or {})
        if self.estimator == "empirical":
            self.estimator_ = EmpiricalROC().fit(scores, labels)
        elif self.estimator == "binormal":
            self.estimator_ = BinormalThresholds(**params).fit(scores, labels, categories)
        else:
            self.estimator_ = self.estimator.fit(scores, labels)
        self.calibration_ = PlattCalibration().fit(scores, labels)
        self.prevalences_ = self.calibration_.prevalences_
        self.thresholds_ = self.estimator_.thresholds_at(None)
        return self

    def estimate_prevalences(self, scores: np.ndarray) -> np.ndarray:
        """EM estimate of each tag's prevalence in the (unlabelled) catalogue ``scores``."""
        q = em_prevalences(
            self.calibration_.log_odds(scores), self.prevalences_, strength=self.strength
        )
        pi = self.prevalences_
        same = np.abs(q - pi) <= self.rtol * np.maximum(pi, _CLIP)
        return np.where(same | (pi == 0), pi, q)

    def adapt(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(thresholds, prevalences)`` for the catalogue ``scores`` (tracks x tags)."""
        q = self.estimate_prevalences(scores)
        if np.array_equal(q, self.prevalences_):
            return self.thresholds_.copy(), q
        return self.estimator_.thresholds_at(q), q


class CalibratedCutoff:
    """Micro-F1 decisions: one cutoff on per-tag calibrated probabilities, as score thresholds.

    For calibrated probabilities the micro-F1-optimal rule is one shared cutoff, about half
    the optimal F1 (Lipton, Elkan and Narayanaswamy, 2014); the cutoff is tuned exactly for
    micro F1 on the calibrated labelled scores
    (:func:`mewo_core.scoring.thresholds.global_threshold`)
    and mapped back to each tag's score scale. :meth:`thresholds_at` moves every tag's
    log-odds by ``logit(q) - logit(pi)`` first (a prior shift). Learned: ``calibration_``,
    ``cutoff_``, ``prevalences_``, ``thresholds_``.
    """

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> Self:
        from ..scoring.thresholds import global_threshold

        self.calibration_ = PlattCalibration().fit(scores, labels)
        self.prevalences_ = self.calibration_.prevalences_
        probs = self.calibration_.predict_proba(scores)
        self.cutoff_ = float(global_threshold(probs, np.asarray(labels), "micro"))
        self.thresholds_ = self.thresholds_at(None)
        return self

    def thresholds_at(self, prior: np.ndarray | float | None = None) -> np.ndarray:
        """Score-space thresholds at prevalences ``prior`` (None: the labelled ones)."""
        cal = self.calibration_
        pi = np.clip(self.prevalences_, _CLIP, 1 - _CLIP)
        shift = np.zeros_like(pi)
        if prior is not None:
            q = np.clip(np.broadcast_to(np.asarray(prior, dtype=np.float64), pi.shape), _CLIP, 1)
            shift = logit(np.minimum(q, 1 - _CLIP)) - logit(pi)
        c = np.clip(self.cutoff_, _CLIP, 1 - _CLIP) if np.isfinite(self.cutoff_) else np.inf
        usable = (cal.coef_ > 0) & (self.prevalences_ > 0) & np.isfinite(c)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (logit(c) - cal.intercept_ - shift) / cal.coef_
        return np.where(usable, cal.transform_.inverse(np.where(usable, z, 0.0)), np.inf)
