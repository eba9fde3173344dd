"""Read and validate one table file (CSV or Parquet) in the challenge's shape.

Every problem becomes a :class:`DataError` naming the file, the column or line, and what is wrong.
Line numbers count the header as line 1.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import DataError, preview

ID_COLUMN = "ChallengeID"
_SNIFF_BYTES = 65536


def read_table(
    source: str | Path | bytes, name: str | None = None, *, labels: bool = False
) -> pd.DataFrame:
    """Read a CSV or Parquet table with an integer ``ChallengeID`` column and numeric others.

    ``source`` is a path or the file's bytes (uploads); ``name`` is used in messages.
    Returns a frame whose first column is ``ChallengeID`` (int64) and whose other columns are
    float64, all finite. Duplicate ids are refused. With ``labels`` every value must be 0 or 1.
    """
    label = name or (Path(source).name if not isinstance(source, bytes) else "upload")
    raw = _read_bytes(source, label)
    is_parquet = raw[:4] == b"PAR1" or label.lower().endswith(".parquet")
    table = _parse_parquet(raw, label) if is_parquet else _parse_csv(raw, label)
    expected = "0 or 1" if labels else "a number"
    frame = _validate(_to_frame(table, label, expected), label)
    if labels:
        check_labels(frame, label)
    return frame


def _read_bytes(source: str | Path | bytes, label: str) -> bytes:
    if isinstance(source, bytes):
        return source
    path = Path(source)
    if not path.exists():
        raise DataError("file not found", file=str(path))
    if path.is_dir():
        raise DataError("is a folder, not a file", file=str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror})", file=label) from None


def _parse_parquet(raw: bytes, label: str) -> pa.Table:
    try:
        return pq.read_table(io.BytesIO(raw))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({exc})", file=label) from None


def _parse_csv(raw: bytes, label: str) -> pa.Table:
    if not raw.strip():
        raise DataError("the file is empty", file=label)
    check_csv_head(raw[:_SNIFF_BYTES], label)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    parse = pacsv.ParseOptions(delimiter=",")
    convert = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True)
    try:
        return pacsv.read_csv(io.BytesIO(raw), parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise DataError(f"malformed CSV: {_arrow_message(exc)}", file=label) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=label) from None


def check_csv_head(head: bytes, label: str) -> str:
    """The header line of a CSV file from its first bytes (a UTF-8 BOM dropped); binary,
    non-UTF-8 and semicolon-separated files, and headers without commas or ``ChallengeID``, are
    refused."""
    if b"\x00" in head:
        raise DataError("not a text CSV file (binary content)", file=label)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        first_line = head.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=label, row=1) from None
    if first_line.count(";") > first_line.count(","):
        raise DataError(
            "looks semicolon-separated; columns must be separated by commas", file=label, row=1
        )
    if "," not in first_line and ID_COLUMN not in first_line:
        raise DataError(f"the header has no '{ID_COLUMN}' column and no commas", file=label, row=1)
    return first_line.rstrip("\r")


def _arrow_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0]
    return text.replace("CSV parse error: ", "")


def _to_frame(table: pa.Table, label: str, expected: str) -> pd.DataFrame:
    names = check_header(table.column_names, label)
    if table.num_rows == 0:
        raise DataError("no data rows (header only)", file=label)
    columns = {}
    for name, col in zip(names, table.columns, strict=True):
        columns[name] = numeric_column(col, name, label, expected)
    frame = pd.DataFrame(columns, copy=False)
    ordered = [ID_COLUMN] + [n for n in names if n != ID_COLUMN]
    return frame[ordered]


def check_header(raw_names: list[str], label: str) -> list[str]:
    """The column names, stripped (and a BOM); duplicate or empty names and a missing
    ``ChallengeID`` are refused (line 1)."""
    names = [str(n).strip().lstrip("\ufeff") for n in raw_names]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(
                "this column appears twice in the header", file=label, column=name, row=1
            )
        if not name:
            raise DataError("a column has an empty name", file=label, row=1)
        seen.add(name)
    if ID_COLUMN not in names:
        raise DataError(
            f"no '{ID_COLUMN}' column (header: {preview(names, 4)})",
            file=label,
            row=1,
        )
    return names


def numeric_column(
    col: pa.ChunkedArray, name: str, label: str, expected: str = "a number"
) -> np.ndarray:
    """The column as float64; nulls, text and non-numeric types are refused, naming the line
    (the column's first value is line 2)."""
    kind = col.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        if col.null_count:
            row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise DataError(
                f"empty cell ({expected} is required)", file=label, column=name, row=row + 2
            )
        return col.to_numpy().astype(np.float64, copy=False)
    if pa.types.is_null(kind):
        raise DataError(
            f"the column is empty ({expected} is required)", file=label, column=name, row=2
        )
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raise DataError("cells are not UTF-8 text", file=label, column=name)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise DataError(f"cells of type {kind} are not numbers", file=label, column=name)
    values = col.to_pandas()
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & ~values.str.strip().str.lower().isin(["nan", "+nan", "-nan"])
    bad |= values.isna()
    row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else int(numbers.isna().argmax())
    cell = values.iloc[row]
    empty = cell is None or not str(cell).strip()
    what = "empty cell" if empty else f"'{str(cell)[:40]}' is not {expected}"
    raise DataError(what, file=label, column=name, row=row + 2)


def check_ids(ids: np.ndarray, label: str, first_line: int = 2) -> np.ndarray:
    """``ids`` (numbers) as int64; a non-integer or too large (>= 2**53) id is refused, naming
    its line (``ids[0]`` is on ``first_line``)."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(ids) | (ids != np.round(ids)) | (np.abs(ids) >= 2.0**53)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"id {ids[row]:g} is not an integer (or is too large)",
            file=label,
            column=ID_COLUMN,
            row=row + first_line,
        )
    return ids.astype(np.int64)


def check_finite(values: np.ndarray, columns: list[str], label: str, first_line: int = 2) -> None:
    """Refuse NaN and infinite scores in ``values`` (rows x ``columns``), naming the first one
    (row-major) and its line (row 0 is on ``first_line``)."""
    finite = np.isfinite(values)
    if finite.all():
        return
    r, c = np.argwhere(~finite)[0]
    v = values[r, c]
    what = "NaN (missing value)" if np.isnan(v) else f"{v} (infinite value)"
    raise DataError(
        f"{what}; scores must be finite numbers",
        file=label,
        column=columns[c],
        row=int(r) + first_line,
    )


def _validate(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    int_ids = check_ids(frame[ID_COLUMN].to_numpy(), label)
    order = np.argsort(int_ids, kind="stable")
    dup = np.flatnonzero(int_ids[order][1:] == int_ids[order][:-1])
    if dup.size:
        first, second = sorted((order[dup[0]], order[dup[0] + 1]))
        raise DataError(
            f"duplicate id {int_ids[first]} (also on line {first + 2}); "
            f"{dup.size} duplicate(s) in all",
            file=label,
            column=ID_COLUMN,
            row=int(second) + 2,
        )
    values = frame.drop(columns=ID_COLUMN)
    if values.shape[1]:
        arr = values.to_numpy(dtype=np.float64, copy=False)
        check_finite(arr, list(values.columns), label)
    frame[ID_COLUMN] = int_ids
    return frame


def check_labels(frame: pd.DataFrame, label: str) -> None:
    """Refuse label values other than 0 and 1, naming the first offending cell."""
    values = frame.drop(columns=ID_COLUMN).to_numpy(dtype=np.float64, copy=False)
    bad = (values != 0) & (values != 1)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"label {values[r, c]:g} is not 0 or 1",
            file=label,
            column=frame.columns[c + 1],
            row=int(r) + 2,
        )
