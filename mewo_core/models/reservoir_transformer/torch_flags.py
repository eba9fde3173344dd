"""torch's deterministic-algorithms flag, set without importing what eager inference never uses."""

from __future__ import annotations

import sys
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
