"""Decision counts: what every F1 in the project is computed from (:mod:`.metrics`).

Per tag (columns): true positives, positive decisions and positives; per track (rows), the
same three, which only the ``samples`` average needs. Counts of disjoint sets of tracks (the
held-out folds of a cross-validation) add up with ``+``. Counts of 0/1 matrices are column and
row sums of uint8 views (partial sums in uint8 blocks of 255 cannot overflow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import check_labels, check_scores, map_rows, thresholds_for_dtype

__all__ = ["DecisionCounts", "count_decisions", "counts_at", "tag_counts_at"]

_BLOCK = 255  # uint8 partial sums of at most 255 zeros/ones cannot overflow


@dataclass(frozen=True)
class DecisionCounts:
    """Per tag ``tp``, ``pred`` (positive decisions), ``true`` (positives), int64; per track
    ``row_tp``, ``row_pred``, ``row_true``, or None when the tracks were not counted."""

    tp: np.ndarray
    pred: np.ndarray
    true: np.ndarray
    row_tp: np.ndarray | None = None
    row_pred: np.ndarray | None = None
    row_true: np.ndarray | None = None

    @classmethod
    def from_tag_counts(cls, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> DecisionCounts:
        """Per-tag counts only, from true positives, false positives and false negatives."""
        tp = np.asarray(tp, dtype=np.int64)
        return cls(tp, tp + np.asarray(fp, dtype=np.int64), tp + np.asarray(fn, dtype=np.int64))

    @property
    def fp(self) -> np.ndarray:
        return self.pred - self.tp

    @property
    def fn(self) -> np.ndarray:
        return self.true - self.tp

    @property
    def has_rows(self) -> bool:
        return self.row_tp is not None

    def __add__(self, other: DecisionCounts) -> DecisionCounts:
        """Counts of both sets of tracks together (same tags; rows one after the other)."""
        if self.has_rows != other.has_rows:
            raise ValueError("cannot add counts with and without per-track counts")
        rows = (None, None, None)
        if self.has_rows:
            rows = tuple(
                np.concatenate([a, b])
                for a, b in zip(
                    (self.row_tp, self.row_pred, self.row_true),
                    (other.row_tp, other.row_pred, other.row_true),
                    strict=True,
                )
            )
        return DecisionCounts(
            self.tp + other.tp, self.pred + other.pred, self.true + other.true, *rows
        )


def as_binary(a: np.ndarray, name: str) -> np.ndarray:
    """A 2-D C-contiguous bool matrix; other dtypes must hold only 0 and 1."""
    m = np.asarray(a)
    if m.ndim != 2:
        raise ValueError(f"{name} must be 2-D (tracks x tags), got shape {m.shape}")
    if m.dtype == np.uint8:  # the labels' own dtype: bytes of 0 and 1 are bools (no copy)
        if m.size and m.max() > 1:
            raise ValueError(f"{name} must hold only 0 and 1")
        m = m.view(np.bool_)
    elif m.dtype != np.bool_:
        if m.size and not ((m == 0) | (m == 1)).all():
            raise ValueError(f"{name} must hold only 0 and 1")
        m = m.astype(bool)
    return np.ascontiguousarray(m)


def check_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as :func:`as_binary`, of the same shape."""
    t, p = as_binary(y_true, "y_true"), as_binary(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true shape {t.shape} and y_pred shape {p.shape} differ")
    return t, p


def column_counts(m: np.ndarray) -> np.ndarray:
    """Number of True per column of a C-contiguous bool matrix (int64)."""
    u = m.view(np.uint8)
    full = (u.shape[0] // _BLOCK) * _BLOCK
    out = u[full:].sum(axis=0, dtype=np.int64)
    if full:
        blocks = u[:full].reshape(-1, _BLOCK, u.shape[1]).sum(axis=1, dtype=np.uint8)
        out += blocks.sum(axis=0, dtype=np.int64)
    return out


def _row_counts(m: np.ndarray) -> np.ndarray:
    """Number of True per row (int64)."""
    u = m.view(np.uint8)
    out = np.zeros(u.shape[0], dtype=np.int64)
    for c in range(0, u.shape[1], _BLOCK):
        out += u[:, c : c + _BLOCK].sum(axis=1, dtype=np.uint8)
    return out


def count_decisions(y_true: np.ndarray, y_pred: np.ndarray) -> DecisionCounts:
    """Per-tag and per-track counts of two 0/1 matrices (tracks x tags) of the same shape."""
    t, p = check_pair(y_true, y_pred)
    both = t & p
    return DecisionCounts(
        tp=column_counts(both),
        pred=column_counts(p),
        true=column_counts(t),
        row_tp=_row_counts(both),
        row_pred=_row_counts(p),
        row_true=_row_counts(t),
    )


def counts_at(
    scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray, *, rows: bool = True
) -> DecisionCounts:
    """Counts of the decisions ``scores >= thresholds`` against 0/1 ``labels``.

    ``rows=False`` counts per tag only (multi-threaded, for many calls on large data).
    """
    if not rows:
        return DecisionCounts.from_tag_counts(*tag_counts_at(scores, labels, thresholds))
    return count_decisions(labels, np.asarray(scores) >= np.asarray(thresholds, dtype=np.float64))


def tag_counts_at(
    scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray, *, n_jobs: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per tag ``(tp, fp, fn)`` (int64) of the decisions ``scores >= thresholds``."""
    s = check_scores(scores)
    y = check_labels(labels, s.shape)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.shape != (s.shape[1],):
        raise ValueError(f"need one threshold per tag ({s.shape[1]}), got shape {t.shape}")
    t = thresholds_for_dtype(t, s.dtype)
    counts = np.zeros((3, s.shape[1]), dtype=np.int64)  # tp, predicted, positives
    parts: list[np.ndarray] = []

    def work(r0: int, r1: int) -> None:
        pred = s[r0:r1] >= t
        yy = y[r0:r1]
        part = np.empty_like(counts)
        part[1] = np.count_nonzero(pred, axis=0)
        pred &= yy
        part[0] = np.count_nonzero(pred, axis=0)
        part[2] = np.count_nonzero(yy, axis=0)
        parts.append(part)  # list.append is atomic

    map_rows(work, s.shape[0], 8192, n_jobs)
    for part in parts:
        counts += part
    tp, predicted, positives = counts
    return tp, predicted - tp, positives - tp
