"""The embedded demo catalogue: generated on first use into a cache folder, then loaded fast.

The folder ``<cache>/demo-<tracks>-<seed>-<generator version>/`` holds the challenge-shaped
CSV files written by :func:`mewo_core.demo.write_demo_data` and ``bundle.npz``, the same data
as arrays (loads in well under a second). It is built in a hidden temporary folder and renamed
into place, so an interrupted build leaves nothing half-written. Environment variables:
``MEWO_CACHE_DIR`` (cache root, default ``<repo>/.mewo_cache``), ``MEWO_DEMO_TRACKS`` (catalogue
size, default 110,000; tests use a few thousand) and ``MEWO_DEMO_SEED`` (default 0).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.lib.format as npformat
import pandas as pd

from ..data import DataBundle, Dataset, load_folder
from ..data.atomic import atomic_file
from ..data.taxonomy import Taxonomy
from ..errors import DataError, MewoError
from ..locations import REPO_ROOT
from ..models.base import ProgressEvent

DEFAULT_TRACKS = 110_000
MIN_TRACKS = 100
BUNDLE_FILE = "bundle.npz"

Progress = Callable[[ProgressEvent], None]


def cache_root() -> Path:
    """The cache folder: ``$MEWO_CACHE_DIR`` or ``<repo>/.mewo_cache``."""
    env = os.environ.get("MEWO_CACHE_DIR")
    return Path(env).expanduser() if env else REPO_ROOT / ".mewo_cache"


def demo_size() -> tuple[int, int]:
    """(tracks, seed) of the demo catalogue, from ``MEWO_DEMO_TRACKS`` / ``MEWO_DEMO_SEED``."""
    try:
        tracks = int(os.environ.get("MEWO_DEMO_TRACKS", DEFAULT_TRACKS))
        seed = int(os.environ.get("MEWO_DEMO_SEED", 0))
    except ValueError as exc:
        raise MewoError(f"MEWO_DEMO_TRACKS / MEWO_DEMO_SEED must be integers ({exc})") from None
    if tracks < MIN_TRACKS:
        raise MewoError(f"MEWO_DEMO_TRACKS must be at least {MIN_TRACKS}")
    return tracks, seed


def generator_version() -> str:
    """A short hash of the generator's source: a changed generator gets a fresh cache."""
    h = hashlib.sha256()
    for name in ("generator.py", "thesaurus.py", "writer.py"):
        file = Path(__file__).with_name(name)
        if file.exists():
            h.update(file.read_bytes())
    return h.hexdigest()[:8]


def demo_folder(n_tracks: int, seed: int, root: str | Path | None = None) -> Path:
    """``<cache>/demo-<tracks>-<seed>-<generator version>``."""
    return Path(root or cache_root()) / f"demo-{n_tracks}-{seed}-{generator_version()}"


def ensure_demo_data(
    n_tracks: int | None = None,
    seed: int | None = None,
    *,
    root: str | Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """The demo catalogue's folder, generating it (CSV files + ``bundle.npz``) if missing."""
    env_tracks, env_seed = demo_size()
    n_tracks = env_tracks if n_tracks is None else n_tracks
    seed = env_seed if seed is None else seed
    folder = demo_folder(n_tracks, seed, root)
    if (folder / BUNDLE_FILE).exists():
        return folder
    from .writer import write_demo_data

    def step(i: int, message: str) -> None:
        if progress is not None:
            progress(ProgressEvent("demo data", i, 3, message))

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        step(0, f"generating a {n_tracks:,}-track demo catalogue (once; cached on disk)")
        write_demo_data(tmp, n_tracks=n_tracks, seed=seed)
        step(1, "checking the files")
        bundle = load_folder(tmp)
        step(2, "writing the fast-load copy")
        save_bundle(bundle, tmp / BUNDLE_FILE)
        try:
            os.rename(tmp, folder)
        except OSError:  # built meanwhile by another process: keep theirs
            if not (folder / BUNDLE_FILE).exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        step(3, "ready")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def load_demo_bundle(folder: str | Path) -> DataBundle:
    """The demo catalogue in ``folder``: from ``bundle.npz`` when present, else from the CSVs."""
    folder = Path(folder)
    cached = folder / BUNDLE_FILE
    if cached.exists():
        try:
            return load_bundle(cached, folder=str(folder))
        except (OSError, KeyError, ValueError):
            pass  # damaged copy: fall back to the CSV files
    return load_folder(folder)


# --- array copies of a bundle ---------------------------------------------------------------


def save_bundle(bundle: DataBundle, path: str | Path) -> None:
    """Write a bundle's datasets as one ``.npz`` (no pickles) next to its CSV files."""
    arrays: dict[str, np.ndarray] = {}
    parts = {"train": bundle.train, "test": bundle.test}
    for part, data in parts.items():
        if data is None:
            continue
        arrays[f"{part}/X"] = data.X
        arrays[f"{part}/ids"] = data.ids
        if data.Y is not None:
            arrays[f"{part}/Y"] = data.Y
        if data.groups is not None:
            arrays[f"{part}/groups"] = data.groups.to_numpy(dtype=np.int64)
            arrays[f"{part}/group_names"] = np.array(list(data.groups.columns), dtype=str)
        arrays[f"{part}/warnings"] = np.array(list(data.warnings), dtype=str)
    data = bundle.train
    arrays["feature_names"] = np.array(data.feature_names, dtype=str)
    arrays["tag_names"] = np.array(data.tag_names, dtype=str)
    arrays["tax_columns"] = np.array(data.taxonomy.columns, dtype=str)
    arrays["tax_classes"] = np.array(data.taxonomy.classes, dtype=str)
    arrays["tax_categories"] = np.array(data.taxonomy.categories, dtype=str)
    with atomic_file(path) as fh:
        np.savez(fh, **arrays)


#: Members at least this large are mapped from the file rather than read (see :func:`_members`).
MAP_BYTES = 1 << 20
_HEADERS = {(1, 0): npformat.read_array_header_1_0, (2, 0): npformat.read_array_header_2_0}


def _members(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz``; the large ones of an uncompressed one (what :func:`save_bundle`
    writes) mapped from the file copy-on-write instead of read: the OS's page cache then serves
    them, and nothing is copied until a part of them is (1M demo tracks: about 2.5 s less)."""
    out: dict[str, np.ndarray] = {}
    with np.load(path, allow_pickle=False) as npz, open(path, "rb") as fh:
        for info in npz.zip.infolist():
            name = info.filename.removesuffix(".npy")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size < MAP_BYTES:
                out[name] = npz[name]
                continue
            fh.seek(info.header_offset)
            local = fh.read(30)  # the local header: its name and extra field lengths at 26, 28
            if local[:4] != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: not a zip member header")
            fh.seek(info.header_offset + 30 + int.from_bytes(local[26:28], "little")
                    + int.from_bytes(local[28:30], "little"))  # fmt: skip
            header = _HEADERS.get(npformat.read_magic(fh))
            shape, fortran, dtype = header(fh) if header else ((), False, np.dtype(object))
            if dtype.hasobject:  # an unknown header version, or not plain numbers: read it
                out[name] = npz[name]
                continue
            mapped = np.memmap(fh, dtype=dtype, mode="c", offset=fh.tell(), shape=shape,
                               order="F" if fortran else "C")  # fmt: skip
            out[name] = mapped.view(np.ndarray)  # a plain array; it keeps the mapping alive
    return out


def load_bundle(path: str | Path, folder: str = "") -> DataBundle:
    """Read a bundle written by :func:`save_bundle` (its large arrays mapped, see
    :func:`_members`)."""
    a = _members(path)
    taxonomy = Taxonomy(
        tuple(a["tax_columns"].tolist()),
        tuple(a["tax_classes"].tolist()),
        tuple(a["tax_categories"].tolist()),
    )
    features = tuple(a["feature_names"].tolist())
    tags = tuple(a["tag_names"].tolist())

    def part(name: str) -> Dataset | None:
        if f"{name}/X" not in a:
            return None
        groups = None
        if f"{name}/groups" in a:
            groups = pd.DataFrame(a[f"{name}/groups"], columns=a[f"{name}/group_names"].tolist())
        return Dataset(
            X=a[f"{name}/X"],
            Y=a.get(f"{name}/Y"),
            ids=a[f"{name}/ids"],
            feature_names=features,
            tag_names=tags,
            taxonomy=taxonomy,
            groups=groups,
            name=name,
            warnings=tuple(a[f"{name}/warnings"].tolist()),
        )

    train = part("train")
    if train is None:
        raise DataError("no train data in the array copy", file=str(path))
    return DataBundle(train=train, test=part("test"), folder=folder)
