"""Shared test helpers: the small model settings every test trains with, and small data.

Not imported by conftest's fixtures' users implicitly: a test module imports what it uses from
here (``from tests.helpers import FAST, fast_params``).
"""

from __future__ import annotations

from typing import Any

#: Small settings so that every model type fits in a second or two on a tiny folder.
FAST: dict[str, dict[str, Any]] = {
    "robust-thresholds": {"n_resamples": 2, "n_folds": 3},
    "reservoir-transformer": {"epochs": 2, "d_model": 8, "n_heads": 2, "units": 8,
                              "all_units": 8, "batch_size": 64, "variant": "tokens",
                              "threshold_method": "benchmark"},  # fmt: skip
}

#: The small reservoir-transformer the explanation and app tests train (4 epochs, one thread).
SMALL_RT: dict[str, Any] = {"variant": "tokens", "units": 16, "all_units": 16, "d_model": 16,
                            "n_heads": 2, "batch_size": 256, "epochs": 4, "threads": 1,
                            "threshold_method": "benchmark"}  # fmt: skip


def fast_params(model_type: str, **overrides: Any) -> dict[str, Any]:
    """``FAST``'s settings of ``model_type`` (none for the threshold baselines), updated."""
    return {**FAST.get(model_type, {}), **overrides}
