"""Input preparation: clipped logit of the tagger's scores, then standardisation fitted on train.

Scores in (0, 1) are squashed near 0 for rare tags; their logit spreads them out, and clipping
at ``eps`` keeps exact 0s and 1s finite. The per-column mean and scale are learned on the
training split only and saved with the model.
"""

from __future__ import annotations

from typing import Self

import numpy as np


def clipped_logit(X: np.ndarray, eps: float) -> np.ndarray:
    """``log(p / (1 - p))`` of ``X`` clipped to ``[eps, 1 - eps]`` (float32)."""
    p = np.clip(np.asarray(X, dtype=np.float32), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


class LogitStandardizer:
    """Clipped logit followed by a per-column standardisation learned in :meth:`fit`."""

    def __init__(self, eps: float = 1e-4) -> None:
        self.eps = eps

    def fit(self, X: np.ndarray) -> Self:
        z = clipped_logit(X, self.eps)
        self.mean_ = z.mean(axis=0, dtype=np.float64).astype(np.float32)
        std = z.std(axis=0, dtype=np.float64)
        self.scale_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardised logits (float32), same shape as ``X``."""
        z = clipped_logit(X, self.eps)
        z -= self.mean_
        z /= self.scale_
        return z

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "scale": self.scale_}

    @classmethod
    def from_state(cls, eps: float, arrays: dict[str, np.ndarray]) -> LogitStandardizer:
        out = cls(eps)
        out.mean_ = np.asarray(arrays["mean"], dtype=np.float32)
        out.scale_ = np.asarray(arrays["scale"], dtype=np.float32)
        return out
