"""Datasets from uploaded files, read in memory (never written to disk)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping

from ..errors import DataError
from .dataset import DataBundle
from .io import load_xy

UPLOAD_ROLES = ("x", "y", "taxonomy", "groups")


def upload_key(files: Mapping[str, tuple[str, bytes]]) -> str:
    """A short content hash of uploaded files (role -> (file name, bytes))."""
    h = hashlib.sha256()
    for role in UPLOAD_ROLES:
        if role in files:
            name, content = files[role]
            h.update(f"{role}\x1f{name}\x1f{len(content)}\x1e".encode())
            h.update(content)
    return h.hexdigest()[:16]


def upload_label(files: Mapping[str, tuple[str, bytes]], key: str, name: str = "") -> str:
    """How the app lists an upload: ``Upload <name>`` (the user's), else the x file's name and
    the start of the content key."""
    name = " ".join(name.split())[:60]
    return f"Upload {name}" if name else f"Upload {files['x'][0]} ({key[:6]})"


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


#: The one message for an upload this owner cannot have (another session's, or expired): the
#: same text for both, so an address never tells whether someone else uploaded those files.
NOT_YOURS = ("this address names an upload that is not held for this browser session (another "
             "user's, or expired); upload the files again")


class UploadStore:
    """Uploaded datasets a server holds in memory, each **owned by the browser session** that
    uploaded it: :meth:`get` by another owner is refused exactly like an expired upload. Each
    owner keeps its newest ``per_owner`` uploads; at most ``owners`` owners are remembered
    (least recently used dropped). Thread-safe (one store serves every session of a server)."""

    def __init__(self, per_owner: int = 8, owners: int = 256) -> None:
        self.per_owner = per_owner
        self.owners = owners
        self._held: OrderedDict[str, OrderedDict[str, tuple[str, DataBundle]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, owner: str, key: str, label: str, bundle: DataBundle) -> None:
        """Hold ``bundle`` (listed as ``label``) under ``key`` for ``owner``."""
        with self._lock:
            mine = self._held.setdefault(owner, OrderedDict())
            self._held.move_to_end(owner)
            mine[key] = (label, bundle)
            mine.move_to_end(key)
            while len(mine) > self.per_owner:
                mine.popitem(last=False)
            while len(self._held) > self.owners:
                self._held.popitem(last=False)

    def get(self, owner: str, key: str) -> tuple[str, DataBundle]:
        """``(label, bundle)`` of ``owner``'s upload ``key``; a :class:`DataError` otherwise."""
        with self._lock:
            held = self._held.get(owner, {}).get(key)
        if held is None:
            raise DataError(NOT_YOURS)
        return held

    def keys(self, owner: str) -> list[str]:
        """``owner``'s upload keys, oldest first."""
        with self._lock:
            return list(self._held.get(owner, {}))
