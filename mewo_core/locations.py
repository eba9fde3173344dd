"""Where the product reads and writes: the artifacts folder and the folders data may come from."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[1]


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
            f"({', '.join(str(r) for r in roots)}). To allow it, restart the app with "
            f"MEWO_DATA_ROOTS naming it or a folder above it (several separated by "
            f"'{os.pathsep}'), e.g. MEWO_DATA_ROOTS={folder.parent} streamlit run app.py; the "
            "variable is read when the server starts. The CLI reads any folder",
            file=str(folder),
        )
    if not folder.is_dir():
        raise DataError("data folder not found", file=str(folder))
    return folder
