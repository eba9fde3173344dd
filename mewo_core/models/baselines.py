"""Threshold baselines: a global 0.5 threshold and the challenge benchmark (per-tag F1)."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from ..data import Dataset, columns_or_neg_inf
from ..scoring.thresholds import f1_optimal_thresholds
from .base import DecisionModel, ProgressCallback
from .params import Param
from .tuning import FIXED, ON_TRAIN


class _ThresholdModel(DecisionModel):
    """Scores are the tagger's own tag scores; only the thresholds are learned."""

    tuning = ON_TRAIN

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return columns_or_neg_inf(X, self.tag_score_index_)

    def _remember_columns(self, train: Dataset) -> None:
        super()._remember_columns(train)
        self.tag_score_index_ = train.tag_feature_index.copy()

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
        arrays = {"thresholds": self.thresholds_, "tag_score_index": self.tag_score_index_}
        return {**arrays, **self.context_arrays()}, None

    @classmethod
    def from_state(cls, config, arrays, torch_state, columns) -> Self:  # noqa: ANN001
        model = cls.from_config(config)
        model._restore_columns(columns, arrays["thresholds"])
        model.tag_score_index_ = arrays["tag_score_index"].astype(np.int64)
        model._restore_context(arrays)
        return model


class GlobalThreshold(_ThresholdModel):
    """One fixed threshold for every tag (0.5 by default)."""

    model_type = "global-threshold"
    tuning = FIXED
    params = (Param("threshold", float, 0.5, "the threshold applied to every tag's score"),)

    def fit(
        self,
        train: Dataset,
        validation: Dataset | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        self._validate_params()
        self._remember_columns(train)
        self.thresholds_ = np.full(train.n_tags, float(self.threshold))
        self.thresholds_[self.tag_score_index_ < 0] = np.inf
        return self


class PerTagThreshold(_ThresholdModel):
    """The challenge benchmark: per tag, the threshold maximising that tag's F1 on the train data.

    A tag with no score column in x, or with no positive in train, is never predicted.
    """

    model_type = "baseline"

    def fit(
        self,
        train: Dataset,
        validation: Dataset | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        self._remember_columns(train)
        # each tag's column read in place (no tracks x tags copy of the train scores)
        thresholds = f1_optimal_thresholds(train.X, train.require_labels(),
                                           columns=np.maximum(self.tag_score_index_, 0))
        thresholds[self.tag_score_index_ < 0] = np.inf
        self.thresholds_ = np.asarray(thresholds, dtype=np.float64)
        return self
