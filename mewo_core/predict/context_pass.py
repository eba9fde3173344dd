"""``predict`` for a model with a group context (:mod:`mewo_core.models.context`): two passes.

The first pass reads the input once and sums each group's scores (exact fixed-point sums, so
the order of chunks does not matter); the second blends each chunk with its rows' group means
before deciding it. Decisions equal ``model.predict`` on the whole file with its groups, bit
for bit. Memory: the groups file's ids and codes (16 bytes per track) and one int64 sum per
(group, feature) — about 2.3 KB per album at 289 features — besides the chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.tables import ID_COLUMN, read_table
from ..errors import DataError
from ..models.base import DecisionModel
from ..models.context import LEVELS, forward, group_sums, means_of_sums, mix
from .chunks import Chunk
from .sources import Reader


def groups_required(column: str, whose: str = "its group's", file: str | None = None) -> DataError:
    """The error of a group-context model given no groups file (``whose``: what it blends)."""
    return DataError(
        f"this model blends each track's scores with {whose}, so predict needs the tracks' "
        f"groups: give --groups FILE (ChallengeID and {column}, e.g. the data folder's "
        "groups.csv), or use a model trained with --context none",
        file=file,
    )


class GroupTable:
    """Each track's group code at one level, from a groups file (``ChallengeID`` + columns,
    CSV or Parquet, e.g. a data folder's ``groups.csv``)."""

    def __init__(self, path: str | Path, column: str) -> None:
        label = Path(path).name
        if not Path(path).is_file():
            raise DataError("no such groups file", file=str(path))
        frame = read_table(path, label)
        if column not in frame.columns:
            raise DataError(
                f"no '{column}' column (the model blends each track with its group at that "
                f"level); columns: {', '.join(frame.columns)}",
                file=label,
                row=1,
            )
        self.label = label
        self.column = column
        self._index = pd.Index(frame[ID_COLUMN].to_numpy())
        codes, uniques = pd.factorize(frame[column].to_numpy())
        self.codes = codes.astype(np.int64)
        self.n_groups = int(len(uniques))

    def codes_of(self, chunk: Chunk) -> np.ndarray:
        """The group code of each row of ``chunk``; a track missing from the file is an error."""
        pos = self._index.get_indexer(chunk.ids)
        if (pos < 0).any():
            bad = int(np.flatnonzero(pos < 0)[0])
            raise DataError(
                f"track {int(chunk.ids[bad])} (line {chunk.first_row + bad + 2} of "
                f"{chunk.source}) has no row in {self.label}",
                file=self.label,
                column=ID_COLUMN,
            )
        return self.codes[pos]


class ContextPass:
    """The group sums of a whole input for ``model``'s context, and the blend of its chunks.

    ``groups``: the groups file (required when the model's context is on); or give ``table``,
    an already read :class:`GroupTable`, and set :attr:`means` from elsewhere (the Dask
    engine's workers).
    """

    def __init__(
        self, model: DecisionModel, groups: str | Path | None, table: GroupTable | None = None
    ) -> None:
        ctx = model.context_
        if ctx is None or not model.uses_context:
            raise ValueError("the model has no active group context")
        column = LEVELS[ctx.level]
        if groups is None and table is None:
            raise groups_required(column, f"its {ctx.level}'s (weight {ctx.alpha_:g})")
        self.alpha = ctx.alpha_
        self.logit_columns = ctx.logit_columns_
        self.table = table if table is not None else GroupTable(groups, column)  # type: ignore[arg-type]
        self.n_features = len(model.feature_names_)
        self.sums: np.ndarray | None = None  # allocated by the first add
        self.counts = np.zeros(self.table.n_groups, dtype=np.int64)
        self.means: np.ndarray | None = None

    def add(self, chunk: Chunk) -> None:
        """First pass: add ``chunk``'s rows to their groups' sums."""
        local, counts, sums = self.chunk_sums(chunk)
        self.add_sums(local, counts, sums)

    def chunk_sums(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group codes present in ``chunk``, their row counts, their fixed-point sums)."""
        present, inverse = np.unique(self.table.codes_of(chunk), return_inverse=True)
        sums, counts = group_sums(forward(chunk.X, self.logit_columns), inverse.reshape(-1))
        return present, counts, sums

    def add_sums(self, codes: np.ndarray, counts: np.ndarray, sums: np.ndarray) -> None:
        """Add partial sums (from :meth:`chunk_sums`, here or on a worker) of groups ``codes``."""
        if self.sums is None:
            self.sums = np.zeros((self.table.n_groups, self.n_features), dtype=np.int64)
        self.sums[codes] += sums  # codes are distinct within one partial sum
        self.counts[codes] += counts

    def read(self, reader: Reader, progress: Callable[[int, Reader], None] | None = None) -> None:
        """The first pass over every chunk of ``reader`` (``progress(rows read, reader)``)."""
        rows = 0
        for chunk in reader.chunks():
            self.add(chunk)
            rows += chunk.n_rows
            if progress is not None:
                progress(rows, reader)
        self.finish()

    def finish(self) -> None:
        """The group means from the sums added so far (the end of the first pass)."""
        if self.sums is None:
            self.sums = np.zeros((self.table.n_groups, self.n_features), dtype=np.int64)
        self.means = means_of_sums(self.sums, self.counts)
        self.sums = None

    def blended(self, chunk: Chunk) -> Chunk:
        """Second pass: ``chunk`` with its scores blended with their groups' means."""
        if self.means is None:
            raise RuntimeError("read the whole input first")
        codes = self.table.codes_of(chunk)
        X = mix(forward(chunk.X, self.logit_columns), self.means[codes], self.alpha,
                self.logit_columns, chunk.X.dtype)
        return Chunk(chunk.ids, X, chunk.source, chunk.first_row)
