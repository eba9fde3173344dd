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
    return fit_tag_targets(train.tag_scores(), train, has_score, groups, target=model.target,
                           targets_csv=model.targets_csv, delta=float(model.delta),
                           per=model.per, fallback=model.fallback)  # fmt: skip


def fit_tag_targets(
    scores: np.ndarray,
    data: Dataset,
    has_score: np.ndarray,
    groups: np.ndarray | None,
    *,
    target: str = "",
    targets_csv: str = "",
    delta: float = DELTA,
    per: str = "tag",
    fallback: str = "none",
) -> tuple[np.ndarray, TargetFit]:
    """``(thresholds, fit)`` of every tag of ``data`` from ``scores`` (its rows x tags; the
    model's decision scores there) for a ``target`` (and / or per-category ``targets_csv``):
    the one fit behind ``train --target`` and the Thresholds page's target mode."""
    default = parse_target(target) if target else None
    by_category = read_targets_csv(targets_csv) if targets_csv else None
    where = f"targets file {targets_csv}" if targets_csv else "--target"
    targets = resolve_targets(data.tag_categories, default, by_category, where)
    units = scope_keys(per, data.tag_names, data.tag_categories, data.tag_classes)
    cols = np.flatnonzero(has_score)
    fit = fit_targets(
        np.asarray(scores)[:, cols],
        data.require_labels()[:, cols],
        groups,
        [targets[c] for c in cols],
        float(delta),
        [units[c] for c in cols],
        fallback,
    )
    n = data.n_tags
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
