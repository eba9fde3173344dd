"""What the dashboard works on: data sources, splits, the baseline, and saving threshold sets.

UI-free helpers shared by the app's pages (and usable from scripts): where artifacts and data
may live, loading uploaded files, the validation / test splits a model is shown on (the same
splits as :mod:`mewo_core.training` and the CLI's ``evaluate``), and saving a model with new
thresholds as a new artifact (never overwriting one).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .artifacts import ARRAYS, check_name, save_model
from .data import DataBundle, Dataset, load_xy, split_dataset
from .errors import ArtifactError, DataError
from .models import DecisionModel
from .training import HOLDOUT_FRACTION, VALIDATION_FRACTION, split_for_training

REPO_ROOT = Path(__file__).resolve().parents[1]
UPLOAD_ROLES = ("x", "y", "taxonomy", "groups")
SPLITS = ("validation", "test")


def artifacts_root() -> Path:
    """Where models are listed and saved: ``$MEWO_ARTIFACTS_DIR`` or ``<repo>/artifacts``."""
    env = os.environ.get("MEWO_ARTIFACTS_DIR")
    return Path(env).expanduser() if env else REPO_ROOT / "artifacts"


def data_roots() -> list[Path]:
    """Folders the app may read data from: ``$MEWO_DATA_ROOTS`` (os.pathsep-separated), or
    the working directory, the repository's parent folder and the home folder."""
    env = os.environ.get("MEWO_DATA_ROOTS")
    if env:
        roots = [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    else:
        roots = [Path.cwd(), REPO_ROOT.parent, Path.home()]
    return [r.resolve() for r in roots]


def check_data_folder(path: str | Path) -> Path:
    """The resolved folder, refused when missing or outside :func:`data_roots`."""
    text = str(path).strip()
    if not text:
        raise DataError("enter a folder path")
    folder = Path(text).expanduser().resolve()
    roots = data_roots()
    if not any(folder == r or folder.is_relative_to(r) for r in roots):
        raise DataError(
            "this folder is outside the folders the app may read "
            f"({', '.join(str(r) for r in roots)}; set MEWO_DATA_ROOTS to change them)",
            file=str(folder),
        )
    if not folder.is_dir():
        raise DataError("data folder not found", file=str(folder))
    return folder


def upload_key(files: Mapping[str, tuple[str, bytes]]) -> str:
    """A short content hash of uploaded files (role -> (file name, bytes))."""
    h = hashlib.sha256()
    for role in UPLOAD_ROLES:
        if role in files:
            name, content = files[role]
            h.update(f"{role}\x1f{name}\x1f{len(content)}\x1e".encode())
            h.update(content)
    return h.hexdigest()[:16]


def bundle_from_uploads(files: Mapping[str, tuple[str, bytes]]) -> DataBundle:
    """A bundle from uploaded files read in memory: role (x, y, taxonomy, groups) -> (name,
    bytes); x and y are required. The test split is then a grouped holdout of these tracks."""
    unknown = sorted(set(files) - set(UPLOAD_ROLES))
    if unknown:
        raise DataError(f"unknown upload role(s): {', '.join(unknown)}")
    for role in ("x", "y"):
        if role not in files:
            raise DataError(f"upload the {role} file (ChallengeID then one column per tag)")
    data = load_xy(
        files["x"][1],
        files["y"][1],
        taxonomy=files["taxonomy"][1] if "taxonomy" in files else None,
        groups=files["groups"][1] if "groups" in files else None,
        names={role: name for role, (name, _) in files.items()},
        dataset_name="train",
    )
    if data.n_tracks < 10:
        raise DataError(f"only {data.n_tracks} tracks: at least 10 are needed", file="upload")
    return DataBundle(train=data, test=None, folder="")


def evaluation_splits(bundle: DataBundle, seed: int = 0) -> dict[str, Dataset]:
    """The validation and test splits exactly as training makes them
    (:func:`mewo_core.training.split_for_training`)."""
    _, validation, test = split_for_training(bundle, seed)
    return {"validation": validation, "test": test}


def manifest_seed(manifest: Mapping[str, Any] | None) -> int:
    """The split seed a model was trained with (0 when unknown)."""
    try:
        return int((manifest or {}).get("seed", 0))
    except (TypeError, ValueError):
        return 0


def model_id(name: str, manifest: Mapping[str, Any]) -> str:
    """An identity for caching: the artifact's name and its weight files' hashes."""
    files = manifest.get("files", {})
    digest = hashlib.sha256(
        "|".join(f"{k}={files[k]}" for k in sorted(files)).encode()
    ).hexdigest()[:16]
    return f"{name}@{digest}"


def next_free_name(root: str | Path, base: str) -> str:
    """``base-v2``, ``base-v3``… : the first artifact name not taken under ``root``."""
    root = Path(root)
    stem = base
    for suffix in ("-v",):
        head, sep, tail = base.rpartition(suffix)
        if sep and tail.isdigit():
            stem = head
    k = 2
    while (root / f"{stem}-v{k}").exists():
        k += 1
    return check_name(f"{stem}-v{k}")


def save_threshold_set(
    model: DecisionModel,
    thresholds: np.ndarray,
    root: str | Path,
    name: str,
    *,
    parent: str,
    parent_manifest: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    data_fingerprint: str | None = None,
    data_folder: str = "",
    seed: int = 0,
) -> Path:
    """Save ``model`` with ``thresholds`` as a new artifact ``root/name`` (never overwriting).

    ``metrics`` should be those of the new thresholds (the parent's no longer apply).
    """
    check_name(name)
    path = Path(root) / name
    if path.exists():
        raise ArtifactError(f"artifact {name} already exists; choose another name")
    parent_manifest = parent_manifest or {}
    return save_model(
        model.with_thresholds(thresholds),
        path,
        metrics=dict(metrics or {}),
        data_fingerprint=data_fingerprint or parent_manifest.get("data_fingerprint"),
        extra={
            "data_folder": data_folder or parent_manifest.get("data_folder", ""),
            "seed": seed,
            "thresholds_from": parent,
        },
    )


def decisions_csv(data: Dataset, decisions: np.ndarray) -> bytes:
    """Decisions in the challenge's y shape (ChallengeID then one 0/1 column per tag), as CSV."""
    return data.labels_frame(decisions).to_csv(index=False).encode()


def tuning_data(bundle: DataBundle, seed: int, *, baseline: bool) -> Dataset:
    """The data a model's thresholds are tuned on: the whole train part for the baseline (as
    the challenge benchmark), the validation split for learned models (as in training)."""
    train, _ = bundle.holdout(HOLDOUT_FRACTION, seed)
    if baseline:
        return train
    return split_dataset(train, VALIDATION_FRACTION, seed)[1]


def robust_threshold_effect(
    scores: np.ndarray,
    data: Dataset,
    method: str,
    metric: str = "weighted",
    seed: int = 0,
) -> pd.DataFrame:
    """Per tag: positives, the benchmark threshold and the robust one (``method`` for
    ``metric``), fitted on ``scores`` of labelled ``data`` grouped by its coarsest groups.

    Tags without finite scores keep ``inf`` (never predicted).
    """
    from .data import group_labels
    from .robust.selection import fit_thresholds
    from .scoring.thresholds import f1_optimal_thresholds

    labels = data.require_labels()
    has = np.isfinite(scores).all(axis=0)
    robust = np.full(data.n_tags, np.inf)
    benchmark = np.full(data.n_tags, np.inf)
    if has.any():
        s, y = scores[:, has], labels[:, has]
        cats = [c for c, ok in zip(data.tag_categories, has, strict=True) if ok]
        robust[has] = fit_thresholds(s, y, group_labels(data), metric, method, seed, cats)
        benchmark[has] = f1_optimal_thresholds(s, y)
    return pd.DataFrame(
        {
            "tag": data.tag_names,
            "class": data.tag_classes,
            "category": data.tag_categories,
            "positives": labels.sum(axis=0).astype(np.int64),
            "benchmark": benchmark,
            "robust": robust,
        }
    )


def artifact_thresholds(path: str | Path) -> np.ndarray:
    """A saved model's thresholds, read without loading the model (no torch import).

    The arrays file is checked against the manifest's hash, as :func:`load_model` does.
    """
    from .artifacts import read_manifest

    path = Path(path)
    manifest = read_manifest(path)
    file = path / ARRAYS
    if not file.exists():
        raise ArtifactError(f"{path}: weight file {ARRAYS} is missing")
    if hashlib.sha256(file.read_bytes()).hexdigest() != manifest["files"][ARRAYS]:
        raise ArtifactError(f"{path}: {ARRAYS} does not match its hash in the manifest")
    try:
        with np.load(file, allow_pickle=False) as npz:
            return np.asarray(npz["thresholds"], dtype=np.float64)
    except (KeyError, ValueError, OSError) as exc:
        raise ArtifactError(f"{path}: no readable thresholds in {ARRAYS} ({exc})") from None


def model_fits_data(manifest: Mapping[str, Any], data: Dataset) -> str | None:
    """Why a saved model cannot score ``data`` (other tags, missing features), or None."""
    columns = manifest.get("columns", {})
    tags = tuple(columns.get("tag_names", ()))
    features = columns.get("feature_names", ())
    if tags != tuple(data.tag_names):
        return "its tags differ from the data's"
    missing = sorted(set(features) - set(data.feature_names))
    if missing:
        return f"the data lacks {len(missing)} of its feature columns (e.g. {missing[0]})"
    return None


def cached_scores(
    load: Callable[[], DecisionModel], model_key: str, data: Dataset, cache_dir: str | Path
) -> np.ndarray:
    """``load().predict_proba(data)``, kept on disk under ``cache_dir`` by model and data
    fingerprint, so a new process shows a model's scores without loading (or importing) it."""
    digest = hashlib.sha256(model_key.encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"scores-{digest}-{data.fingerprint}.npy"
    if path.exists():
        try:
            scores = np.load(path, allow_pickle=False)
            if scores.shape == (data.n_tracks, data.n_tags):
                return scores
        except (OSError, ValueError):
            pass
    scores = np.asarray(load().predict_proba(data))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            np.save(fh, scores)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs speed
    return scores
