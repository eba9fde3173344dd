"""Chunk readers for ``predict``: a CSV file (pyarrow's streaming CSV reader), a Parquet file
(``ParquetFile.iter_batches``), or a folder / glob of Parquet partitions.

Each yields :class:`~.chunks.Chunk` objects of ``chunk_rows`` rows (a file's last chunk may be
shorter; chunks never span files), validated by :func:`~.chunks.table_chunk` with lines counted
over the whole file (header = line 1, data row ``r`` = line ``r + 2``; Parquet files are
numbered the same way, as the loader does). Memory: about two chunks of the input at a time.
"""

from __future__ import annotations

import contextlib
import csv
import glob
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..data.tables import (
    _SNIFF_BYTES,
    ID_COLUMN,
    check_csv_head,
    check_header,
    numeric_column,
)
from ..errors import DataError
from .chunks import Chunk, check_columns, table_chunk

CSV_BLOCK_BYTES = 8 << 20  # bytes pyarrow parses at a time


@dataclass(frozen=True)
class InputFile:
    """One input file: its path, the name used in messages, ``csv`` or ``parquet``, its row
    count when the file says it (Parquet metadata), else an estimate (CSV: from the lines of
    its first MiBs)."""

    path: Path
    label: str
    kind: str
    rows: int | None
    size: int
    rows_estimate: int = 0


def resolve_input(x: str | Path) -> list[InputFile]:
    """The files of ``x``: a CSV or Parquet file, a folder of Parquet partitions (searched
    recursively, hidden and ``_``-prefixed names skipped, in sorted order) or a glob of them."""
    text = str(x)
    if any(ch in text for ch in "*?[") and not Path(text).exists():
        paths = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not paths:
            raise DataError("no file matches this pattern", file=text)
        return [_input(p, str(p), multi=True) for p in paths]
    path = Path(text)
    if not path.exists():
        raise DataError("file not found", file=text)
    if path.is_dir():
        paths = sorted(
            p
            for p in path.rglob("*.parquet")
            if p.is_file() and not any(s.startswith((".", "_")) for s in p.relative_to(path).parts)
        )
        if not paths:
            raise DataError("no .parquet partition in this folder", file=text)
        return [_input(p, str(p.relative_to(path)), multi=True) for p in paths]
    return [_input(path, path.name, multi=False)]


def _input(path: Path, label: str, multi: bool) -> InputFile:
    try:
        with path.open("rb") as f:
            magic = f.read(4)
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror})", file=label) from None
    if magic == b"PAR1" or path.suffix.lower() == ".parquet":
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"not a readable Parquet file ({exc})", file=label) from None
        return InputFile(path, label, "parquet", rows, size, rows)
    if multi:
        raise DataError("a folder or pattern must hold Parquet partitions only", file=label)
    return InputFile(path, label, "csv", None, size, _estimate_csv_rows(path, size))


def _estimate_csv_rows(path: Path, size: int, sample: int = 4 << 20) -> int:
    """Data rows of a CSV file: exact (line count) below ``sample`` bytes, else scaled."""
    try:
        with path.open("rb") as f:
            head = f.read(sample)
    except OSError:
        return 0
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") or len(head) < size else 1)
    if len(head) >= size:
        return max(0, lines - 1)
    return max(0, int(lines * size / max(1, len(head))) - 1)


class Reader:
    """Stream the chunks of ``files`` for a model with features ``features``.

    ``rows_total`` is the number of rows when every file's metadata gives it (Parquet), else
    None; ``rows_estimate`` is that number or an estimate (CSV) for progress bars.
    """

    def __init__(
        self, files: Sequence[InputFile], features: Sequence[str], chunk_rows: int
    ) -> None:
        if chunk_rows < 1:
            raise DataError(f"--chunk-rows must be at least 1 (got {chunk_rows})")
        self.files = list(files)
        self.features = tuple(features)
        self.chunk_rows = chunk_rows
        rows = [f.rows for f in self.files]
        self.rows_total = None if any(r is None for r in rows) else sum(rows)  # type: ignore[misc]
        self.rows_estimate = sum(f.rows_estimate for f in self.files)

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk of every file, in order; each validated (see the module docstring)."""
        for file in self.files:
            for table, first_row in self._tables(file):
                yield table_chunk(table, self.features, file.label, first_row)

    def _tables(self, file: InputFile) -> Iterator[tuple[pa.Table, int]]:
        batches = (
            _parquet_batches(file, self) if file.kind == "parquet" else _csv_batches(file, self)
        )
        done = 0
        for table in _rechunk(batches, self.chunk_rows):
            yield table, done
            done += table.num_rows
        if done == 0:
            raise DataError("no data rows (header only)", file=file.label)


def _rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Tables of exactly ``rows`` rows (the last one shorter) from batches of any size."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        held.append(batch)
        count += batch.num_rows
        if count < rows:
            continue
        table = pa.Table.from_batches(held)
        start = 0
        while count - start >= rows:
            yield table.slice(start, rows)
            start += rows
        rest = table.slice(start)
        held = rest.to_batches() if rest.num_rows else []
        count -= start
    if count:
        yield pa.Table.from_batches(held)


def _parquet_batches(file: InputFile, reader: Reader) -> Iterator[pa.RecordBatch]:
    # Opened by path: arrow reads into its own pool (reading through a Python file object makes
    # one Python bytes object per read, and the process's heap grows with the file).
    try:
        pf = pq.ParquetFile(str(file.path), pre_buffer=False)  # no read-ahead of the whole file
        names = check_header(pf.schema_arrow.names, file.label)
        check_columns(names, reader.features, file.label)
        batches = pf.iter_batches(batch_size=reader.chunk_rows, use_threads=True)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            yield batch
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({exc})", file=file.label) from None
    finally:
        with contextlib.suppress(NameError):
            pf.close()


def _csv_names(file: InputFile) -> list[str]:
    """The raw header names of a CSV file, after the loader's checks of its first bytes."""
    with file.path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataError("the file is empty", file=file.label)
    first_line = check_csv_head(head, file.label)
    return next(csv.reader([first_line]))


def _csv_options(names: list[str], kind: pa.DataType) -> tuple:
    read = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=True)
    parse = pacsv.ParseOptions(delimiter=",")
    convert = pacsv.ConvertOptions(
        null_values=[""], strings_can_be_null=True, column_types=dict.fromkeys(names, kind)
    )
    return read, parse, convert


def _csv_batches(file: InputFile, reader: Reader) -> Iterator[pa.RecordBatch]:
    raw_names = _csv_names(file)
    names = check_header(raw_names, file.label)
    check_columns(names, reader.features, file.label)
    read, parse, convert = _csv_options(raw_names, pa.float64())
    rows = 0
    stream = None
    try:
        try:
            stream = pacsv.open_csv(  # by path: arrow's own reads (see _parquet_batches)
                str(file.path), read_options=read, parse_options=parse, convert_options=convert
            )
            while True:
                try:
                    batch = stream.read_next_batch()
                except StopIteration:
                    return
                rows += batch.num_rows
                yield batch
        except pa.ArrowInvalid as exc:
            _locate_csv_error(file, raw_names, rows, exc)
        except UnicodeDecodeError:
            raise DataError("not UTF-8 text", file=file.label) from None
    finally:
        if stream is not None:
            stream.close()


def _locate_csv_error(
    file: InputFile, raw_names: list[str], rows_done: int, exc: Exception
) -> None:
    """Re-read the rows after ``rows_done`` as text to name the cell pyarrow could not convert
    (its message has no line); raise the loader's error for it."""
    message = str(exc).strip().splitlines()[0].replace("CSV parse error: ", "")
    names = check_header(raw_names, file.label)
    read, parse, convert = _csv_options(raw_names, pa.string())
    read = pacsv.ReadOptions(
        block_size=CSV_BLOCK_BYTES, use_threads=True, skip_rows_after_names=rows_done
    )
    first = rows_done
    try:
        stream = pacsv.open_csv(
            str(file.path), read_options=read, parse_options=parse, convert_options=convert
        )
        for batch in stream:
            for name, col in zip(names, batch.columns, strict=True):
                _check_text_numbers(pa.chunked_array([col]), name, file.label, first)
            first += batch.num_rows
    except pa.ArrowInvalid:
        pass
    raise DataError(f"malformed CSV: {message} (after line {first + 1})", file=file.label) from None


def _check_text_numbers(col: pa.ChunkedArray, name: str, label: str, first_row: int) -> None:
    """Raise the loader's error for the first empty or non-numeric cell of a text column."""
    values = col.to_pandas()
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.isna() | (
        numbers.isna() & ~values.str.strip().str.lower().isin(["nan", "+nan", "-nan"])
    )
    if not bad.any():
        return
    row = int(np.flatnonzero(bad.to_numpy())[0])
    try:
        numeric_column(col.slice(row), name, label)
    except DataError as err:
        line = err.row + first_row + row if err.row is not None else None
        column = (
            err.column if err.column is not None else (ID_COLUMN if name == ID_COLUMN else name)
        )
        raise DataError(err.detail, file=label, column=column, row=line) from None
