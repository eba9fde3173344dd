"""torch's deterministic-algorithms flag, set without importing what eager inference never uses."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


def set_deterministic(torch: Any, mode: bool) -> None:  # noqa: ANN401 - the torch module
    """``torch.use_deterministic_algorithms(mode)`` for eager kernels.

    The public call also imports Inductor's configuration (``torch.compile``'s, 1.5 s on a
    2-core machine) to set its own flag. Eager kernels read only torch's C++ flag, so that one is
    set alone while Inductor is not loaded; once it is, the public call keeps both in step.
    """
    if "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(mode)
    else:
        torch._C._set_deterministic_algorithms(mode)


@contextlib.contextmanager
def deterministic_while_running() -> Iterator[None]:
    """Hold torch's global deterministic flag on for a whole pass of concurrent workers when
    torch is loaded: each network call turns it on and restores it after, which concurrent
    calls would otherwise interleave (its thread count is per thread: no race there)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    old = torch.are_deterministic_algorithms_enabled()
    set_deterministic(torch, True)
    try:
        yield
    finally:
        set_deterministic(torch, old)
