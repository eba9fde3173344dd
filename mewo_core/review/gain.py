"""The expected F1 gain of an editor checking one (track, tag) decision.

**The rule.** An editor who checks decision ``d`` of (track ``i``, tag ``j``) learns the truth
``y`` and replaces ``d`` by it. Only a wrong decision changes the counts of tag ``j``:

- a positive decision that is wrong (a false positive, probability ``1 - p``) becomes a true
  negative: ``FP_j -= 1``;
- a negative decision that is wrong (a false negative, probability ``p``) becomes a true
  positive: ``FN_j -= 1, TP_j += 1``.

With ``D = 2 TP + FP + FN``, tag ``j``'s F1 ``2 TP / D`` then rises by ``2 TP / (D (D - 1))``
(a removed false positive) or by ``2 (TP + FP + FN) / (D (D + 1))`` (a recovered false
negative). The catalogue's F1 moves by that times the tag's weight in the average: its share of
the positives ``n_j / sum n`` for ``weighted``, ``1 / n_tags`` for ``macro``; ``micro`` uses the
pooled counts of all tags instead. The *expected gain* of the check is the probability that the
decision is wrong times that rise.

**Assumptions.** ``p`` is a calibrated probability that the tag is present (see
:mod:`.calibration`); checks reveal the truth; the counts are not known on unlabelled data,
so they are their expectations under ``p`` (``E TP = sum p`` over positive decisions, ``E FP
= sum (1 - p)`` there, ``E FN = sum p`` over negative decisions), and the support ``n_j`` is
``E TP + E FN``. The gain is first order: each check is valued at the current counts, as if
it were the only one (a long queue changes the counts of a rare tag; the budget curve of
:mod:`.queue` measures what the whole queue buys). Unlike "closest to the threshold", it knows
how wrong a decision probably is (calibrated, comparable across tags) and how much the tag's F1
can move (its leverage: a recovered false negative of a tag with few positives is worth more).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scoring.metrics import safe_ratio

__all__ = ["AVERAGES", "ExpectedCounts", "expected_counts", "expected_gain", "tag_weights"]

#: The F1 averages a queue can target (``samples`` would need per-track counts).
AVERAGES = ("weighted", "micro", "macro")


@dataclass(frozen=True)
class ExpectedCounts:
    """Per tag, the expected true positives, false positives and false negatives (float64)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray

    def __add__(self, other: ExpectedCounts) -> ExpectedCounts:
        """Counts of two disjoint sets of tracks together (chunks of a stream)."""
        return ExpectedCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def _check(probability: np.ndarray, decisions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probability)
    d = np.asarray(decisions)
    if p.ndim != 2 or p.shape != d.shape:
        raise ValueError(
            f"probabilities {p.shape} and decisions {d.shape} must be matrices of one shape"
        )
    return p, d.astype(bool, copy=False)


def expected_counts(probability: np.ndarray, decisions: np.ndarray) -> ExpectedCounts:
    """The counts' expectations when tag ``j`` of track ``i`` is present with probability
    ``probability[i, j]`` and decided ``decisions[i, j]``."""
    p, d = _check(probability, decisions)
    pos = np.where(d, p, 0.0).sum(axis=0, dtype=np.float64)
    n_pos = d.sum(axis=0, dtype=np.float64)
    total = p.sum(axis=0, dtype=np.float64)
    return ExpectedCounts(tp=pos, fp=n_pos - pos, fn=total - pos)


def tag_weights(counts: ExpectedCounts, average: str) -> np.ndarray:
    """Each tag's weight in the ``weighted`` or ``macro`` average (ones for ``micro``)."""
    if average == "weighted":
        support = counts.tp + counts.fn
        return safe_ratio(support, support.sum())
    if average == "macro":
        return np.full(counts.tp.shape, 1.0 / max(1, counts.tp.size))
    if average == "micro":
        return np.ones(counts.tp.shape)
    raise ValueError(f"unknown average {average!r}; expected one of {', '.join(AVERAGES)}")


def _rises(counts: ExpectedCounts, average: str) -> tuple[np.ndarray, np.ndarray]:
    """Per tag, the rise of the average F1 when one false positive is removed and when one
    false negative is recovered."""
    tp, fp, fn = counts.tp, counts.fp, counts.fn
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    denom = 2 * tp + fp + fn
    fp_rise = safe_ratio(2 * tp, denom * np.maximum(denom - 1, 1))
    fn_rise = safe_ratio(2 * (tp + fp + fn), denom * (denom + 1))
    weights = tag_weights(counts, average)
    return np.broadcast_to(weights * fp_rise, counts.tp.shape), np.broadcast_to(
        weights * fn_rise, counts.tp.shape
    )


def expected_gain(
    probability: np.ndarray,
    decisions: np.ndarray,
    average: str = "weighted",
    counts: ExpectedCounts | None = None,
) -> np.ndarray:
    """Per (track, tag) the expected rise of the ``average`` F1 when an editor checks the
    decision (float32, the shape of ``decisions``; see the module docstring for the rule).

    ``counts``: the per-tag counts to value the checks at (default: the expected counts of
    these rows; a stream passes those of the whole input).
    """
    p, d = _check(probability, decisions)
    if counts is None:
        counts = expected_counts(p, d)
    fp_rise, fn_rise = _rises(counts, average)
    p32 = p.astype(np.float32, copy=False)
    return np.where(d, (1.0 - p32) * fp_rise.astype(np.float32), p32 * fn_rise.astype(np.float32))
