"""Decision models: turn per-tag scores into tag decisions (estimator habits: fit / predict)."""

from .base import DecisionModel, ProgressEvent
from .registry import MODEL_TYPES, create_model, model_class

__all__ = ["MODEL_TYPES", "DecisionModel", "ProgressEvent", "create_model", "model_class"]
