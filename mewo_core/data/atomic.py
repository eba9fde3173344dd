"""Write a file or folder so that readers see the old one or the whole new one, never half.

The one owner of "write a hidden temporary sibling, fsync, rename into place": artifacts, the
predict sinks and the Dask engine, CSV writers, the score and relation caches and the demo
writers all go through here. A failed or killed write leaves the destination as it was (a
killed one may leave a hidden ``.NAME.*.tmp`` sibling, never a half-written ``NAME``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def temporary_sibling(path: str | Path, suffix: str = "tmp") -> Path:
    """A hidden name beside ``path``, unique to this process and moment."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{time.time_ns()}.{suffix}")


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(tmp: str | Path, path: str | Path, *, force: bool = True) -> None:
    """Rename the finished file ``tmp`` to ``path``. Without ``force`` an existing ``path`` is
    never replaced (:class:`FileExistsError`), also when it appears while this runs."""
    tmp, path = Path(tmp), Path(path)
    if force:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)  # atomic "create only if absent"
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system: check, then rename
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(tmp, path)
        else:
            tmp.unlink()
    fsync_dir(path.parent)


def publish_dir(tmp: str | Path, path: str | Path, *, force: bool) -> None:
    """Rename the finished folder ``tmp`` to ``path``. With ``force`` an existing ``path`` is
    moved aside first and removed only once the new one is in (restored if the rename fails);
    without it an existing ``path`` is a :class:`FileExistsError`."""
    tmp, path = Path(tmp), Path(path)
    if path.exists() and not force:
        raise FileExistsError(path)
    if path.exists():
        old = temporary_sibling(path, "old")
        os.rename(path, old)
        try:
            os.rename(tmp, path)
        except OSError:
            os.rename(old, path)
            raise
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    else:
        try:
            os.rename(tmp, path)
        except OSError as exc:  # created meanwhile (a non-empty folder cannot be renamed over)
            raise FileExistsError(path) from exc
    fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb", *, force: bool = True) -> Iterator[IO]:
    """``with atomic_file(path) as fh: ...``: write ``fh``; on success it is flushed, fsynced and
    renamed to ``path`` (see :func:`publish`); on any error the temporary file is removed."""
    path = Path(path)
    tmp = temporary_sibling(path)
    try:
        with tmp.open(mode, newline=None if "b" in mode else "") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, path, force=force)
    finally:
        tmp.unlink(missing_ok=True)
