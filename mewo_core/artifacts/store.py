"""Saved models: a folder with ``manifest.json`` and weight files that load without unpickling.

Layout: ``manifest.json`` (format, version, model type and config, columns, thresholds' file,
metrics, data fingerprint, library versions, creation time, sha256 of every weight file),
``arrays.npz`` (numpy state, ``allow_pickle=False``) and, for torch models, ``torch.pt`` (loaded
with ``weights_only=True``). A model is written to a hidden temporary folder and renamed into
place, so a crash never leaves half a model and an existing one is never replaced by accident.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Dataset
from ..data.atomic import publish_dir
from ..errors import ArtifactError
from ..models.base import DecisionModel
from ..models.registry import MODEL_TYPES, model_class

FORMAT = "mewo-tag-lab-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
TORCH = "torch.pt"
SPLIT_KEYS = ("seed", "split_spec", "split_ids")  # how a model's splits are re-derived
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(name: str) -> str:
    """Refuse artifact names that could escape the artifacts folder or hide from listings."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise ArtifactError(
            f"invalid artifact name {name!r}: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no '/', no '..')"
        )
    return name


def resolve_in_root(root: str | Path, name: str) -> Path:
    """``root/name`` after checking the name and that the result stays inside ``root``."""
    root_path = Path(root).resolve()
    path = (root_path / check_name(name)).resolve()
    if path.parent != root_path:
        raise ArtifactError(f"artifact {name!r} resolves outside {root_path}")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    import pandas
    import sklearn

    out = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
    }
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is a requirement
        pass
    return out


def save_model(
    model: DecisionModel,
    path: str | Path,
    *,
    force: bool = False,
    metrics: dict[str, Any] | None = None,
    data_fingerprint: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` to the folder ``path`` atomically; refuse to replace one unless ``force``."""
    path = Path(path)
    check_name(path.name)
    if path.exists() and not force:
        raise ArtifactError(f"artifact {path} already exists; choose another name or use --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        arrays, torch_state = model.state()
        files = {}
        np.savez(tmp / ARRAYS, **{k: np.asarray(v) for k, v in arrays.items()})
        files[ARRAYS] = _sha256(tmp / ARRAYS)
        if torch_state is not None:
            import torch

            torch.save(torch_state, tmp / TORCH)
            files[TORCH] = _sha256(tmp / TORCH)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_type": model.model_type,
            "config": model.get_config(),
            "columns": model.columns_state(),
            "metrics": metrics or {},
            "data_fingerprint": data_fingerprint,
            "library_versions": _versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": files,
            **(extra or {}),
        }
        with (tmp / MANIFEST).open("w") as fh:
            json.dump(manifest, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        _publish(tmp, path, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _publish(tmp: Path, path: Path, force: bool) -> None:
    """Rename ``tmp`` to ``path``; with ``force``, drop the old one only once the new is in."""
    try:
        publish_dir(tmp, path, force=force)
    except FileExistsError:
        raise ArtifactError(
            f"artifact {path} was created by another process meanwhile; nothing was overwritten"
        ) from None
    if not (path / MANIFEST).exists():  # renamed into an empty folder created meanwhile
        raise ArtifactError(f"artifact {path} is incomplete")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The checked manifest of the artifact folder ``path``."""
    path = Path(path)
    file = path / MANIFEST
    if not path.is_dir():
        raise ArtifactError(f"no model folder at {path}")
    if not file.exists():
        raise ArtifactError(f"{path} is not a model folder: no {MANIFEST}")
    try:
        manifest = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{file}: not a Mewo Tag Lab model manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{file}: format version {version!r} is not supported (this version reads "
            f"{FORMAT_VERSION}); retrain the model or upgrade Mewo Tag Lab"
        )
    if manifest.get("model_type") not in MODEL_TYPES:
        raise ArtifactError(f"{file}: unknown model type {manifest.get('model_type')!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or ARRAYS not in files:
        raise ArtifactError(f"{file}: the list of weight files is missing")
    unexpected = [name for name in files if name not in (ARRAYS, TORCH)]
    if unexpected:
        raise ArtifactError(f"{file}: unexpected weight file {unexpected[0]!r} in the manifest")
    return manifest


def load_model(path: str | Path) -> DecisionModel:
    """Load a saved model, checking the manifest and every weight file's sha256."""
    path = Path(path)
    manifest = read_manifest(path)
    for name, digest in manifest["files"].items():
        file = path / name
        if not file.exists():
            raise ArtifactError(f"{path}: weight file {name} is missing")
        if _sha256(file) != digest:
            raise ArtifactError(
                f"{path}: weight file {name} does not match its hash in the manifest "
                "(damaged or edited)"
            )
    try:
        with np.load(path / ARRAYS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError) as exc:
        raise ArtifactError(f"{path}: {ARRAYS} cannot be read ({exc})") from None
    torch_state = None
    if TORCH in manifest["files"]:
        torch_state = _torch_reader(path)  # called by the model when it needs its network
    cls = model_class(manifest["model_type"])
    try:
        return cls.from_state(manifest.get("config", {}), arrays, torch_state, manifest["columns"])
    except ArtifactError:
        raise
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ArtifactError(f"{path}: the weights do not fit the manifest ({exc})") from None


def _torch_reader(path: Path) -> Callable[[], dict[str, Any]]:
    """A reader of ``path``'s torch weights (hash already checked): torch is imported only when
    the model needs its network."""

    def read() -> dict[str, Any]:
        import torch

        try:
            return torch.load(path / TORCH, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling refusal is a damaged artifact
            raise ArtifactError(f"{path}: {TORCH} cannot be read safely ({exc})") from None

    return read


@dataclass(frozen=True)
class ArtifactInfo:
    """One listed artifact: its folder, manifest, or the reason it cannot be used."""

    name: str
    path: Path
    manifest: dict[str, Any] | None
    error: str | None = None

    @property
    def summary(self) -> ManifestSummary:
        return ManifestSummary.of(self.manifest or {})

    def row(self) -> dict[str, Any]:
        """What ``list`` and the Models page show of it (one owner for that row)."""
        if self.error:
            return {"name": self.name, "type": "unusable", "error": self.error}
        return {"name": self.name, **self.summary.row()}


@dataclass(frozen=True)
class ManifestSummary:
    """What the CLI, the session and the app read of a manifest, typed, in one place."""

    model_type: str
    variant: str
    context: str
    created: str
    data_folder: str | None
    data_fingerprint: str | None
    thresholds_from: str | None
    metrics: dict[str, Any]

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ManifestSummary:
        return cls(
            model_type=str(manifest.get("model_type", "")),
            variant=str(manifest.get("config", {}).get("variant") or ""),
            context=context_label(manifest),
            created=str(manifest.get("created", "")),
            data_folder=manifest.get("data_folder") or None,
            data_fingerprint=manifest.get("data_fingerprint"),
            thresholds_from=manifest.get("thresholds_from") or None,
            metrics=dict(manifest.get("metrics") or {}),
        )

    def metric(self, split: str, average: str = "weighted") -> float | None:
        value = self.metrics.get(split, {}).get(average)
        return None if value is None else float(value)

    def row(self) -> dict[str, Any]:
        return {
            "type": self.model_type,
            "variant": self.variant,
            "album context": self.context,
            "test weighted F1": self.metric("test"),
            "test micro F1": self.metric("test", "micro"),
            "validation weighted F1": self.metric("validation"),
            "created": self.created,
        }


def list_artifacts(root: str | Path) -> list[ArtifactInfo]:
    """Every model folder under ``root`` (hidden temporary folders skipped), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    resolved_root = root.resolve()
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        if child.resolve().parent != resolved_root:  # a symlink out of the root
            continue
        try:
            out.append(ArtifactInfo(child.name, child, read_manifest(child)))
        except ArtifactError as exc:
            out.append(ArtifactInfo(child.name, child, None, str(exc)))
    return out


def model_id(name: str, manifest: Mapping[str, Any]) -> str:
    """An identity for caching: the artifact's name and its weight files' hashes."""
    files = manifest.get("files", {})
    digest = hashlib.sha256(
        "|".join(f"{k}={files[k]}" for k in sorted(files)).encode()
    ).hexdigest()[:16]
    return f"{name}@{digest}"


def artifact_thresholds(path: str | Path) -> np.ndarray:
    """A saved model's thresholds, read without loading the model (no torch import).

    The arrays file is checked against the manifest's hash, as :func:`load_model` does.
    """
    path = Path(path)
    manifest = read_manifest(path)
    file = path / ARRAYS
    if not file.exists():
        raise ArtifactError(f"{path}: weight file {ARRAYS} is missing")
    if _sha256(file) != manifest["files"][ARRAYS]:
        raise ArtifactError(f"{path}: {ARRAYS} does not match its hash in the manifest")
    try:
        with np.load(file, allow_pickle=False) as npz:
            return np.asarray(npz["thresholds"], dtype=np.float64)
    except (KeyError, ValueError, OSError) as exc:
        raise ArtifactError(f"{path}: no readable thresholds in {ARRAYS} ({exc})") from None


def model_fits_data(manifest: Mapping[str, Any], data: Dataset) -> str | None:
    """Why a saved model cannot score ``data`` (other tags, missing features, or the groups.csv
    column its group context needs), or None."""
    columns = manifest.get("columns", {})
    tags = tuple(columns.get("tag_names", ()))
    features = columns.get("feature_names", ())
    if tags != tuple(data.tag_names):
        return "its tags differ from the data's"
    missing = sorted(set(features) - set(data.feature_names))
    if missing:
        return f"the data lacks {len(missing)} of its feature columns (e.g. {missing[0]})"
    for column in columns.get("group_columns", ()):
        if data.groups is None or column not in data.groups.columns:
            return (
                f"it decides each track with the others of its group: the data has no "
                f"'{column}' column in groups.csv"
            )
    return None


def context_label(manifest: Mapping[str, Any]) -> str:
    """A saved model's group context in words: "on (album context, weight 0.5)", "off", or ""
    for a model without one (read from the manifest alone)."""
    described = manifest.get("context") or ""
    if manifest.get("columns", {}).get("group_columns"):
        return "on" + (f" ({described.split(' (')[0]})" if described else "")
    return "off" if described else ""


def artifact_problems(infos: list[ArtifactInfo], data: Dataset) -> dict[str, str]:
    """Per listed artifact that cannot be used on ``data``, why (unreadable, or it does not fit
    the data's tags and features); usable artifacts are absent."""
    problems = {}
    for info in infos:
        reason = info.error or model_fits_data(info.manifest or {}, data)
        if reason:
            problems[info.name] = reason
    return problems


def slug(text: str) -> str:
    """``text`` as a piece of an artifact name: lower case, runs of other characters as '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def free_name(root: str | Path, base: str) -> str:
    """``base`` (made a valid name) when no artifact has it under ``root``, else the first free
    ``base-vN`` (:func:`next_free_name`)."""
    base = slug(base)[:90] or "model"
    check_name(base)
    return base if not (Path(root) / base).exists() else next_free_name(root, base)


def default_name(root: str | Path, model_type: str, data_name: str, day: str | None = None) -> str:
    """A free name saying what was trained on what and when: ``<type>-<data>-<YYYYMMDD>``."""
    day = day or time.strftime("%Y%m%d", time.gmtime())
    return free_name(root, "-".join(p for p in (slug(model_type), slug(data_name)[:40], day) if p))


# --- threshold sets: a model saved again with other thresholds ----------------------------


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
    extra: Mapping[str, Any] | None = None,
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
            # the same splits as the parent: re-derived from the same spec
            **{k: parent_manifest[k] for k in SPLIT_KEYS if k in parent_manifest},
            "thresholds_from": parent,
            **dict(extra or {}),
        },
    )
