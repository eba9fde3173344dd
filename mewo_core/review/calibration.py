"""Calibrated probabilities for the review queue: per-tag recalibration and its checks.

:class:`TagCalibrator` maps a model's decision scores to probabilities, per tag, with the
method that calibrates that tag best out of group: ``identity`` (the score itself, when the
tag's scores are probabilities already, in [0, 1]), ``platt`` (a logistic curve of the score,
or of its logit for scores in [0, 1]; Platt's smoothed targets) or ``isotonic`` (monotone,
clipped outside the seen scores). Each method is scored by the Brier score of grouped
cross-validation on the tuning rows (folds of whole artists or albums, :mod:`mewo_core.data.
splits`), and a recalibration replaces the identity only where it lowers that held-out score;
the chosen method is then refitted on all tuning rows. Scores that are not finite (a tag without
a score column) get the tag's positive rate among such tuning rows.

:func:`reliability_table` and :func:`ece_by_class` check probabilities on labelled rows: the
reliability diagram's bins and the expected calibration error (bin-weighted mean gap between
the mean probability and the positive rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from ..data.splits import fold_of_groups
from ..scoring.metrics import safe_ratio

__all__ = ["METHODS", "TagCalibrator", "ece_by_class", "reliability_table"]

METHODS = ("identity", "platt", "isotonic")
_EPS = 1e-6
#: Bins of the feature per tag that the curves are fitted to (:class:`Binned`).
BINS = 1024


def _logit(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, _EPS, 1 - _EPS)
    return np.log(s) - np.log1p(-s)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


@dataclass(frozen=True)
class Binned:
    """Per tag, the rows summarised in equal-width bins of the feature (one bin per 8 rows, at
    most :data:`BINS`): count, positives and mean feature per bin (bins x tags). Fitting a
    calibration curve to the bins instead of the rows moves each row's feature by at most a
    bin's width (1/``BINS`` of the tag's range on large data): the fit costs one pass over the
    rows, then almost nothing."""

    x: np.ndarray
    count: np.ndarray
    pos: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, mask: np.ndarray, bins: int = 0) -> Binned:
        bins = bins or int(np.clip(x.shape[0] // 8, 64, BINS))  # rows per bin: 8 or more
        n_tags = x.shape[1]
        lo = np.where(mask, x, np.inf).min(axis=0)
        hi = np.where(mask, x, -np.inf).max(axis=0)
        lo, hi = np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(hi), hi, 1.0)
        width = np.where(hi > lo, hi - lo, 1.0)
        idx = np.clip(((x - lo) / width * bins).astype(np.int64), 0, bins - 1)
        flat = (idx * n_tags + np.arange(n_tags)).ravel()
        w = mask.ravel().astype(np.float64)
        size = bins * n_tags
        count = np.bincount(flat, w, minlength=size).reshape(bins, n_tags)
        pos = np.bincount(flat, w * np.asarray(y).ravel(), minlength=size).reshape(bins, n_tags)
        sums = np.bincount(flat, w * np.where(mask, x, 0.0).ravel(), minlength=size)
        mean = safe_ratio(sums.reshape(bins, n_tags), count)
        return cls(x=mean, count=count, pos=pos)


def fit_platt(data: Binned, iterations: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Per tag, ``(a, b)`` of ``sigmoid(a x + b)`` fitted by Newton's method with Platt's
    smoothed targets; a ridge of 1e-6 keeps a separable tag finite."""
    count, pos, x = data.count, data.pos, data.x
    n_pos, n_all = pos.sum(axis=0), count.sum(axis=0)
    t_pos, t_neg = (n_pos + 1) / (n_pos + 2), 1 / (n_all - n_pos + 2)
    target_sum = pos * t_pos + (count - pos) * t_neg  # per bin, the sum of the rows' targets
    a = np.ones(x.shape[1])
    b = _logit((n_pos + 1) / (n_all + 2))
    for _ in range(iterations):
        p = _sigmoid(a * x + b)
        r = count * p - target_sum
        h = count * p * (1 - p)
        ga, gb = (r * x).sum(axis=0) + 1e-6 * a, r.sum(axis=0)
        haa, hab, hbb = (h * x * x).sum(axis=0) + 1e-6, (h * x).sum(axis=0), h.sum(axis=0) + 1e-9
        det = haa * hbb - hab * hab
        det = np.where(det > 0, det, 1.0)
        step_a = np.clip((hbb * ga - hab * gb) / det, -5, 5)
        step_b = np.clip((haa * gb - hab * ga) / det, -5, 5)
        a, b = a - step_a, b - step_b
        if max(np.abs(step_a).max(initial=0), np.abs(step_b).max(initial=0)) < 1e-9:
            break
    return a, b


def _pav(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The non-decreasing fit of ``y`` (weights ``w``, ordered by x): pool adjacent violators."""
    means, weights, sizes = [], [], []
    for value, weight in zip(y.tolist(), w.tolist(), strict=True):
        means.append(value)
        weights.append(weight)
        sizes.append(1)
        while len(means) > 1 and means[-2] >= means[-1]:
            m, wt, n = means.pop(), weights.pop(), sizes.pop()
            total = weights[-1] + wt
            means[-1] = (means[-1] * weights[-1] + m * wt) / total
            weights[-1] = total
            sizes[-1] += n
    return np.repeat(means, sizes)


def fit_isotonic(data: Binned) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per tag, the isotonic fit of its bins: (feature, probability) points, interpolated
    linearly between them and clipped outside."""
    xs, ys = [], []
    for t in range(data.x.shape[1]):
        filled = data.count[:, t] > 0
        if not filled.any():
            xs.append(np.zeros(1))
            ys.append(np.zeros(1))
            continue
        count = data.count[filled, t]
        xs.append(data.x[filled, t])
        ys.append(np.clip(_pav(data.pos[filled, t] / count, count), 0.0, 1.0))
    return xs, ys


class TagCalibrator:
    """Per-tag probabilities from decision scores (see the module docstring).

    ``fit(scores, labels, groups)`` learns on tuning rows: ``method_`` (per tag, one of
    :data:`METHODS`), ``cv_brier_`` (tags x methods, NaN where a method does not apply), the
    Platt curves ``platt_a_``, ``platt_b_``, the isotonic steps ``iso_x_``, ``iso_y_`` and the
    feature scaling ``logit_``, ``centre_``, ``scale_``.
    """

    def __init__(self, methods: Sequence[str] = METHODS, n_folds: int = 3, seed: int = 0) -> None:
        self.methods = tuple(methods)
        self.n_folds = n_folds
        self.seed = seed

    # --- features ---------------------------------------------------------------------------
    def _feature(self, s: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            x = np.where(self.logit_, _logit(np.nan_to_num(s, nan=0.5, posinf=1, neginf=0)), s)
            return (x - self.centre_) / self.scale_

    def _set_scaling(self, s: np.ndarray, finite: np.ndarray) -> None:
        inside = np.where(finite, (s >= 0) & (s <= 1), True).all(axis=0)
        self.logit_ = inside
        with np.errstate(invalid="ignore"):
            x = np.where(inside, _logit(np.where(finite, s, 0.5)), np.where(finite, s, 0.0))
        n = np.maximum(finite.sum(axis=0), 1)
        self.centre_ = np.where(finite, x, 0).sum(axis=0) / n
        var = np.where(finite, (x - self.centre_) ** 2, 0).sum(axis=0) / n
        self.scale_ = np.where(var > 0, np.sqrt(var), 1.0)

    # --- fitting ----------------------------------------------------------------------------
    def fit(self, scores: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None) -> Self:
        """Choose and fit each tag's calibration on tuning rows (``groups``: one group label
        per row for the folds, e.g. artist ids; None: each row its own group)."""
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown or not self.methods:
            raise ValueError(f"unknown calibration methods {unknown}; use some of {METHODS}")
        s = np.asarray(scores, dtype=np.float64)
        y = np.asarray(labels).astype(np.float64)
        if s.ndim != 2 or s.shape != y.shape:
            raise ValueError(f"scores {s.shape} and labels {y.shape} must be of one shape")
        finite = np.isfinite(s)
        self._set_scaling(s, finite)
        x = self._feature(s)
        labels_of = np.arange(s.shape[0]) if groups is None else np.asarray(groups)
        folds = fold_of_groups(labels_of, self.n_folds, self.seed) if self.n_folds > 1 else None
        brier = np.full((s.shape[1], len(METHODS)), np.nan)
        if folds is not None and np.unique(folds).size > 1:
            sq = np.zeros((s.shape[1], len(METHODS)))
            for k in np.unique(folds):
                held = folds == k
                self._fit_methods(s[~held], x[~held], y[~held], finite[~held])
                for m, name in enumerate(METHODS):
                    if name in self.methods:
                        p = self._apply(name, s[held], x[held], finite[held])
                        sq[:, m] += ((p - y[held]) ** 2).sum(axis=0)
            brier = sq / s.shape[0]
        for m, name in enumerate(METHODS):
            if name not in self.methods:
                brier[:, m] = np.nan
        brier[~self.logit_, METHODS.index("identity")] = np.nan  # not probabilities
        self.cv_brier_ = brier
        self.method_ = self._choose(brier)
        self._fit_methods(s, x, y, finite)
        return self

    def _choose(self, brier: np.ndarray) -> np.ndarray:
        """Per tag the method of lowest held-out Brier score; the identity is kept on ties
        (a recalibration must do better); without folds, Platt (else the first method)."""
        fallback = "platt" if "platt" in self.methods else self.methods[0]
        chosen = []
        for row in brier:
            if not np.isfinite(row).any():
                chosen.append(fallback)
                continue
            ident = row[METHODS.index("identity")]
            best = METHODS[int(np.nanargmin(row))]
            chosen.append("identity" if np.isfinite(ident) and ident <= np.nanmin(row) else best)
        return np.array(chosen, dtype=object)

    def _fit_methods(self, s: np.ndarray, x: np.ndarray, y: np.ndarray, finite: np.ndarray):
        with np.errstate(invalid="ignore", divide="ignore"):
            n_missing = (~finite).sum(axis=0)
            self.missing_rate_ = np.where(
                n_missing > 0, (y * ~finite).sum(axis=0) / np.maximum(n_missing, 1),
                y.mean(axis=0) if y.size else 0.0,
            )  # fmt: skip
        binned = Binned.of(x, y, finite)
        if "platt" in self.methods:
            self.platt_a_, self.platt_b_ = fit_platt(binned)
        if "isotonic" in self.methods:
            self.iso_x_, self.iso_y_ = fit_isotonic(binned)
            for t in np.flatnonzero(~finite.any(axis=0)):
                self.iso_y_[t] = np.array([self.missing_rate_[t]])

    def _apply(self, name: str, s: np.ndarray, x: np.ndarray, finite: np.ndarray) -> np.ndarray:
        if name == "identity":
            p = np.clip(np.where(finite, s, 0.0), 0.0, 1.0)
        elif name == "platt":
            p = _sigmoid(self.platt_a_ * x + self.platt_b_)
        else:
            p = np.empty_like(x)
            for t in range(x.shape[1]):
                p[:, t] = np.interp(x[:, t], self.iso_x_[t], self.iso_y_[t])
        return np.where(finite, p, self.missing_rate_)

    # --- using ------------------------------------------------------------------------------
    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        """Per (track, tag) the calibrated probability of the tag (float64)."""
        if not hasattr(self, "method_"):
            raise RuntimeError("TagCalibrator is not fitted; call fit first")
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[1] != self.method_.size:
            raise ValueError(f"expected {self.method_.size} score columns, got shape {s.shape}")
        finite = np.isfinite(s)
        x = self._feature(s)
        out = np.empty_like(s)
        for name in METHODS:
            cols = np.flatnonzero(self.method_ == name)
            if cols.size:
                out[:, cols] = self._apply(name, s, x, finite)[:, cols]
        return out

    def summary(self, tag_names: Sequence[str]) -> pd.DataFrame:
        """Per tag: the chosen method and each method's grouped-CV Brier score."""
        frame = pd.DataFrame(self.cv_brier_, columns=[f"brier_{m}" for m in METHODS])
        frame.insert(0, "method", self.method_)
        frame.insert(0, "tag", list(tag_names))
        return frame


def _bins(p: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((np.asarray(p) * bins).astype(np.int64), bins - 1)


def reliability_table(
    probability: np.ndarray,
    labels: np.ndarray,
    tag_classes: Sequence[str],
    bins: int = 10,
) -> pd.DataFrame:
    """The reliability diagram per class: per equal-width probability bin, its count, mean
    probability and positive rate (all decisions of the class's tags pooled)."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    classes = np.asarray(tag_classes, dtype=object)
    frames = []
    for name in dict.fromkeys(classes):
        cols = classes == name
        pc, yc = p[:, cols].ravel(), y[:, cols].ravel()
        b = _bins(pc, bins)
        count = np.bincount(b, minlength=bins)
        mean_p = np.bincount(b, pc, minlength=bins)
        pos = np.bincount(b, yc.astype(np.float64), minlength=bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            frames.append(
                pd.DataFrame(
                    {
                        "class": name,
                        "bin": np.arange(bins),
                        "lower": np.arange(bins) / bins,
                        "upper": np.arange(1, bins + 1) / bins,
                        "count": count,
                        "mean_probability": mean_p / count,
                        "positive_rate": pos / count,
                    }
                )  # fmt: skip
            )
    return pd.concat(frames, ignore_index=True)


def ece_by_class(
    probability: np.ndarray, labels: np.ndarray, tag_classes: Sequence[str], bins: int = 10
) -> pd.DataFrame:
    """Expected calibration error per class and over all tags (row ``all``): the count-weighted
    mean of |mean probability - positive rate| over the bins of :func:`reliability_table`."""
    table = reliability_table(probability, labels, tag_classes, bins)
    everything = reliability_table(probability, labels, ["all"] * np.shape(labels)[1], bins)
    rows = []
    for name, part in pd.concat([table, everything]).groupby("class", sort=False):
        filled = part[part["count"] > 0]
        gap = (filled["mean_probability"] - filled["positive_rate"]).abs()
        n = filled["count"].sum()
        rows.append({"class": name, "decisions": int(n),
                     "ece": float((gap * filled["count"]).sum() / n) if n else 0.0})  # fmt: skip
    return pd.DataFrame(rows)
