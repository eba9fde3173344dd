"""The per-chunk step of ``predict``: validate one table of scores, decide it.

A chunk is a block of rows of one input file: its ids, its scores in the model's column order
(float32, as :func:`mewo_core.data.load_xy` makes them) and where it starts in its file.
:func:`decide_chunk` is the same computation as ``model.predict(dataset)`` on those rows
(``DecisionModel.matrix_scores`` then ``decide``), so streamed decisions equal the in-memory
ones bit for bit. :func:`table_chunk` applies the loader's rules (:mod:`mewo_core.data.tables`)
to one pyarrow table or record batch, with lines counted over the whole file.

The single-process stream (:mod:`.stream`) and the Dask engine both call these two functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..data.tables import ID_COLUMN, check_finite, check_header, check_ids, numeric_column
from ..errors import DataError, preview
from ..models.base import DecisionModel


@dataclass(frozen=True)
class Chunk:
    """Rows ``first_row`` .. ``first_row + n - 1`` (0-based data rows) of the file ``source``.

    ``X`` holds float32 scores in the model's ``feature_names_`` order; ``ids`` int64.
    """

    ids: np.ndarray
    X: np.ndarray
    source: str
    first_row: int

    @property
    def n_rows(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Decided:
    """One chunk's decisions (uint8, rows x tags) and, when asked, decision scores (float64)."""

    ids: np.ndarray
    decisions: np.ndarray
    scores: np.ndarray | None = None


def decide_chunk(
    model: DecisionModel,
    ids: np.ndarray,
    X: np.ndarray,
    *,
    with_scores: bool = False,
    blended: bool = False,
) -> Decided:
    """Decide one chunk: ``X`` (rows x ``model.feature_names_``, float32) -> decisions.

    Bit-identical to ``model.predict`` / ``model.decision_scores`` on a Dataset of the same
    rows: both call the model's scores and ``model.decide``. ``blended``: ``X`` is already
    blended by the model's group context (:mod:`.context_pass`).
    """
    if X.ndim != 2 or X.shape[1] != len(model.feature_names_):
        raise ValueError(
            f"expected {len(model.feature_names_)} feature columns, got shape {X.shape}"
        )
    X = np.ascontiguousarray(X, dtype=np.float32)
    scores = model.context_free_scores(X) if blended else model.matrix_scores(X)
    return Decided(ids, model.decide(scores), scores if with_scores else None)


def check_columns(names: Sequence[str], features: Sequence[str], label: str) -> None:
    """Refuse a header whose score columns differ from the model's, naming missing and extra
    ones (order does not matter: columns are matched by name)."""
    have = set(names)
    want = set(features)
    missing = [f for f in features if f not in have]
    extra = [n for n in names if n not in want and n != ID_COLUMN]
    if not missing and not extra:
        return
    parts = [f"missing columns: {preview(missing)}"] if missing else []
    parts += [f"extra columns: {preview(extra)}"] if extra else []
    raise DataError(
        f"the columns differ from the model's ({len(features)} features): " + "; ".join(parts),
        file=label,
        row=1,
    )


def _shifted(exc: DataError, first_row: int) -> DataError:
    """``exc`` with its line moved from the chunk's numbering to the file's."""
    row = exc.row + first_row if exc.row is not None and exc.row >= 2 else exc.row
    return DataError(exc.detail, file=exc.file, column=exc.column, row=row)


def _column(table: pa.Table | pa.RecordBatch, index: int) -> pa.ChunkedArray:
    col = table.column(index)
    return col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])


def _float_values(col: pa.ChunkedArray, name: str, label: str, first_row: int) -> np.ndarray:
    """The column's values as float32/float64 numbers (nulls and text refused)."""
    kind = col.type
    if (pa.types.is_float32(kind) or pa.types.is_float64(kind)) and not col.null_count:
        return col.to_numpy()
    try:
        return numeric_column(col, name, label)
    except DataError as exc:
        raise _shifted(exc, first_row) from None


def table_chunk(
    table: pa.Table | pa.RecordBatch,
    features: Sequence[str],
    label: str,
    first_row: int = 0,
) -> Chunk:
    """Validate one block of rows of ``label`` (data rows from ``first_row``, 0-based) with the
    loader's rules and return it as a :class:`Chunk` in ``features`` order.

    Refused, with the file, column and line (header = line 1, data row ``r`` = line ``r + 2``):
    duplicate / empty / missing / extra column names, empty cells, text, non-integer ids, NaN
    and infinite scores. Duplicate ids are only found within the chunk here; across chunks the
    caller keeps an :class:`~mewo_core.predict.ids.IdRegistry`.
    """
    names = check_header(list(table.column_names), label)
    check_columns(names, features, label)
    first_line = first_row + 2
    pos = {n: i for i, n in enumerate(names)}
    ids = _float_values(_column(table, pos[ID_COLUMN]), ID_COLUMN, label, first_row)
    ids = check_ids(np.asarray(ids, dtype=np.float64), label, first_line)
    X = np.empty((table.num_rows, len(features)), dtype=np.float32)
    for j, name in enumerate(features):
        values = _float_values(_column(table, pos[name]), name, label, first_row)
        if not np.isfinite(values).all():
            check_finite(values[:, None], [name], label, first_line)
        X[:, j] = values  # float64 -> float32 rounds exactly as load_xy's cast does
    return Chunk(ids=ids, X=X, source=label, first_row=first_row)


class BlockAligner:
    """Regroup a file's chunks into whole score blocks of the model, counted from the file's
    start (``DecisionModel.score_block``), so that chunked scoring gives the in-memory path's
    bits whatever the chunk size. Chunks whose rows already start and end on block bounds pass
    through uncopied; a model without a block size takes every chunk as it comes.

    ``push(chunk)`` returns the chunks ready to score; ``flush()`` the rest (call it at the end
    of each file, or let the next file's first chunk do it).
    """

    def __init__(self, block: int | None) -> None:
        self.block = block
        self._pending: list[Chunk] = []

    def push(self, chunk: Chunk) -> list[Chunk]:
        if self.block is None:
            return [chunk]
        ready = []
        if self._pending and self._pending[0].source != chunk.source:
            ready = self.flush()
        pending = [*self._pending, chunk]
        rows = sum(c.n_rows for c in pending)
        whole = rows // self.block * self.block
        if len(pending) == 1 and whole == rows:
            self._pending = []
            return [*ready, chunk]
        if whole == 0:
            self._pending = pending
            return ready
        merged = _concat(pending)  # starts on a block bound: a file's row 0 or a remainder
        self._pending = [_rows(merged, whole, rows)] if whole < rows else []
        return [*ready, _rows(merged, 0, whole)]

    def flush(self) -> list[Chunk]:
        """The pending rows of the current file (its last, partial block)."""
        pending, self._pending = self._pending, []
        return [_concat(pending)] if pending else []


def _concat(chunks: list[Chunk]) -> Chunk:
    if len(chunks) == 1:
        return chunks[0]
    return Chunk(
        ids=np.concatenate([c.ids for c in chunks]),
        X=np.concatenate([c.X for c in chunks]),
        source=chunks[0].source,
        first_row=chunks[0].first_row,
    )


def _rows(chunk: Chunk, start: int, stop: int) -> Chunk:
    return Chunk(
        ids=chunk.ids[start:stop],
        X=chunk.X[start:stop],
        source=chunk.source,
        first_row=chunk.first_row + start,
    )
