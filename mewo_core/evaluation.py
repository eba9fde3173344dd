"""Evaluate decisions: overall F1s, per class, per category and per tag; compare two models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import Dataset
from .models.base import DecisionModel
from .scoring.counts import count_decisions
from .scoring.metrics import (
    AVERAGES,
    aggregate_table,
    classification_summary,
    f1_averages,
    per_tag_table,
)


@dataclass(frozen=True)
class Evaluation:
    """Scores of one set of decisions against the labels."""

    overall: dict[str, float]
    summary: pd.DataFrame
    per_tag: pd.DataFrame
    per_class: pd.DataFrame
    per_category: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall,
            "summary": self.summary.reset_index().to_dict(orient="records"),
            "per_class": self.per_class.to_dict(orient="records"),
            "per_category": self.per_category.to_dict(orient="records"),
            "per_tag": self.per_tag.to_dict(orient="records"),
        }


def evaluate_decisions(data: Dataset, decisions: np.ndarray) -> Evaluation:
    """Evaluate ``decisions`` (tracks x tags, 0/1) against ``data``'s labels."""
    counts = count_decisions(data.require_labels(), np.asarray(decisions).astype(bool, copy=False))
    table = per_tag_table(counts, list(data.tag_names))
    table.insert(1, "class", list(data.tag_classes))
    table.insert(2, "category", list(data.tag_categories))
    return Evaluation(
        overall=f1_averages(counts),
        summary=classification_summary(counts),
        per_tag=table,
        per_class=aggregate_table(table, "class"),
        per_category=aggregate_table(table, ["class", "category"]),
    )


def evaluate_model(model: DecisionModel, data: Dataset) -> Evaluation:
    """Evaluate a fitted model's decisions on labelled ``data`` (same tags as the model)."""
    model.check_tags(data)
    return evaluate_decisions(data, model.predict(data))


#: F1 differences within this are ties (float noise, not a win or a loss).
TIE = 1e-12


def wins_losses(delta_f1: pd.Series | np.ndarray) -> tuple[int, int, int]:
    """(better, worse, equal): how many tags the model wins, loses and ties by ``delta_f1``."""
    delta = np.asarray(delta_f1, dtype=np.float64)
    wins, losses = int((delta > TIE).sum()), int((delta < -TIE).sum())
    return wins, losses, delta.size - wins - losses


@dataclass(frozen=True)
class Comparison:
    """A model's evaluation beside the baseline's, with per-level deltas."""

    model: Evaluation
    baseline: Evaluation

    @property
    def overall(self) -> pd.DataFrame:
        rows = [
            {"average": k, "model": self.model.overall[k], "baseline": self.baseline.overall[k]}
            for k in AVERAGES
        ]
        frame = pd.DataFrame(rows)
        frame["delta"] = frame["model"] - frame["baseline"]
        return frame

    def _side_by_side(self, attr: str, keys: list[str]) -> pd.DataFrame:
        left = getattr(self.model, attr)
        right = getattr(self.baseline, attr)
        merged = left.merge(right, on=keys, suffixes=("", "_baseline"))
        merged["delta_f1"] = merged["f1"] - merged["f1_baseline"]
        return merged

    @property
    def per_tag(self) -> pd.DataFrame:
        return self._side_by_side("per_tag", ["tag", "class", "category"])

    @property
    def per_class(self) -> pd.DataFrame:
        return self._side_by_side("per_class", ["class"])

    @property
    def per_category(self) -> pd.DataFrame:
        return self._side_by_side("per_category", ["class", "category"])

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.to_dict(orient="records"),
            "per_class": self.per_class.to_dict(orient="records"),
            "per_category": self.per_category.to_dict(orient="records"),
            "per_tag": self.per_tag.to_dict(orient="records"),
        }
