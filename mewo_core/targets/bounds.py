"""A lower confidence bound on a proportion of tracks whose tracks come in groups.

The proportion is precision (positives among the selected tracks) or recall (selected tracks
among the positives). With independent tracks the count of successes among ``n`` trials is
binomial and the exact one-sided bound is Clopper-Pearson's: the ``delta`` quantile of
``Beta(x, n - x + 1)``. Tracks of one album or artist are not independent (the tagger errs on
a whole album alike), so the bound counts groups, not tracks:

- **Effective trials** ``n_eff = n**2 / sum_g n_g**2`` (``n_g``: the trials in group ``g``),
  Kish's effective sample size of a ratio of group sums under the worst within-group
  correlation (every track of a group alike: each group one draw, weighted by its size).
  Independent tracks (every group of one) give ``n_eff = n``; ``n`` trials in one group
  give 1. ``x_eff = x * n_eff / n`` keeps the observed proportion.
- **The bound** is Clopper-Pearson's at these (non-integer) counts. It is exact for
  independent tracks and for equal groups whose tracks are all alike; in between it is the
  binomial bound of the effective sample (Kish's design effect at its largest), which is
  conservative when tracks of a group differ.

Assumptions: groups (the coarsest column of groups.csv, artist over album) are independent of
each other and new tracks come from new groups of the same kind; the target is the proportion
pooled over a large set of new tracks (a catalogue's precision, not one album's).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv


def effective_counts(
    successes: np.ndarray, trials: np.ndarray, sum_sq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(x_eff, n_eff)``: successes and trials scaled by the design effect ``sum_sq / n``."""
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    sq = np.asarray(sum_sq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(n > 0, n * n / np.maximum(sq, n), 0.0)
        x_eff = np.where(n > 0, x * n_eff / np.where(n > 0, n, 1.0), 0.0)
    return x_eff, n_eff


def clopper_pearson_lower(x: np.ndarray, n: np.ndarray, delta: float) -> np.ndarray:
    """One-sided ``1 - delta`` lower bound on a binomial proportion (non-integer counts
    allowed); 0 where there is no success."""
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    ok = (x > 0) & (n > 0)
    out = np.zeros(np.broadcast(x, n).shape)
    xs, ns = np.broadcast_to(x, out.shape)[ok], np.broadcast_to(n, out.shape)[ok]
    out[ok] = betaincinv(xs, np.maximum(ns - xs, 0.0) + 1.0, delta)
    return out


def grouped_lower_bound(
    successes: np.ndarray, trials: np.ndarray, sum_sq: np.ndarray, delta: float
) -> np.ndarray:
    """The ``1 - delta`` lower bound on ``successes / trials`` counting groups (see the module):
    ``sum_sq`` is ``sum_g n_g**2`` over the groups' trials (``trials`` for independent tracks)."""
    return clopper_pearson_lower(*effective_counts(successes, trials, sum_sq), delta)


def min_trials(target: float, delta: float) -> float:
    """The fewest effective trials with which any bound can reach ``target``: all successes
    give ``delta ** (1 / n)``, which is ``>= target`` from ``log(delta) / log(target)`` on."""
    return float(np.log(delta) / np.log(target))
