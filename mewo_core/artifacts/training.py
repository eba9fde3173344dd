"""Train a decision model on a data folder and save it as an artifact (shared by CLI and app)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compare.evaluation import evaluate_model
from ..data import DataBundle, SplitSpec, ids_digest
from ..errors import ArtifactError, TrainingError
from ..models import DecisionModel, create_model, model_class
from ..models.base import ProgressCallback
from .store import check_name, next_free_name, save_model


@dataclass(frozen=True)
class TrainResult:
    """A fitted model, where it was saved, and its validation and test metrics."""

    model: DecisionModel
    path: Path | None
    metrics: dict[str, Any]


def train_params(model_type: str, options: Mapping[str, Any], seed: int = 0) -> dict[str, Any]:
    """The parameters the CLI's ``train`` and the app's form pass to ``model_type``, checked.

    ``options`` are the exposed options the user set (``None`` means "the model's default");
    ``seed`` (also the split seed) goes to models that take one. Other options are refused,
    naming what the model takes, so the CLI and the app train the same default model.
    """
    cls = model_class(model_type)
    exposed = {p.name: p for p in cls.exposed_params()}
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(exposed))
    if unknown:
        flags = ", ".join(p.flag for p in exposed.values()) or "none"
        raise TrainingError(
            f"model '{model_type}' takes no option "
            f"{', '.join('--' + u.replace('_', '-') for u in unknown)}; it takes: {flags}"
        )
    if any(p.name == "seed" for p in cls.params):
        given["seed"] = seed
    return cls.check_params(given)


def fit_baseline(
    bundle: DataBundle, spec: SplitSpec | None = None, name: str = "baseline"
) -> DecisionModel:
    """A threshold baseline (the challenge benchmark by default) fitted on the whole train part."""
    return create_model(name).fit((spec or SplitSpec()).split(bundle).train)


def train_and_save(
    bundle: DataBundle,
    model_type: str,
    params: dict[str, Any],
    out: str | Path | None,
    *,
    spec: SplitSpec | None = None,
    force: bool = False,
    free_name: bool = False,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Fit ``model_type`` on the folder's train data and save it to ``out`` (if given).

    The destination is checked before training so a bad name fails fast; an existing artifact is
    left untouched unless ``force``, and only replaced once the new one is fully written. With
    ``free_name`` (the app) a taken name is no error: the model is saved under the first free
    ``<name>-vN`` beside it, also when the name is taken while training runs.
    """
    if out is not None:
        out = Path(out)
        check_name(out.name)
        if free_name and out.exists():
            out = out.parent / next_free_name(out.parent, out.name)
        if out.exists() and not force:
            raise ArtifactError(
                f"artifact {out} already exists; choose another name or use --force"
            )
    spec = (spec or SplitSpec()).resolved(bundle.train)
    parts = spec.split(bundle)
    model = create_model(model_type, **params)
    fit, validation = model.tuning.parts(parts)
    model.fit(fit, validation, progress=progress)
    metrics: dict[str, Any] = {}
    sizes = {"fit": fit.n_tracks}
    if validation is not None:
        metrics["validation"] = evaluate_model(model, validation).overall
        sizes["validation"] = validation.n_tracks
    metrics["test"] = evaluate_model(model, parts.test).overall
    metrics["split"] = {**sizes, "test": parts.test.n_tracks}
    path = None
    if out is not None:
        extra = {
            "data_folder": bundle.folder,
            "seed": spec.seed,
            "split_spec": spec.to_dict(),
            "split_ids": {
                "validation": ids_digest(parts.validation),
                "test": ids_digest(parts.test),
            },
            "context": None if model.context_ is None else model.context_.describe(),
        }
        save = dict(force=force, metrics=metrics, data_fingerprint=bundle.train.fingerprint,
                    extra=extra)
        for _ in range(5 if free_name else 1):
            if free_name and out.exists():  # taken while training ran
                out = out.parent / next_free_name(out.parent, out.name)
            try:
                path = save_model(model, out, **save)
                break
            except ArtifactError:
                if not (free_name and out.exists()):
                    raise
        else:
            raise ArtifactError(f"no free artifact name beside {out} could be claimed")
    return TrainResult(model, path, metrics)
