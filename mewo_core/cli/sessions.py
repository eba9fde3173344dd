"""Opening what a command works on: a saved model (or the baseline) on its data folder."""

from __future__ import annotations

from pathlib import Path

from ..artifacts import ManifestSummary, read_manifest
from ..data import load_folder
from ..errors import MewoError
from ..session import Session


def open_session(model: str, data: str | None) -> Session:
    """``model`` (an artifact folder, or ``baseline`` with ``data``) on ``data`` or the folder
    it records, with the splits it was trained on; a model deciding other tags is refused."""
    if model == "baseline":
        if not data:
            raise MewoError("--data is required with --model baseline")
        return Session.open(load_folder(data), str(data))
    manifest = read_manifest(model)
    folder = data or ManifestSummary.of(manifest).data_folder
    if not folder or not Path(folder).is_dir():
        raise MewoError("--data is required: the model's data folder is not recorded or not here")
    return Session.open(load_folder(folder), str(folder), model, manifest=manifest,
                        check_tags=True)  # fmt: skip
