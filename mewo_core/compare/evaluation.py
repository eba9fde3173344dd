"""Evaluate decisions: overall F1s, per class, per category and per tag; compare two models.

A :class:`Comparison` holds two evaluations on the same tracks, what each side was tuned on
(:class:`Side`), and optionally paired group-bootstrap replicates
(:mod:`~mewo_core.scoring.bootstrap`), from which every delta gets an interval and a mark
whether the interval excludes 0 (``clear``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..data import Dataset, default_group_column
from ..models.base import DecisionModel
from ..scoring import bootstrap as bs
from ..scoring.counts import count_decisions
from ..scoring.metrics import (
    AVERAGES,
    TIE,
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




def wins_losses(delta_f1: pd.Series | np.ndarray) -> tuple[int, int, int]:
    """(better, worse, equal): how many tags the model wins, loses and ties by ``delta_f1``."""
    delta = np.asarray(delta_f1, dtype=np.float64)
    wins, losses = int((delta > TIE).sum()), int((delta < -TIE).sum())
    return wins, losses, delta.size - wins - losses


#: Tags with fewer positives than this on the split are left out of the won / lost lists.
MIN_SUPPORT = 20
#: Default bootstrap replicates and interval level.
REPLICATES, LEVEL = 1000, 0.95


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its name, what it was tuned on, and whether that includes the
    split it is scored on (then its figures there are in-sample: optimistic)."""

    name: str
    tuned_on: str
    in_sample: bool = False

    def caption(self) -> str:
        return f"{self.name}: tuned on {self.tuned_on}" + (
            " (in-sample on this split: optimistic)" if self.in_sample else ""
        )


@dataclass(frozen=True)
class Comparison:
    """A model's evaluation beside a reference's (the baseline, or another model) on the same
    tracks, with per-level deltas; with ``intervals`` (paired bootstrap replicates, side 0 the
    model, side 1 the reference), interval columns ``*_low`` / ``*_high`` and ``clear``."""

    model: Evaluation
    baseline: Evaluation
    model_side: Side | None = None
    baseline_side: Side | None = None
    scored_on: str = ""
    intervals: bs.Replicates | None = field(default=None, repr=False)

    @property
    def level(self) -> float | None:
        return None if self.intervals is None else self.intervals.level

    def captions(self) -> list[str]:
        """What each side was tuned on and what both are scored on, one line each."""
        lines = [s.caption() for s in (self.model_side, self.baseline_side) if s is not None]
        if self.scored_on:
            lines.append(f"Both scored on {self.scored_on}.")
        if self.intervals is not None:
            r = self.intervals
            unit = (f"{r.n_groups:,} groups ({r.group_column})" if r.group_column else
                    f"tracks (no groups; {r.n_groups:,} units)")  # fmt: skip
            lines.append(
                f"Intervals: {r.level:.0%} group bootstrap, {r.n_replicates} replicates "
                f"resampling {unit}; both sides on the same draws."
            )
        return lines

    @cached_property
    def overall(self) -> pd.DataFrame:
        rows = [
            {"average": k, "model": self.model.overall[k], "baseline": self.baseline.overall[k]}
            for k in AVERAGES
        ]
        frame = pd.DataFrame(rows)
        frame["delta"] = frame["model"] - frame["baseline"]
        if self.intervals is not None:
            r = self.intervals
            reps = [r.averages(0), r.averages(1)]
            values = {
                "model": np.stack([reps[0][k] for k in AVERAGES], axis=1),
                "baseline": np.stack([reps[1][k] for k in AVERAGES], axis=1),
            }
            values["delta"] = values["model"] - values["baseline"]
            for name, v in values.items():
                frame[f"{name}_low"], frame[f"{name}_high"] = bs.percentile_interval(v, r.level)
            frame["clear"] = bs.excludes_zero(frame["delta_low"], frame["delta_high"])
        return frame

    def _side_by_side(self, attr: str, keys: list[str]) -> pd.DataFrame:
        left = getattr(self.model, attr)
        right = getattr(self.baseline, attr)
        merged = left.merge(right, on=keys, suffixes=("", "_baseline"))
        merged["delta_f1"] = merged["f1"] - merged["f1_baseline"]
        return merged

    def _with_intervals(self, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """``frame`` (one row per group of tags ``keys``) with the delta's interval."""
        if self.intervals is None:
            return frame
        tags = self.model.per_tag
        codes, uniques = pd.MultiIndex.from_frame(tags[keys]).factorize()
        delta = tag_group_delta(self.intervals, codes, len(uniques))
        low, high = bs.percentile_interval(delta, self.intervals.level)
        found = pd.DataFrame(list(uniques), columns=keys).assign(delta_low=low, delta_high=high)
        out = frame.merge(found, on=keys, how="left")
        out["clear"] = bs.excludes_zero(out["delta_low"], out["delta_high"])
        return out

    @cached_property
    def per_tag(self) -> pd.DataFrame:
        frame = self._side_by_side("per_tag", ["tag", "class", "category"])
        if self.intervals is not None:
            r = self.intervals
            frame["delta_low"], frame["delta_high"] = bs.percentile_interval(
                r.tag_f1(0) - r.tag_f1(1), r.level
            )
            frame["clear"] = bs.excludes_zero(frame["delta_low"], frame["delta_high"])
        return frame

    @cached_property
    def per_class(self) -> pd.DataFrame:
        return self._with_intervals(self._side_by_side("per_class", ["class"]), ["class"])

    @cached_property
    def per_category(self) -> pd.DataFrame:
        keys = ["class", "category"]
        return self._with_intervals(self._side_by_side("per_category", keys), keys)

    def won_lost(
        self, top: int = 10, min_support: int = MIN_SUPPORT
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The tags won and lost most (by delta F1), among tags with ``min_support`` positives or
        more on the split (rarer tags' deltas are mostly noise)."""
        return won_lost(self.per_tag, top, min_support)

    def bootstrap_info(self) -> dict[str, object] | None:
        if self.intervals is None:
            return None
        r = self.intervals
        return {
            "method": "paired group bootstrap (percentile)",
            "level": r.level,
            "replicates": r.n_replicates,
            "seed": r.seed,
            "group_column": r.group_column or "track",
            "groups": r.n_groups,
        }

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "sides": {
                name: None if side is None else {"name": side.name, "tuned_on": side.tuned_on,
                                                 "in_sample": side.in_sample}
                for name, side in (("model", self.model_side), ("baseline", self.baseline_side))
            },  # fmt: skip
            "scored_on": self.scored_on,
            "bootstrap": self.bootstrap_info(),
            "overall": self.overall.to_dict(orient="records"),
            "per_class": self.per_class.to_dict(orient="records"),
            "per_category": self.per_category.to_dict(orient="records"),
            "per_tag": self.per_tag.to_dict(orient="records"),
        }
        return out


def tag_group_delta(replicates: bs.Replicates, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """(R, n_codes) replicates of the difference (side 0 − side 1) of micro F1 within each group
    of tags (``codes[t]``; −1 leaves a tag out)."""
    return replicates.grouped_f1(0, codes, n_codes)["f1"] - replicates.grouped_f1(
        1, codes, n_codes
    )["f1"]


def won_lost(
    per_tag: pd.DataFrame, top: int = 10, min_support: int = MIN_SUPPORT
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(won, lost): the ``top`` tags with the largest gain and loss in ``delta_f1`` among those
    with at least ``min_support`` positives (``support``); ties (|delta| <= TIE) are neither."""
    shown = per_tag[per_tag["support"] >= min_support]
    won = shown[shown["delta_f1"] > TIE].sort_values("delta_f1", ascending=False, kind="stable")
    lost = shown[shown["delta_f1"] < -TIE].sort_values("delta_f1", kind="stable")
    return won.head(top), lost.head(top)


def compare_decisions(
    data: Dataset,
    model_decisions: np.ndarray,
    baseline_decisions: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    group_column: str | None = None,
    replicates: int = REPLICATES,
    level: float = LEVEL,
    seed: int = 0,
    model_side: Side | None = None,
    baseline_side: Side | None = None,
    scored_on: str = "",
) -> Comparison:
    """Both decision sets evaluated on ``data``, with paired group-bootstrap intervals
    (``replicates`` 0: none). ``groups``: one label per track (None: each track its own)."""
    labels = data.require_labels()
    intervals = None
    if replicates:
        counts = bs.group_counts(labels, [model_decisions, baseline_decisions], groups, seed)
        intervals = bs.bootstrap(counts, replicates, seed, level, group_column)
    return Comparison(
        model=evaluate_decisions(data, model_decisions),
        baseline=evaluate_decisions(data, baseline_decisions),
        model_side=model_side,
        baseline_side=baseline_side,
        scored_on=scored_on,
        intervals=intervals,
    )


def bootstrap_groups(
    data: Dataset, column: str | None = None
) -> tuple[np.ndarray | None, str | None]:
    """(one group label per track, the column used) for resampling ``data``: ``column`` if the
    data has it, else the coarsest group column; (None, None) without groups (tracks)."""
    groups = data.groups
    if groups is None or groups.shape[1] == 0:
        return None, None
    if column is None or column not in groups.columns:
        column = default_group_column(groups)
    return groups[column].to_numpy(), column


def overall_intervals(
    data: Dataset,
    decisions: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    group_column: str | None = None,
    replicates: int = REPLICATES,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[dict[str, tuple[float, float]], dict[str, object]]:
    """Group-bootstrap intervals of the four averages of one decision set, and how they were
    drawn (as :meth:`Comparison.bootstrap_info`)."""
    counts = bs.group_counts(data.require_labels(), [decisions], groups, seed)
    rep = bs.bootstrap(counts, replicates, seed, level, group_column)
    out = {}
    for k, values in rep.averages(0).items():
        low, high = bs.percentile_interval(values, level)
        out[k] = (float(low), float(high))
    info = {"method": "group bootstrap (percentile)", "level": level, "replicates": replicates,
            "seed": seed, "group_column": group_column or "track", "groups": rep.n_groups}
    return out, info
