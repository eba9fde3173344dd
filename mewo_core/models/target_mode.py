"""The target mode of the ``robust-thresholds`` model (:mod:`mewo_core.targets`): its parameters
(declared once, so the CLI flags, the app's form and the manifest follow) and its fit on a
train split."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import Dataset
from ..errors import TrainingError
from ..targets.fit import FALLBACKS, TargetFit, fit_targets
from ..targets.spec import SCOPES, parse_target, read_targets_csv, resolve_targets, scope_keys
from .params import Param

DELTA = 0.1

TARGET_PARAMS = (
    Param("target", str, "", "promise a metric on new tracks, e.g. precision>=0.9 or "
          "recall>=0.8 (empty: thresholds for F1)", exposed=True),
    Param("delta", float, DELTA, "the target holds with probability 1 - delta", low=0.0,
          high=1.0, closed="neither", exposed=True),
    Param("per", str, "tag", "with a target: one threshold per tag, or shared by the tags of "
          "a category or class", choices=SCOPES, exposed=True),
    Param("targets_csv", str, "", "CSV file category,metric,target: per-category targets "
          "(other categories take --target)", exposed=True),
    Param("fallback", str, "none", "tags that cannot promise their target: none (never "
          "positive) or f1 (per-tag F1 threshold, no guarantee)", choices=FALLBACKS,
          exposed=True),
)  # fmt: skip


def check_target_params(values: dict[str, Any]) -> None:
    """Constraints between the target parameters (a TrainingError naming the option)."""
    if values.get("target"):
        parse_target(values["target"])
    if not values.get("target") and not values.get("targets_csv"):
        changed = [name for name, default in (("per", "tag"), ("fallback", "none"))
                   if values.get(name, default) != default]  # fmt: skip
        if changed:
            raise TrainingError(
                f"--{changed[0]} applies to targets; give --target or --targets-csv too"
            )


def fit_target_thresholds(
    model: Any, train: Dataset, has_score: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, TargetFit]:
    """``(thresholds, fit)`` over all tags of ``train`` for ``model``'s target parameters;
    tags without a score column get ``+inf`` and the status ``no-score``."""
    default = parse_target(model.target) if model.target else None
    by_category = read_targets_csv(model.targets_csv) if model.targets_csv else None
    where = f"targets file {model.targets_csv}" if model.targets_csv else "--target"
    targets = resolve_targets(train.tag_categories, default, by_category, where)
    units = scope_keys(model.per, train.tag_names, train.tag_categories, train.tag_classes)
    cols = np.flatnonzero(has_score)
    fit = fit_targets(
        train.tag_scores()[:, cols],
        train.require_labels()[:, cols],
        groups,
        [targets[c] for c in cols],
        float(model.delta),
        [units[c] for c in cols],
        model.fallback,
    )
    n = train.n_tags
    thresholds = np.full(n, np.inf)
    thresholds[cols] = fit.thresholds

    def widen(values: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(n, fill, dtype=values.dtype if values.dtype.kind != "U" else object)
        out[cols] = values
        return out.astype(str) if values.dtype.kind == "U" else out

    full = TargetFit(
        thresholds=thresholds,
        metric=np.array([t.metric for t in targets], dtype=str),
        target=np.array([t.value for t in targets], dtype=np.float64),
        bound=widen(fit.bound, np.nan),
        best_bound=widen(fit.best_bound, 0.0),
        status=widen(fit.status, "no-score"),
        scope=np.array(units, dtype=str),
        delta=fit.delta,
    )
    return thresholds, full
