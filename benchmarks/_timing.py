"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float, object]:
    """Best and median wall seconds, best process CPU seconds, over ``repeat`` runs; last result.

    CPU time (all threads of this process) is far less sensitive than wall time to other
    processes competing for the cores.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), float(np.median(walls)), min(cpus), result
