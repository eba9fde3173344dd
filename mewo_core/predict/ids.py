"""Duplicate ids across a whole streamed input, in bounded memory.

:class:`IdRegistry` keeps every id with where it was seen (file, row), 16 bytes per track. Up to
``memory_rows`` tracks (default 4,194,304: 64 MiB) stay in memory; beyond, all pairs go to 256
temporary bucket files (by a hash of the id, in the system's temporary folder, removed at the
end), and :meth:`IdRegistry.check` sorts one bucket at a time. 100M tracks: 1.6 GB of temporary
disk and about 0.4M pairs (6 MiB, some 20 MiB while sorting) in memory at once. Ids are exact
int64 values (the loader refuses ids from 2**53 on), so no hash collision can pass for a
duplicate: buckets only spread the work.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..data.tables import ID_COLUMN
from ..errors import DataError

_ROW_BITS = 40  # rows per file < 2**40; the file's index sits above
_MIX = np.uint64(0x9E3779B97F4A7C15)


class IdRegistry:
    """Collect ids chunk by chunk (:meth:`add`), then :meth:`check` for duplicates."""

    def __init__(self, memory_rows: int = 1 << 22, n_buckets: int = 256) -> None:
        self.memory_rows = memory_rows
        self.n_buckets = n_buckets
        self.files: list[str] = []
        self._pairs: list[np.ndarray] = []  # (rows, 2) int64: id, file << 40 | row
        self._held = 0
        self._dir: Path | None = None
        self._buckets: list[object] = []

    def add(self, ids: np.ndarray, source: str, first_row: int) -> None:
        """Remember ``ids`` (int64), rows ``first_row``.. of the file ``source``."""
        if not self.files or self.files[-1] != source:
            self.files.append(source)
        where = (len(self.files) - 1 << _ROW_BITS) + first_row + np.arange(ids.size, dtype=np.int64)
        pairs = np.column_stack([np.asarray(ids, dtype=np.int64), where])
        if self._dir is None and self._held + ids.size <= self.memory_rows:
            self._pairs.append(pairs)
            self._held += ids.size
            return
        if self._dir is None:
            self._spill_start()
        self._spill(pairs)

    def _spill_start(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="mewo-ids-"))
        self._buckets = [open(self._dir / f"{b}.bin", "wb") for b in range(self.n_buckets)]  # noqa: SIM115
        held, self._pairs, self._held = self._pairs, [], 0
        for pairs in held:
            self._spill(pairs)

    def _spill(self, pairs: np.ndarray) -> None:
        bucket = (pairs[:, 0].astype(np.uint64) * _MIX) >> np.uint64(56)
        bucket = (bucket % np.uint64(self.n_buckets)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.n_buckets + 1))
        for b in range(self.n_buckets):
            if bounds[b + 1] > bounds[b]:
                self._buckets[b].write(pairs[order[bounds[b] : bounds[b + 1]]].tobytes())  # type: ignore[attr-defined]

    def _groups(self):  # noqa: ANN202 - iterator of (rows, 2) arrays
        if self._dir is None:
            yield np.concatenate(self._pairs) if self._pairs else np.empty((0, 2), np.int64)
            return
        for handle in self._buckets:
            handle.close()  # type: ignore[attr-defined]
        for b in range(self.n_buckets):
            raw = (self._dir / f"{b}.bin").read_bytes()
            yield np.frombuffer(raw, dtype=np.int64).reshape(-1, 2)

    def check(self) -> None:
        """Refuse a duplicate id: the smallest one, on the line of its second occurrence, with
        the first one's line (and file, when another) and the number of duplicates."""
        try:
            best: tuple[int, int, int] | None = None  # id, first, second
            total = 0
            for pairs in self._groups():
                order = np.argsort(pairs[:, 0], kind="stable")
                ids = pairs[order, 0]
                dup = np.flatnonzero(ids[1:] == ids[:-1])
                if not dup.size:
                    continue
                total += dup.size
                i = dup[np.argmin(ids[dup])]
                first, second = sorted((int(pairs[order[i], 1]), int(pairs[order[i + 1], 1])))
                if best is None or ids[i] < best[0]:
                    best = (int(ids[i]), first, second)
            if best is None:
                return
            value, first, second = best
            ffile, frow = self._where(first)
            sfile, srow = self._where(second)
            also = f"line {frow + 2}" + (f" of {ffile}" if ffile != sfile else "")
            raise DataError(
                f"duplicate id {value} (also on {also}); {total} duplicate(s) in all",
                file=sfile,
                column=ID_COLUMN,
                row=srow + 2,
            )
        finally:
            self.close()

    def _where(self, code: int) -> tuple[str, int]:
        return self.files[code >> _ROW_BITS], code & ((1 << _ROW_BITS) - 1)

    def close(self) -> None:
        """Remove the temporary bucket files (if any)."""
        for handle in self._buckets:
            handle.close()  # type: ignore[attr-defined]
        self._buckets = []
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._pairs = []
