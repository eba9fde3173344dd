"""Atomic writers for ``predict``'s decisions, one chunk at a time.

Formats (``--format``):

- ``csv``: the challenge's y shape, ``ChallengeID`` then one 0/1 column per tag: the same bytes
  as pandas' ``to_csv(index=False)`` of that frame (the in-memory ``predict``'s output);
- ``parquet``: the same columns, ``ChallengeID`` int64 and one uint8 column per tag, one row
  group per decided block;
- ``long``: one row per positive decision, ``ChallengeID, tag`` (the shape a catalogue
  database ingests), in row then tag order; Parquet when OUT ends in ``.parquet`` (``tag``
  dictionary-encoded), CSV otherwise.

``with_scores`` adds the decision scores (float64: the network's probability for the tags that
keep its correction, the tagger's raw score for the others, -inf for a tag without a score
column): a ``<tag>:score`` column after the decisions in ``csv`` / ``parquet``, a ``score``
column in ``long``.

Every writer writes to a hidden temporary file beside OUT (``.<name>.<pid>.tmp``, the
convention of :func:`mewo_core.data.io.write_csv_atomic`), fsyncs it and renames it to OUT only
in :meth:`Sink.commit`; :meth:`Sink.abort` (any error or interruption) removes it. A run killed
outright (SIGKILL) leaves only that hidden file, which the next run in the folder removes.
Without ``force`` an OUT that exists, even one created meanwhile, is never replaced.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..data.atomic import publish
from ..data.tables import ID_COLUMN
from ..errors import DataError
from .chunks import Decided

FORMATS = ("csv", "parquet", "long")
SCORE_SUFFIX = ":score"


def temp_path(path: Path) -> Path:
    """The hidden temporary name beside ``path`` (``write_csv_atomic``'s convention)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_stale_temps(path: Path) -> None:
    """Remove temporary files of ``path`` left by runs that are no longer alive (SIGKILL)."""
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for tmp in path.parent.iterdir():
            name = tmp.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid = name[len(prefix) : -len(".tmp")]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Sink(ABC):
    """Write decided chunks to a temporary file, then :meth:`commit` it to ``path``."""

    def __init__(self, path: str | Path, tags: tuple[str, ...], with_scores: bool) -> None:
        self.path = Path(path)
        self.tags = tuple(tags)
        self.with_scores = with_scores
        self.tmp = temp_path(self.path)
        self.rows = 0
        self.positives = 0
        self._file: BinaryIO | None = None

    def open(self) -> Sink:
        if not self.path.parent.is_dir():
            raise DataError("the output folder does not exist", file=str(self.path.parent))
        remove_stale_temps(self.path)
        try:
            self._file = open(self.tmp, "wb")  # noqa: SIM115 - closed by commit / abort
            self._start()
        except OSError as exc:
            self.abort()
            raise DataError(f"cannot write ({exc.strerror or exc})", file=str(self.path)) from None
        return self

    def write(self, decided: Decided) -> None:
        """Append one chunk's decisions (and scores, with ``with_scores``)."""
        try:
            self._write(decided)
        except OSError as exc:
            raise DataError(f"cannot write ({exc.strerror or exc})", file=str(self.path)) from None
        self.rows += decided.ids.shape[0]
        self.positives += int(np.count_nonzero(decided.decisions))

    def commit(self, force: bool) -> Path:
        """Finish, fsync and move the file to ``path`` (replacing it only with ``force``)."""
        try:
            self._finish()
            assert self._file is not None
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            publish(self.tmp, self.path, force=force)
        except FileExistsError:
            self.abort()
            raise DataError(
                "already exists; choose another file or use --force", file=str(self.path)
            ) from None
        except OSError as exc:
            self.abort()
            raise DataError(f"cannot write ({exc.strerror or exc})", file=str(self.path)) from None
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Drop the temporary file (OUT is left as it was)."""
        with contextlib.suppress(Exception):
            self._close_writer()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        self.tmp.unlink(missing_ok=True)

    # --- per format -------------------------------------------------------------------------
    @abstractmethod
    def _start(self) -> None:
        """Write what comes before the first chunk (a header)."""

    @abstractmethod
    def _write(self, decided: Decided) -> None:
        """Write one chunk."""

    @abstractmethod
    def _close_writer(self) -> None:
        """Close the format writer that wraps the file (writing its footer), if any."""

    def _finish(self) -> None:
        """Write what comes after the last chunk."""
        self._close_writer()


def _csv_header(names: list[str]) -> bytes:
    """A header line exactly as pandas writes it (quoting where needed)."""
    return pd.DataFrame(columns=names).to_csv(index=False).encode()


def decisions_csv_rows(ids: np.ndarray, decisions: np.ndarray) -> bytes:
    """CSV rows ``id,0,1,...`` (the bytes pandas writes for int64 ids and uint8 0/1 values),
    built with numpy (about 5x pandas' ``to_csv``)."""
    n, t = decisions.shape
    if n == 0:
        return b""
    body = np.empty((n, 2 * t + 1), dtype=np.uint8)
    body[:, 0 : 2 * t : 2] = ord(",")
    body[:, 1 : 2 * t : 2] = decisions + ord("0")
    body[:, 2 * t] = ord("\n")
    width = 19  # int64 ids: at most 19 digits
    magnitude = np.abs(ids.astype(np.int64)).astype(np.uint64)
    powers = np.uint64(10) ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    digits = (magnitude[:, None] // powers) % np.uint64(10)
    n_digits = np.maximum(1, (magnitude[:, None] >= powers).sum(axis=1))
    chars = np.empty((n, width + 1), dtype=np.uint8)
    chars[:, 0] = ord("0")
    chars[:, 1:] = digits.astype(np.uint8) + ord("0")
    negative = np.flatnonzero(ids < 0)
    chars[negative, width - n_digits[negative]] = ord("-")  # just before the first digit
    keep = np.arange(width + 1)[None, :] >= (width + 1 - n_digits - (ids < 0))[:, None]
    rows = np.concatenate([chars, body], axis=1)
    mask = np.concatenate([keep, np.ones(body.shape, dtype=bool)], axis=1)
    return rows[mask].tobytes()


def _wide_table(decided: Decided, tags: tuple[str, ...], with_scores: bool) -> pa.Table:
    columns = {ID_COLUMN: pa.array(decided.ids, type=pa.int64())}
    for j, tag in enumerate(tags):
        columns[tag] = pa.array(np.ascontiguousarray(decided.decisions[:, j]), type=pa.uint8())
    if with_scores:
        assert decided.scores is not None
        for j, tag in enumerate(tags):
            columns[tag + SCORE_SUFFIX] = pa.array(decided.scores[:, j].astype(np.float64))
    return pa.table(columns)


def _wide_schema(tags: tuple[str, ...], with_scores: bool) -> pa.Schema:
    fields = [pa.field(ID_COLUMN, pa.int64())] + [pa.field(t, pa.uint8()) for t in tags]
    if with_scores:
        fields += [pa.field(t + SCORE_SUFFIX, pa.float64()) for t in tags]
    return pa.schema(fields)


def _long_table(decided: Decided, tags: tuple[str, ...], with_scores: bool) -> pa.Table:
    rows, cols = np.nonzero(decided.decisions)
    tag = pa.DictionaryArray.from_arrays(
        pa.array(cols.astype(np.int32)), pa.array(list(tags), type=pa.string())
    )
    columns = {ID_COLUMN: pa.array(decided.ids[rows], type=pa.int64()), "tag": tag}
    if with_scores:
        assert decided.scores is not None
        columns["score"] = pa.array(decided.scores[rows, cols].astype(np.float64))
    return pa.table(columns)


def _long_schema(tags: tuple[str, ...], with_scores: bool) -> pa.Schema:
    fields = [
        pa.field(ID_COLUMN, pa.int64()),
        pa.field("tag", pa.dictionary(pa.int32(), pa.string())),
    ]
    if with_scores:
        fields.append(pa.field("score", pa.float64()))
    return pa.schema(fields)


def _needs_quotes(names: tuple[str, ...]) -> bool:
    return any(ch in name for name in names for ch in ',"\r\n')


class CsvSink(Sink):
    """``csv``: ChallengeID + one 0/1 column per tag (+ ``<tag>:score`` columns)."""

    def _start(self) -> None:
        names = [ID_COLUMN, *self.tags]
        if self.with_scores:
            names += [t + SCORE_SUFFIX for t in self.tags]
        assert self._file is not None
        self._file.write(_csv_header(names))
        self._csv: pacsv.CSVWriter | None = None

    def _write(self, decided: Decided) -> None:
        assert self._file is not None
        if not self.with_scores:
            self._file.write(decisions_csv_rows(decided.ids, decided.decisions))
            return
        table = _wide_table(decided, self.tags, True)
        if self._csv is None:
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._csv = pacsv.CSVWriter(self._file, table.schema, write_options=options)
        self._csv.write_table(table)

    def _close_writer(self) -> None:
        writer, self._csv = getattr(self, "_csv", None), None
        if writer is not None:
            writer.close()


class ParquetSink(Sink):
    """``parquet``: ChallengeID int64 + one uint8 column per tag (+ float64 score columns)."""

    def _start(self) -> None:
        self._schema = _wide_schema(self.tags, self.with_scores)
        self._pq: pq.ParquetWriter | None = pq.ParquetWriter(self._file, self._schema)

    def _write(self, decided: Decided) -> None:
        assert self._pq is not None
        table = _wide_table(decided, self.tags, self.with_scores)
        self._pq.write_table(table, row_group_size=max(1, table.num_rows))

    def _close_writer(self) -> None:
        writer, self._pq = getattr(self, "_pq", None), None
        if writer is not None:
            writer.close()


class LongSink(Sink):
    """``long``: one row per positive decision; Parquet for a ``.parquet`` OUT, else CSV."""

    def _start(self) -> None:
        self._parquet = self.path.suffix.lower() == ".parquet"
        self._pq: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        assert self._file is not None
        if self._parquet:
            self._pq = pq.ParquetWriter(self._file, _long_schema(self.tags, self.with_scores))
        else:
            names = [ID_COLUMN, "tag"] + (["score"] if self.with_scores else [])
            self._file.write(_csv_header(names))

    def _write(self, decided: Decided) -> None:
        table = _long_table(decided, self.tags, self.with_scores)
        if self._parquet:
            assert self._pq is not None
            self._pq.write_table(table, row_group_size=max(1, table.num_rows))
            return
        if table.num_rows == 0:
            return
        table = table.set_column(1, "tag", table.column("tag").cast(pa.string()))
        if self._csv is None:
            quoting = "needed" if _needs_quotes(self.tags) else "none"
            options = pacsv.WriteOptions(include_header=False, quoting_style=quoting)
            self._csv = pacsv.CSVWriter(self._file, table.schema, write_options=options)
        self._csv.write_table(table)

    def _close_writer(self) -> None:
        for attr in ("_pq", "_csv"):
            writer = getattr(self, attr, None)
            setattr(self, attr, None)
            if writer is not None:
                writer.close()


SINKS: dict[str, type[Sink]] = {"csv": CsvSink, "parquet": ParquetSink, "long": LongSink}


def open_sink(fmt: str, path: str | Path, tags: tuple[str, ...], with_scores: bool = False) -> Sink:
    """An opened writer of format ``fmt`` (see the module docstring) for ``path``."""
    if fmt not in SINKS:
        raise DataError(f"unknown output format {fmt!r}; known: {', '.join(FORMATS)}")
    return SINKS[fmt](path, tags, with_scores).open()
