"""Lower-variance per-tag thresholds: binormal score model in logit space, pooled and blended.

The benchmark takes, per tag, the argmax of the empirical F1 curve: unbiased but noisy when a
tag has few positives. Here each tag's scores are modelled in the transformed space (logit of
clipped probabilities, identity for other scores) by two normals, negatives ``N(mu0, sd0)``
and positives ``N(mu1, sd1)``, with the tag's prevalence ``pi``. Under that model

    F1(t) = 2 pi S1(t) / (pi + pi S1(t) + (1 - pi) S0(t))      (S = normal survival)

and the model threshold is its argmax on a fine grid. Three knobs:

``pooling`` (pseudo-positives, kappa)
    the positives' shape relative to the negatives, ``d = (mu1 - mu0) / sd0`` and
    ``r = log(sd1 / sd0)``, is pulled toward its category's mean: ``(n1 d + kappa d_cat) /
    (n1 + kappa)``. ``0`` is no pooling (each tag on its own).
``blend`` (pseudo-positives, m)
    the returned threshold is ``w z_emp + (1 - w) z_model`` in the transformed space with
    ``w = n1 / (n1 + m)``: tags with many positives keep their empirical optimum. ``0`` gives
    the benchmark exactly.
``prior``
    :meth:`BinormalThresholds.thresholds_at` re-optimises both parts for other prevalences
    (the class-conditional curves stay, only ``pi`` moves): what prior-shift adaptation uses.

Tags without a positive get ``+inf`` (never predict), like the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from scipy.special import log_ndtr

from ..scoring.thresholds import f1_curve, f1_optimal_thresholds

__all__ = ["BinormalThresholds", "EmpiricalROC", "ScoreTransform", "binormal_f1"]

EPS = 1e-6
_MIN_SD = 1e-3


class ScoreTransform:
    """Logit of clipped scores when the training scores are probabilities, identity otherwise."""

    def __init__(self, logit: bool = True, eps: float = EPS) -> None:
        self.logit = logit
        self.eps = eps

    @classmethod
    def for_scores(cls, scores: np.ndarray) -> ScoreTransform:
        s = np.asarray(scores, dtype=np.float64)
        finite = s[np.isfinite(s)]
        return cls(bool(finite.size == 0 or (finite.min() >= 0.0 and finite.max() <= 1.0)))

    def forward(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        if not self.logit:
            return v.copy()
        p = np.clip(v, self.eps, 1.0 - self.eps)
        return np.where(np.isinf(v), v, np.log(p) - np.log1p(-p))

    def inverse(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        if not self.logit:
            return v.copy()
        with np.errstate(over="ignore"):
            return np.where(np.isinf(v), v, 1.0 / (1.0 + np.exp(-v)))


def _as_prior(prior: np.ndarray | float, n_tags: int) -> np.ndarray:
    p = np.broadcast_to(np.asarray(prior, dtype=np.float64), (n_tags,)).copy()
    if np.any((p < 0) | (p > 1) | np.isnan(p)):
        raise ValueError("prevalences must lie in [0, 1]")
    return p


class EmpiricalROC:
    """Each tag's exact (tp, fp) at every distinct score, re-optimised for F1 at any prevalence.

    Under a prior shift the true- and false-positive rates stay and only the prevalence moves,
    so the expected F1 at prevalence ``q`` is ``2 a tp / (a P + a tp + b fp)`` with
    ``a = q / pi``, ``b = (1 - q) / (1 - pi)``. At the labelled prevalences (``prior=None``)
    :meth:`thresholds_at` is the benchmark exactly
    (:func:`mewo_core.scoring.thresholds.f1_optimal_thresholds`); ties go to the highest threshold.
    Learned: ``curves_`` (per tag: thresholds descending, tp, fp), ``n_pos_``, ``prevalences_``.
    """

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> Self:
        s = np.asarray(scores)
        y = np.asarray(labels).astype(bool)
        self.curves_: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for j in range(s.shape[1]):
            n_pos = int(y[:, j].sum())
            thr, precision, recall, _ = f1_curve(s[:, j], y[:, j])
            tp = np.rint(recall * n_pos)
            with np.errstate(divide="ignore", invalid="ignore"):
                fp = np.where(tp > 0, np.rint(tp / precision) - tp, 0.0)
            self.curves_.append((thr, tp, fp))
        self.n_pos_ = y.sum(axis=0).astype(np.int64)
        self.prevalences_ = self.n_pos_ / max(s.shape[0], 1)
        self._benchmark = f1_optimal_thresholds(s, y)
        return self

    def thresholds_at(self, prior: np.ndarray | float | None = None) -> np.ndarray:
        """Per-tag F1-optimal thresholds at prevalences ``prior`` (None: the labelled ones)."""
        if prior is None:
            return self._benchmark.copy()
        new = _as_prior(prior, self.n_pos_.size)
        out = np.full(new.size, np.inf)
        for j, (thr, tp, fp) in enumerate(self.curves_):
            pi = self.prevalences_[j]
            if self.n_pos_[j] == 0 or new[j] == 0:
                continue
            a = new[j] / pi
            b = (1.0 - new[j]) / (1.0 - pi) if pi < 1 else 1.0
            f1 = np.where(tp > 0, 2 * a * tp / (a * self.n_pos_[j] + a * tp + b * fp), 0.0)
            out[j] = thr[int(np.argmax(f1))]  # descending thresholds: first max is the highest
        return out


def _normal_fits(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per tag: mean and sd of negatives and positives (sd floored), and positives' count."""
    yf = y.astype(np.float64)
    n1 = yf.sum(axis=0)
    n0 = y.shape[0] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        mu1 = (z * yf).sum(axis=0) / n1
        mu0 = (z * (1 - yf)).sum(axis=0) / n0
        var1 = (((z - mu1) ** 2) * yf).sum(axis=0) / np.maximum(n1 - 1, 1)
        var0 = (((z - mu0) ** 2) * (1 - yf)).sum(axis=0) / np.maximum(n0 - 1, 1)
    sd0 = np.maximum(np.sqrt(var0), _MIN_SD)
    sd1 = np.where(n1 > 1, np.maximum(np.sqrt(var1), _MIN_SD), sd0)
    return mu0, sd0, mu1, sd1, n1


def binormal_f1(
    grid: np.ndarray,
    mu0: np.ndarray,
    sd0: np.ndarray,
    mu1: np.ndarray,
    sd1: np.ndarray,
    prior: np.ndarray,
) -> np.ndarray:
    """Expected F1 (tags x grid) of ``z >= grid`` under the binormal model at ``prior``."""
    s1 = np.exp(log_ndtr((mu1[:, None] - grid) / sd1[:, None]))
    s0 = np.exp(log_ndtr((mu0[:, None] - grid) / sd0[:, None]))
    p = prior[:, None]
    den = p + p * s1 + (1 - p) * s0
    return np.divide(2 * p * s1, den, out=np.zeros_like(den), where=den > 0)


class BinormalThresholds:
    """Per-tag thresholds from a pooled binormal model, blended with the empirical optimum.

    Learned: ``transform_``, ``prevalences_``, ``n_pos_``, ``mu0_``, ``sd0_``, ``mu1_``,
    ``sd1_`` (the pooled positives' parameters), ``weights_`` (of the empirical part),
    ``empirical_`` (:class:`EmpiricalROC`), ``grid_``, ``thresholds_`` (training prevalences).
    See the module docstring.
    """

    def __init__(self, pooling: float = 20.0, blend: float = 100.0, n_grid: int = 800) -> None:
        self.pooling = pooling
        self.blend = blend
        self.n_grid = n_grid

    def fit(
        self,
        scores: np.ndarray,
        labels: np.ndarray,
        categories: Sequence[str] | None = None,
    ) -> Self:
        if self.pooling < 0 or self.blend < 0:
            raise ValueError("pooling and blend must be >= 0")
        s = np.asarray(scores)
        y = np.asarray(labels).astype(bool)
        if s.shape != y.shape or s.ndim != 2:
            raise ValueError(f"scores {s.shape} and labels {y.shape} must be equal 2-D shapes")
        self.transform_ = ScoreTransform.for_scores(s)
        z = self.transform_.forward(s)
        mu0, sd0, mu1, sd1, n1 = _normal_fits(z, y)
        has = n1 > 0
        d = np.where(has, (mu1 - mu0) / sd0, 0.0)
        r = np.where(has, np.log(sd1 / sd0), 0.0)
        cats = np.zeros(s.shape[1], dtype=np.int64)
        if categories is not None:
            if len(categories) != s.shape[1]:
                raise ValueError(f"need one category per tag ({s.shape[1]})")
            cats = np.unique(np.asarray(categories, dtype=object), return_inverse=True)[1]
        if self.pooling > 0:
            for c in np.unique(cats):
                members = (cats == c) & has
                if members.any():
                    w = n1[members] / (n1[members] + self.pooling)
                    d[members] = w * d[members] + (1 - w) * d[members].mean()
                    r[members] = w * r[members] + (1 - w) * r[members].mean()
        self.mu0_, self.sd0_ = mu0, sd0
        self.mu1_ = np.where(has, mu0 + d * sd0, np.nan)
        self.sd1_ = np.where(has, sd0 * np.exp(r), np.nan)
        self.n_pos_ = n1.astype(np.int64)
        self.prevalences_ = n1 / max(s.shape[0], 1)
        denom = n1 + self.blend
        self.weights_ = np.divide(n1, denom, out=np.ones_like(n1), where=denom > 0)
        finite = z[np.isfinite(z)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.grid_ = np.linspace(lo, hi, self.n_grid)
        self.empirical_ = EmpiricalROC().fit(s, y)
        self.thresholds_ = self.thresholds_at(None)
        return self

    def model_thresholds_at(self, prior: np.ndarray | float | None = None) -> np.ndarray:
        """The binormal model's own F1-optimal thresholds (transformed space) at ``prior``."""
        p = self.prevalences_ if prior is None else _as_prior(prior, self.prevalences_.size)
        has = self.n_pos_ > 0
        out = np.full(p.size, np.inf)
        if has.any():
            f1 = binormal_f1(
                self.grid_, self.mu0_[has], self.sd0_[has], self.mu1_[has], self.sd1_[has], p[has]
            )
            best = f1.shape[1] - 1 - np.argmax(f1[:, ::-1], axis=1)  # ties: highest threshold
            out[has] = np.where(p[has] > 0, self.grid_[best], np.inf)
        return out

    def thresholds_at(self, prior: np.ndarray | float | None = None) -> np.ndarray:
        """Score-space thresholds at prevalences ``prior`` (None: the training prevalences)."""
        empirical = self.empirical_.thresholds_at(prior)
        if self.blend == 0:
            return empirical
        z_emp = self.transform_.forward(empirical)
        z_mod = self.model_thresholds_at(prior)
        w = self.weights_
        ok = np.isfinite(z_emp) & np.isfinite(z_mod)
        mixed = np.where(ok, w * np.where(ok, z_emp, 0) + (1 - w) * np.where(ok, z_mod, 0), 0)
        return np.where(ok & (w < 1), self.transform_.inverse(mixed), empirical)
