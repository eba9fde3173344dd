"""Even subsampling: the one rule for picking rows or points when there are too many to show."""

from __future__ import annotations

import numpy as np


def evenly(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` evenly spaced indices into ``range(n)``, first and last included (all of
    them if ``n <= limit``)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


#: Rows above which a per-track view too heavy to draw exactly (score distributions) is drawn
#: from a seeded sample; the 110,000-track default catalogue stays under it (exact).
VIEW_ROWS = 200_000


def seeded(n: int, limit: int | None = None, seed: int = 0) -> np.ndarray:
    """At most ``limit`` (default :data:`VIEW_ROWS`) indices into ``range(n)`` drawn without
    replacement with ``seed``, ascending (all of them, in order, if ``n <= limit``)."""
    limit = VIEW_ROWS if limit is None else limit
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
