"""The review queue: decisions ranked by expected F1 gain, the orderings it is compared with,
and the budget curve (the catalogue's F1 after the first checks of an ordering).

Every ordering is a sequence of flat positions ``row * n_tags + tag`` in a (tracks x tags)
matrix, ranked by a key, highest first, ties by position: a total order, so the top ``k`` of a
whole matrix and the top ``k`` kept across its chunks (:class:`TopK`) are the same entries.
Only the top ``k`` are sorted (a partial sort): the queue of 22,738 x 248 decisions takes well
under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scoring.counts import DecisionCounts, count_decisions
from ..scoring.metrics import f1_score
from .gain import ExpectedCounts, expected_counts, expected_gain

__all__ = [
    "ORDERINGS",
    "ReviewQueue",
    "TopK",
    "budget_curve",
    "build_queue",
    "compare_orderings",
    "ordering",
    "top_positions",
]

#: The orderings :func:`ordering` knows: the queue's rule and its comparisons.
ORDERINGS = ("gain", "closest", "uncertainty", "random")
FRACTIONS = (0.01, 0.05, 0.10)


def top_positions(key: np.ndarray, k: int) -> np.ndarray:
    """Flat positions of the ``k`` largest values of ``key`` (any shape), largest first, ties
    by position (NaN counts as the smallest value)."""
    flat = np.asarray(key).ravel()
    flat = np.where(np.isnan(flat), -np.inf, flat)
    k = int(min(max(k, 0), flat.size))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if k == flat.size:
        return np.lexsort((np.arange(flat.size), -flat)).astype(np.int64)
    cut = np.partition(flat, flat.size - k)[flat.size - k]  # the k-th largest value
    above = np.flatnonzero(flat > cut)
    tied = np.flatnonzero(flat == cut)[: k - above.size]
    chosen = np.concatenate([above, tied])
    return chosen[np.lexsort((chosen, -flat[chosen]))].astype(np.int64)


class TopK:
    """The ``k`` highest-gain checks over row chunks of one matrix: the same entries, in the
    same order, as :func:`build_queue` on the whole matrix (given the same counts)."""

    def __init__(self, k: int, n_cols: int, average: str = "weighted") -> None:
        self.k = int(k)
        self.n_cols = int(n_cols)
        self.average = average
        self._positions = np.zeros(0, dtype=np.int64)
        self._gain = np.zeros(0, dtype=np.float32)
        self._p = np.zeros(0, dtype=np.float32)
        self._d = np.zeros(0, dtype=bool)
        self.rows_seen_ = 0

    def add(self, gain: np.ndarray, probability: np.ndarray, decisions: np.ndarray) -> None:
        """Offer the next rows (their gains, probabilities and decisions)."""
        local = top_positions(gain, self.k)
        positions = np.concatenate([self._positions, local + self.rows_seen_ * self.n_cols])
        values = np.concatenate([self._gain, np.asarray(gain, np.float32).ravel()[local]])
        keep = np.lexsort((positions, -values))[: self.k]
        self._positions, self._gain = positions[keep], values[keep]
        self._p = np.concatenate([self._p, np.asarray(probability, np.float32).ravel()[local]])[
            keep
        ]
        self._d = np.concatenate([self._d, np.asarray(decisions, bool).ravel()[local]])[keep]
        self.rows_seen_ += int(np.asarray(gain).shape[0])

    def queue(self) -> ReviewQueue:
        rows, tags = np.divmod(self._positions, self.n_cols)
        return ReviewQueue(rows, tags, self._d, self._p, self._gain, self.average)


@dataclass(frozen=True)
class ReviewQueue:
    """The first checks of the queue, in order: row and tag index, decision, probability of
    the tag and expected gain of the check (the ``average`` F1)."""

    rows: np.ndarray
    tags: np.ndarray
    decision: np.ndarray
    probability: np.ndarray
    gain: np.ndarray
    average: str

    def __len__(self) -> int:
        return int(self.rows.size)

    def frame(self, ids: np.ndarray, tag_names: Sequence[str]) -> pd.DataFrame:
        """The queue as a table: rank, track (ChallengeID), tag, decision, probability,
        expected_gain."""
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(self) + 1),
                "track": np.asarray(ids)[self.rows],
                "tag": np.asarray(tag_names, dtype=object)[self.tags],
                "decision": self.decision.astype(np.uint8),
                "probability": self.probability.astype(np.float64),
                "expected_gain": self.gain.astype(np.float64),
            }
        )


def build_queue(
    probability: np.ndarray,
    decisions: np.ndarray,
    budget: int | None = None,
    average: str = "weighted",
    counts: ExpectedCounts | None = None,
) -> ReviewQueue:
    """The ``budget`` checks (default: all decisions) with the highest expected gain."""
    p = np.asarray(probability)
    d = np.asarray(decisions).astype(bool, copy=False)
    gain = expected_gain(p, d, average, counts)
    order = top_positions(gain, gain.size if budget is None else budget)
    return _queue(order, p, d, gain, average)


def _queue(order: np.ndarray, p: np.ndarray, d: np.ndarray, gain: np.ndarray, average: str):
    rows, tags = np.divmod(order, d.shape[1])
    return ReviewQueue(
        rows=rows,
        tags=tags,
        decision=d.ravel()[order],
        probability=p.ravel()[order].astype(np.float32),
        gain=gain.ravel()[order],
        average=average,
    )


def ordering(
    name: str,
    k: int,
    *,
    probability: np.ndarray,
    decisions: np.ndarray,
    scores: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
    average: str = "weighted",
    seed: int = 0,
) -> np.ndarray:
    """The first ``k`` flat positions of an ordering: ``gain`` (the queue), ``closest`` (the
    decision score nearest its tag's threshold), ``uncertainty`` (the calibrated probability
    that the decision is wrong, highest first) or ``random`` (seeded)."""
    d = np.asarray(decisions).astype(bool, copy=False)
    if name == "gain":
        return top_positions(expected_gain(probability, d, average), k)
    if name == "uncertainty":
        p = np.asarray(probability, dtype=np.float32)
        return top_positions(np.where(d, 1 - p, p), k)
    if name == "closest":
        if scores is None or thresholds is None:
            raise ValueError("the closest ordering needs the decision scores and thresholds")
        with np.errstate(invalid="ignore"):
            distance = np.abs(np.asarray(scores, dtype=np.float64) - thresholds)
        return top_positions(-np.where(np.isnan(distance), np.inf, distance), k)
    if name == "random":
        rng = np.random.default_rng([seed, 24])
        return rng.permutation(d.size)[: min(k, d.size)].astype(np.int64)
    raise ValueError(f"unknown ordering {name!r}; expected one of {', '.join(ORDERINGS)}")


def _checkpoints(n: int, fractions: Sequence[float]) -> np.ndarray:
    return np.array([int(round(f * n)) for f in fractions], dtype=np.int64)


def budget_curve(
    order: np.ndarray,
    decisions: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    probability: np.ndarray | None = None,
    fractions: Sequence[float] = FRACTIONS,
    average: str = "weighted",
) -> pd.DataFrame:
    """The ``average`` F1 after the first checks of ``order`` (fractions of all decisions),
    each check replacing its decision by the truth.

    Measured with ``labels`` (column ``f1``, and ``gain`` over the unchecked decisions);
    expected from ``probability`` (columns ``expected_f1``, ``expected_gain``: the counts'
    expectations after the checks). Either or both.
    """
    d = np.asarray(decisions).astype(bool, copy=False)
    n_tags = d.shape[1]
    stops = _checkpoints(d.size, fractions)
    if stops.max(initial=0) > order.size:
        raise ValueError(f"the ordering has {order.size} positions; {stops.max()} are needed")
    out = pd.DataFrame({"fraction": list(fractions), "checks": stops})
    flat_d = d.ravel()
    if labels is not None:
        y = np.asarray(labels).astype(bool, copy=False)
        counts = count_decisions(y, d)
        fixed = y.ravel() != flat_d  # a check changes only a wrong decision
        tp_gain = (fixed & ~flat_d).astype(np.float64)  # a recovered false negative
        pred_delta = np.where(fixed, np.where(flat_d, -1.0, 1.0), 0.0)
        f1 = _curve(order, stops, n_tags, counts, tp_gain, pred_delta, average)
        out["f1"] = f1
        out["gain"] = f1 - f1_score(counts, average)
    if probability is not None:
        p = np.asarray(probability, dtype=np.float64).ravel()
        e = expected_counts(np.asarray(probability), d)
        start = DecisionCounts(e.tp, e.tp + e.fp, e.tp + e.fn)
        tp_gain = np.where(flat_d, 0.0, p)
        pred_delta = np.where(flat_d, -(1 - p), p)
        f1 = _curve(order, stops, n_tags, start, tp_gain, pred_delta, average)
        out["expected_f1"] = f1
        out["expected_gain"] = f1 - f1_score(start, average)
    return out


def _curve(
    order: np.ndarray,
    stops: np.ndarray,
    n_tags: int,
    start: DecisionCounts,
    tp_gain: np.ndarray,
    pred_delta: np.ndarray,
    average: str,
) -> np.ndarray:
    """F1 after each prefix ``order[:stop]``, adding each segment's count changes per tag."""
    tp = start.tp.astype(np.float64)
    pred = start.pred.astype(np.float64)
    values, done = [], 0
    for stop in stops:
        segment = order[done:stop]
        tags = segment % n_tags
        tp = tp + np.bincount(tags, tp_gain[segment], minlength=n_tags)
        pred = pred + np.bincount(tags, pred_delta[segment], minlength=n_tags)
        values.append(f1_score(DecisionCounts(tp, pred, start.true), average))
        done = int(stop)
    return np.array(values)


def compare_orderings(
    probability: np.ndarray,
    decisions: np.ndarray,
    labels: np.ndarray,
    *,
    scores: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
    fractions: Sequence[float] = FRACTIONS,
    names: Sequence[str] = ORDERINGS,
    average: str = "weighted",
    seed: int = 0,
) -> pd.DataFrame:
    """The measured budget curve of each ordering in ``names`` (one row per ordering and
    fraction; the queue's rows also carry its expected curve). ``closest`` needs ``scores``
    and ``thresholds`` and is left out without them."""
    d = np.asarray(decisions).astype(bool, copy=False)
    k = int(_checkpoints(d.size, fractions).max(initial=0))
    frames = []
    for name in names:
        if name == "closest" and (scores is None or thresholds is None):
            continue
        order = ordering(
            name, k, probability=probability, decisions=d, scores=scores,
            thresholds=thresholds, average=average, seed=seed,
        )  # fmt: skip
        curve = budget_curve(
            order, d, labels, probability=probability if name == "gain" else None,
            fractions=fractions, average=average,
        )  # fmt: skip
        frames.append(curve.assign(ordering=name))
    table = pd.concat(frames, ignore_index=True)
    return table[["ordering", *[c for c in table.columns if c != "ordering"]]]
