"""Model types by name, imported lazily (torch only loads when a torch model is used)."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import MewoError
from .base import DecisionModel

MODEL_TYPES: dict[str, str] = {
    "baseline": "mewo_core.models.baselines:PerTagThreshold",
    "global-threshold": "mewo_core.models.baselines:GlobalThreshold",
    "robust-thresholds": "mewo_core.models.robust:RobustThresholds",
    "reservoir-transformer": "mewo_core.models.reservoir_transformer.model:ReservoirTransformer",
}


def model_class(model_type: str) -> type[DecisionModel]:
    """The class registered under ``model_type``."""
    if model_type not in MODEL_TYPES:
        raise MewoError(
            f"unknown model type '{model_type}'; known: {', '.join(sorted(MODEL_TYPES))}"
        )
    module, name = MODEL_TYPES[model_type].split(":")
    return getattr(importlib.import_module(module), name)


def create_model(model_type: str, **params: Any) -> DecisionModel:
    """A new, unfitted model of ``model_type`` with ``params``."""
    return model_class(model_type)(**params)
