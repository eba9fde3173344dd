"""The score space: one clipped logit and one sigmoid, and the space thresholds are averaged in.

Probability-like scores (all finite values in [0, 1]) are squashed near 0 for rare tags; their
logit spreads them out, and clipping at ``eps`` keeps exact 0s and 1s finite. :data:`EPS` is
the default clip; a model that stores its own ``eps`` (the reservoir-transformer's input
preparation, 1e-4) passes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EPS", "ScoreSpace", "logit", "sigmoid"]

EPS = 1e-6


def logit(p: np.ndarray, eps: float = EPS) -> np.ndarray:
    """``log(p / (1 - p))`` of ``p`` clipped to ``[eps, 1 - eps]`` (float32 stays float32,
    anything else is computed in float64)."""
    p = np.asarray(p)
    if p.dtype != np.float32:
        p = p.astype(np.float64)
    p = np.clip(p, eps, 1.0 - eps)  # a new array: the steps below reuse it (the same values)
    if p.ndim == 0:
        return np.log(p) - np.log1p(-p)
    out = np.log(p)
    np.negative(p, out=p)
    np.log1p(p, out=p)
    return np.subtract(out, p, out=out)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in float64, ``x`` clipped to [-60, 60] (no overflow warning)."""
    z = np.clip(np.asarray(x, dtype=np.float64), -60, 60)  # a new array, then reused in place
    if z.ndim == 0:
        return 1.0 / (1.0 + np.exp(-z))
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    return np.divide(1.0, z, out=z)


@dataclass(frozen=True)
class ScoreSpace:
    """Where thresholds are averaged and shrunk: ``logit`` (clipped at ``eps``) for
    probabilities, ``identity`` otherwise. ``+-inf`` ("never" / "always") map to themselves."""

    kind: str = "logit"
    eps: float = EPS

    @classmethod
    def for_scores(cls, scores: np.ndarray) -> ScoreSpace:
        """``logit`` when all finite ``scores`` lie in [0, 1], else ``identity``."""
        finite = scores[np.isfinite(scores)]
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            return cls("logit")
        return cls("identity")

    def forward(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self.kind == "identity":
            return values.copy()
        with np.errstate(invalid="ignore"):
            out = logit(values, self.eps)
        return np.where(np.isinf(values), values, out)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self.kind == "identity":
            return values.copy()
        return np.where(np.isinf(values), values, sigmoid(values))
