"""Input preparation: per column, clipped logit (probability-like scores) or the raw score,
then a standardisation fitted on train.

The logit is :func:`mewo_core.scoring.space.logit` at the model's own ``eps`` (a saved setting).

Scores in [0, 1] are squashed near 0 for rare tags; their logit spreads them out, and clipping
at ``eps`` keeps exact 0s and 1s finite. Columns whose training values leave [0, 1] (scores are
not normalised) are kept as they are, so no value above 1 is collapsed by the clip. Which
columns take the logit, and the per-column mean and scale, are learned on the training split
only and saved with the model.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from ...scoring.space import logit


class LogitStandardizer:
    """Clipped logit on [0, 1] columns (raw values elsewhere), then per-column standardisation."""

    def __init__(self, eps: float = 1e-4) -> None:
        self.eps = eps

    def fit(self, X: np.ndarray) -> Self:
        X = np.asarray(X, dtype=np.float32)
        self.logit_ = (X.min(axis=0) >= 0.0) & (X.max(axis=0) <= 1.0)
        z = self._lift(X)
        self.mean_ = z.mean(axis=0, dtype=np.float64).astype(np.float32)
        std = z.std(axis=0, dtype=np.float64)
        self.scale_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        return self

    def _lift(self, X: np.ndarray) -> np.ndarray:
        # rows contiguous whatever X's order: the column gathers that follow (here and of the
        # tokens) read along rows; the values are those of any order
        z = np.array(X, dtype=np.float32, order="C")
        if self.logit_.any():
            z[:, self.logit_] = logit(z[:, self.logit_], self.eps)
        return z

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardised features (float32), same shape as ``X``."""
        z = self._lift(X)
        z -= self.mean_
        z /= self.scale_
        return z

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "scale": self.scale_, "logit": self.logit_}

    @classmethod
    def from_state(cls, eps: float, arrays: dict[str, np.ndarray]) -> LogitStandardizer:
        out = cls(eps)
        out.mean_ = np.asarray(arrays["mean"], dtype=np.float32)
        out.scale_ = np.asarray(arrays["scale"], dtype=np.float32)
        out.logit_ = np.asarray(arrays["logit"], dtype=bool)
        return out
