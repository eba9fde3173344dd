"""Even subsampling: the one rule for picking rows or points when there are too many to show."""

from __future__ import annotations

import numpy as np


def evenly(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` evenly spaced indices into ``range(n)``, first and last included (all of
    them if ``n <= limit``)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
