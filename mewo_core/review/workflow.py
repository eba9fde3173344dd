"""The review queue of a model on its data, as the CLI's ``review`` and the app compute it.

:func:`fit_calibrator` learns the model's per-tag probabilities where the model tunes its
thresholds (a learned model's validation split, the baseline's train part), grouped by the
coarsest grouping; :func:`review_split` ranks a split's decisions and, on labelled rows, measures
the budget curve of the queue beside its comparison orderings; :func:`review_stream` ranks an
unlabelled scores file in two streamed passes (the expected counts, then the top checks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import DataBundle, Dataset, group_labels
from ..models.base import DecisionModel
from .calibration import TagCalibrator, ece_by_class
from .gain import ExpectedCounts, expected_counts, expected_gain
from .queue import FRACTIONS, ReviewQueue, TopK, build_queue, compare_orderings

__all__ = ["ReviewResult", "fit_calibrator", "review_split", "review_stream", "whole_catalogue"]


def fit_calibrator(tuning: Dataset, scores: np.ndarray, seed: int = 0) -> TagCalibrator:
    """Per-tag calibration of ``scores`` (the model's decision scores of ``tuning``), chosen by
    folds of the tuning rows' coarsest groups."""
    return TagCalibrator(seed=seed).fit(scores, tuning.require_labels(), group_labels(tuning))


@dataclass(frozen=True)
class ReviewResult:
    """A split's queue (its first ``budget`` checks), the data it ranks, and on labelled data
    the budget curves (:func:`.queue.compare_orderings`) and the calibration check."""

    queue: ReviewQueue
    data: Dataset
    probability: np.ndarray
    decisions: np.ndarray
    curves: pd.DataFrame | None
    calibration: pd.DataFrame | None

    def frame(self) -> pd.DataFrame:
        return self.queue.frame(self.data.ids, self.data.tag_names)


def review_split(
    model: DecisionModel,
    calibrator: TagCalibrator,
    data: Dataset,
    *,
    budget: int | None = 500,
    average: str = "weighted",
    scores: np.ndarray | None = None,
    fractions: tuple[float, ...] = FRACTIONS,
    seed: int = 0,
) -> ReviewResult:
    """The queue of ``model``'s decisions on ``data``; curves and calibration when labelled."""
    s = model.decision_scores(data) if scores is None else np.asarray(scores)
    decisions = model.decide(s).astype(bool)
    p = calibrator.predict_proba(s)
    queue = build_queue(p, decisions, budget, average)
    curves = calibration = None
    if data.Y is not None:
        curves = compare_orderings(
            p, decisions, data.Y, scores=s, thresholds=model.thresholds_,
            fractions=fractions, average=average, seed=seed,
        )  # fmt: skip
        calibration = ece_by_class(p, data.Y, data.tag_classes).merge(
            ece_by_class(
                np.clip(np.nan_to_num(s, neginf=0.0), 0, 1), data.Y, data.tag_classes
            ).rename(columns={"ece": "ece_raw_scores"})[["class", "ece_raw_scores"]],
            on="class",
        )
    return ReviewResult(queue, data, p, decisions, curves, calibration)


def review_stream(
    model: DecisionModel,
    calibrator: TagCalibrator,
    x: str | Path,
    *,
    budget: int = 500,
    average: str = "weighted",
    chunk_rows: int = 16_384,
) -> pd.DataFrame:
    """The queue of an unlabelled scores file (CSV, Parquet, folder or glob, as ``predict``
    reads it) in bounded memory: pass 1 sums the expected counts, pass 2 keeps the top checks.
    The same table as :meth:`ReviewResult.frame` of the same rows held in memory."""
    from ..predict import Reader, decide_chunk, resolve_input

    files = resolve_input(x)

    def chunks():  # noqa: ANN202
        for chunk in Reader(files, model.feature_names_, chunk_rows).chunks():
            decided = decide_chunk(model, chunk.ids, chunk.X, with_scores=True)
            yield chunk.ids, calibrator.predict_proba(decided.scores), decided.decisions

    counts: ExpectedCounts | None = None
    for _, p, d in chunks():
        c = expected_counts(p, d)
        counts = c if counts is None else counts + c
    top = TopK(budget, len(model.tag_names_), average)
    ids = []
    for chunk_ids, p, d in chunks():
        top.add(expected_gain(p, d, average, counts), p, d)
        ids.append(chunk_ids)
    all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    return top.queue().frame(all_ids, model.tag_names_)


def whole_catalogue(bundle: DataBundle) -> Dataset:
    """The train and test parts of a folder as one dataset (train rows first)."""
    if bundle.test is None:
        return bundle.train
    a, b = bundle.train, bundle.test
    groups = None
    if a.groups is not None and b.groups is not None:
        groups = pd.concat([a.groups, b.groups], ignore_index=True)
    return replace(
        a,
        X=np.concatenate([a.X, b.X]),
        Y=None if a.Y is None or b.Y is None else np.concatenate([a.Y, b.Y]),
        ids=np.concatenate([a.ids, b.ids]),
        groups=groups,
        name="catalogue",
    )
