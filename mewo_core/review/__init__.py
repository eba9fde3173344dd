"""Where editors should look: the review queue (decisions ranked by the expected F1 gain of
checking them), the calibrated probabilities it rests on, and likely label errors.

- :mod:`.gain`: the expected-gain rule (documented there, with its assumptions);
- :mod:`.calibration`: per-tag recalibration on tuning rows, reliability and ECE;
- :mod:`.queue`: the ranked queue, its comparison orderings and the budget curve;
- :mod:`.label_issues`: likely label errors from out-of-fold scores and the album context.
"""

from .calibration import METHODS, TagCalibrator, ece_by_class, reliability_table
from .gain import AVERAGES, ExpectedCounts, expected_counts, expected_gain
from .queue import (
    ORDERINGS,
    ReviewQueue,
    TopK,
    budget_curve,
    build_queue,
    compare_orderings,
    ordering,
    top_positions,
)

__all__ = [
    "AVERAGES",
    "METHODS",
    "ORDERINGS",
    "ExpectedCounts",
    "ReviewQueue",
    "TagCalibrator",
    "TopK",
    "budget_curve",
    "build_queue",
    "compare_orderings",
    "ece_by_class",
    "expected_counts",
    "expected_gain",
    "ordering",
    "reliability_table",
    "top_positions",
]
