"""Train a decision model on a data folder and save it as an artifact (shared by CLI and app)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .artifacts import check_name, save_model
from .data import DataBundle, Dataset, split_dataset
from .errors import ArtifactError, TrainingError
from .evaluation import evaluate_model
from .models import DecisionModel, create_model, model_class
from .models.base import ProgressCallback

VALIDATION_FRACTION = 0.2
HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class TrainResult:
    """A fitted model, where it was saved, and its validation and test metrics."""

    model: DecisionModel
    path: Path | None
    metrics: dict[str, Any]


def accepted_params(model_type: str) -> set[str]:
    """The constructor parameters of ``model_type``."""
    init = model_class(model_type).__init__
    if init is object.__init__:
        return set()
    params = inspect.signature(init).parameters.values()
    return {
        p.name
        for p in params
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def model_params(model_type: str, **candidates: Any) -> dict[str, Any]:
    """The subset of ``candidates`` (not None) that ``model_type`` accepts; others refused."""
    accepted = accepted_params(model_type)
    given = {k: v for k, v in candidates.items() if v is not None}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise TrainingError(
            f"model '{model_type}' takes no option {', '.join('--' + u for u in unknown)}; "
            f"it takes: {', '.join(sorted(accepted)) or 'none'}"
        )
    return given


def split_for_training(bundle: DataBundle, seed: int = 0) -> tuple[Dataset, Dataset, Dataset]:
    """(fit, validation, test): validation is a grouped split of train; test stays untouched."""
    train, test = bundle.holdout(HOLDOUT_FRACTION, seed)
    fit, validation = split_dataset(train, VALIDATION_FRACTION, seed)
    return fit, validation, test


def fit_baseline(bundle: DataBundle, seed: int = 0, name: str = "baseline") -> DecisionModel:
    """A threshold baseline (the challenge benchmark by default) fitted on the whole train part."""
    train, _ = bundle.holdout(HOLDOUT_FRACTION, seed)
    return create_model(name).fit(train)


def train_and_save(
    bundle: DataBundle,
    model_type: str,
    params: dict[str, Any],
    out: str | Path | None,
    *,
    seed: int = 0,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Fit ``model_type`` on the folder's train data and save it to ``out`` (if given).

    The destination is checked before training so a bad name fails fast; an existing artifact is
    left untouched unless ``force``, and only replaced once the new one is fully written.
    """
    if out is not None:
        out = Path(out)
        check_name(out.name)
        if out.exists() and not force:
            raise ArtifactError(
                f"artifact {out} already exists; choose another name or use --force"
            )
    fit, validation, test = split_for_training(bundle, seed)
    model = create_model(model_type, **params)
    if model.uses_validation:
        model.fit(fit, validation, progress=progress)
        metrics = {"validation": evaluate_model(model, validation).overall}
        sizes = {"fit": fit.n_tracks, "validation": validation.n_tracks}
    else:  # threshold baselines tune on the whole train split, as the challenge benchmark does
        train = bundle.holdout(HOLDOUT_FRACTION, seed)[0]
        model.fit(train, None, progress=progress)
        metrics, sizes = {}, {"fit": train.n_tracks}
    metrics["test"] = evaluate_model(model, test).overall
    metrics["split"] = {**sizes, "test": test.n_tracks}
    path = None
    if out is not None:
        path = save_model(
            model,
            out,
            force=force,
            metrics=metrics,
            data_fingerprint=bundle.train.fingerprint,
            extra={"data_folder": bundle.folder, "seed": seed},
        )
    return TrainResult(model, path, metrics)
