"""``robust-thresholds``: the tagger's own scores with robustly fitted per-tag thresholds.

Like the benchmark, scores are the tagger's tag scores and only thresholds are learned, but
they come from :func:`mewo_core.robust.selection.fit_robust` (bootstrap, shrinkage, global or
per-category thresholds, chosen by grouped cross-validation for the target ``metric``).
The model tunes on the whole train split (``uses_validation = False``) and does its own
grouped cross-validation there, by the coarsest group column of ``groups.csv`` (artist over
album), or by track when there is none.

With a ``target`` (``precision>=0.9``) or a ``targets_csv`` (``category,metric,target``) the
thresholds are instead chosen so that each tag keeps its target on new tracks with confidence
``1 - delta`` (:mod:`mewo_core.targets`, per tag or shared ``per`` category / class), the bound
counting the same groups.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from ..data import Dataset, group_labels
from ..errors import TrainingError
from ..robust.selection import ESTIMATORS, N_FOLDS, N_RESAMPLES, fit_robust, fit_steps
from ..scoring.metrics import AVERAGES
from ..targets.fit import TargetFit
from .base import CONTEXT_PARAM, ProgressCallback, ProgressEvent
from .baselines import _ThresholdModel
from .params import Param
from .target_mode import TARGET_PARAMS, check_target_params, fit_target_thresholds


class RobustThresholds(_ThresholdModel):
    """Per-tag thresholds fitted for ``metric`` by ``method`` (see :mod:`mewo_core.robust`).

    Learned: ``thresholds_``, ``chosen_`` (the name of the candidate ``auto`` picked, or of
    ``method``'s; ``target`` in target mode), ``targets_`` (the per-tag targets, bounds and
    outcomes, :class:`~mewo_core.targets.fit.TargetFit`; None for F1) and ``context_`` (the
    group context, :mod:`mewo_core.models.context`; thresholds are fitted on the blended scores).
    """

    model_type = "robust-thresholds"

    params = (
        Param("metric", str, "weighted", "target F1 average", choices=AVERAGES, exposed=True),
        Param("method", str, "auto", "threshold estimator", choices=ESTIMATORS),
        Param("seed", int, 0, "seed of the resamples and folds", low=0),
        Param("n_folds", int, N_FOLDS, "grouped cross-validation folds", low=2),
        Param("n_resamples", int, N_RESAMPLES, "bootstrap resamples", low=1),
        CONTEXT_PARAM,
        *TARGET_PARAMS,
    )

    @classmethod
    def _check_combination(cls, values: dict[str, Any]) -> None:
        check_target_params(values)

    def fit(
        self,
        train: Dataset,
        validation: Dataset | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        self._validate_params()
        self._remember_columns(train)
        (train,) = self._fit_context(train)
        groups = group_labels(train)
        self.targets_: TargetFit | None = None
        if self.target or self.targets_csv:
            if progress:
                aim = self.target or self.targets_csv
                progress(ProgressEvent("thresholds", 0, 1, f"thresholds for {aim}"))
            self.thresholds_, self.targets_ = fit_target_thresholds(
                self, train, self.tag_score_index_ >= 0, groups
            )
            self.chosen_ = "target"
            if progress:
                progress(ProgressEvent("thresholds", 1, 1, "chose target thresholds"))
            return self
        if np.unique(groups).size < 2:
            raise TrainingError(
                "robust-thresholds cross-validates by group, but every track is in the same "
                "group of groups.csv; give more than one album or artist, or use --model baseline"
            )
        steps = fit_steps(self.method, self.n_folds, groups, train.n_tracks)
        if progress:
            progress(ProgressEvent("thresholds", 0, steps, f"{self.method} for {self.metric} F1"))
        has_score = self.tag_score_index_ >= 0
        scores = train.tag_scores()[:, has_score]
        labels = train.require_labels()[:, has_score]
        categories = [c for c, ok in zip(train.tag_categories, has_score, strict=True) if ok]
        result = fit_robust(
            scores,
            labels,
            groups,
            self.metric,
            self.method,
            self.seed,
            categories,
            n_folds=self.n_folds,
            n_resamples=self.n_resamples,
            progress=None if progress is None else (
                lambda step, total, msg: progress(ProgressEvent("thresholds", step, total, msg))
            ),
        )
        self.thresholds_ = np.full(train.n_tags, np.inf)
        self.thresholds_[has_score] = result.thresholds
        self.chosen_ = result.chosen.name
        if progress:
            progress(ProgressEvent("thresholds", steps, steps, f"chose {self.chosen_}"))
        return self

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
        arrays, _ = super().state()
        targets = {} if self.targets_ is None else self.targets_.arrays()
        return {**arrays, "chosen": np.array(self.chosen_), **targets}, None

    @classmethod
    def from_state(cls, config, arrays, torch_state, columns) -> Self:  # noqa: ANN001
        model = super().from_state(config, arrays, torch_state, columns)
        model.chosen_ = str(arrays["chosen"]) if "chosen" in arrays else ""
        model.targets_ = TargetFit.from_arrays(arrays)
        return model
