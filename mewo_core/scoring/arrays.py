"""Array checks and row loops shared by the threshold search (:mod:`.thresholds`) and the
decision counts (:mod:`.counts`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .parallel import map_spans


def check_scores(scores: np.ndarray) -> np.ndarray:
    """2-D float32/float64 scores: float16 becomes float32, anything else float64."""
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ValueError(f"scores must be 2-D (tracks x tags), got shape {s.shape}")
    if s.dtype == np.float16:
        return s.astype(np.float32)
    if s.dtype.kind != "f" or s.dtype.itemsize > 8:
        return s.astype(np.float64)
    return s


def check_labels(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean labels of the given shape (non-zero means positive)."""
    y = np.asarray(labels)
    if y.shape != shape:
        raise ValueError(f"labels shape {y.shape} does not match scores shape {shape}")
    return y if y.dtype == np.bool_ else y != 0


def map_rows(fn: Callable[[int, int], None], total: int, step: int, n_jobs: int | None) -> None:
    """Run ``fn(start, stop)`` over ``range(total)`` in steps, on threads if useful."""
    map_spans(fn, total, step, n_jobs)


def thresholds_for_dtype(thresholds: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Thresholds in ``dtype`` deciding exactly like the given ones: ``s >= t`` is unchanged.

    Each threshold is rounded *up* to the next value representable in ``dtype``.
    """
    t = np.asarray(thresholds, dtype=np.float64)
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return t.copy()
    with np.errstate(over="ignore"):
        low = t.astype(dtype)
        return np.where(low.astype(np.float64) < t, np.nextafter(low, dtype.type(np.inf)), low)
