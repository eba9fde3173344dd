"""Datasets in the challenge's shape: x (scores) and y (labels) matched by ``ChallengeID``.

Tags are the columns of y; x columns absent from y are extra input features (category scores).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import DataError, preview
from .tables import ID_COLUMN
from .taxonomy import Taxonomy

_GATHER_ROWS = 4096  # rows per block when gathering columns of a matrix not in C order


def columns_or_neg_inf(
    X: np.ndarray, index: np.ndarray, fill: float = -np.inf, rows: np.ndarray | None = None
) -> np.ndarray:
    """``X[:, index]`` (tag-aligned scores), with ``fill`` (-inf: never above a threshold) in the
    columns whose index is -1 (no such column); ``rows``: of these rows only (no copy of the
    others, nor of the other columns)."""
    index = np.asarray(index)
    columns = np.maximum(index, 0)
    if rows is not None:
        out = X[np.ix_(np.asarray(rows), columns)]
    elif X.flags.c_contiguous:
        out = np.take(X, columns, axis=1)  # X[:, ...], faster
    else:  # e.g. Fortran order: by blocks of rows, which stay in cache (about 2x faster at 1M)
        out = np.empty((X.shape[0], columns.size), dtype=X.dtype)
        for start in range(0, X.shape[0], _GATHER_ROWS):
            np.take(X[start : start + _GATHER_ROWS], columns, axis=1,
                    out=out[start : start + _GATHER_ROWS])  # fmt: skip
    if (index < 0).any():
        out[:, index < 0] = fill
    return out


def row_max(X: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Each row's highest tag-aligned score: ``columns_or_neg_inf(X, index).max(axis=1)``
    (-inf without any score column), without a tracks x tags copy: column by column when ``X``
    is in Fortran order, else by blocks of rows gathered into one small buffer."""
    index = np.asarray(index)
    columns = np.unique(index[index >= 0])
    if columns.size == 0:
        return np.full(X.shape[0], -np.inf, dtype=X.dtype)
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        out = X[:, columns[0]].copy()
        for c in columns[1:]:
            np.maximum(out, X[:, c], out=out)
        return out
    out = np.empty(X.shape[0], dtype=X.dtype)
    buffer = np.empty((min(_GATHER_ROWS, X.shape[0]), columns.size), dtype=X.dtype)
    for start in range(0, X.shape[0], _GATHER_ROWS):
        rows = X[start : start + _GATHER_ROWS]
        block = buffer[: rows.shape[0]]
        np.take(rows, columns, axis=1, out=block)
        block.max(axis=1, out=out[start : start + rows.shape[0]])
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """Scores ``X`` (float32, tracks x features) and labels ``Y`` (uint8, tracks x tags).

    ``Y`` is ``None`` for unlabelled data (prediction only). ``groups`` holds one column per
    grouping (album_id, artist_id…) aligned with the rows, or is ``None``.
    """

    X: np.ndarray
    Y: np.ndarray | None
    ids: np.ndarray
    feature_names: tuple[str, ...]
    tag_names: tuple[str, ...]
    taxonomy: Taxonomy
    groups: pd.DataFrame | None = None
    name: str = "dataset"
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_tracks(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_tags(self) -> int:
        return len(self.tag_names)

    @cached_property
    def tag_feature_index(self) -> np.ndarray:
        """Position in ``X`` of each tag's own score column, -1 when x has none."""
        pos = {f: i for i, f in enumerate(self.feature_names)}
        return np.array([pos.get(t, -1) for t in self.tag_names], dtype=np.int64)

    @cached_property
    def extra_feature_index(self) -> np.ndarray:
        """Positions in ``X`` of the features that are not tag scores (category scores)."""
        tags = set(self.tag_names)
        return np.array(
            [i for i, f in enumerate(self.feature_names) if f not in tags], dtype=np.int64
        )

    def tag_scores(self) -> np.ndarray:
        """Scores aligned with the tags (tracks x tags); a tag without a score column gets -inf."""
        return columns_or_neg_inf(self.X, self.tag_feature_index)

    @property
    def tag_classes(self) -> tuple[str, ...]:
        return self.taxonomy.subset(self.tag_names).classes

    @property
    def tag_categories(self) -> tuple[str, ...]:
        return self.taxonomy.subset(self.tag_names).categories

    def require_labels(self) -> np.ndarray:
        if self.Y is None:
            raise DataError("this data has no labels (y file)", file=self.name)
        return self.Y

    def subset(self, rows: np.ndarray, name: str | None = None) -> Dataset:
        """The rows ``rows`` (indices or a boolean mask) as a new dataset."""
        rows = np.asarray(rows)
        if rows.dtype == bool:  # indices gather a Fortran-ordered matrix about 4x faster
            if rows.shape != (self.n_tracks,):
                raise ValueError(f"a mask of {rows.shape} for {self.n_tracks} tracks")
            rows = np.flatnonzero(rows)
        groups = None if self.groups is None else self.groups.iloc[rows].reset_index(drop=True)
        return replace(
            self,
            X=self.X[rows],
            Y=None if self.Y is None else self.Y[rows],
            ids=self.ids[rows],
            groups=groups,
            name=name or self.name,
        )

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of ids, names, scores and labels: the identity of this data."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.feature_names).encode())
        h.update(b"\x1e")
        h.update("\x1f".join(self.tag_names).encode())
        for array in (self.ids, self.X) + (() if self.Y is None else (self.Y,)):
            _hash_c_order(h, array)
        return h.hexdigest()[:16]

    def labels_frame(self, decisions: np.ndarray | None = None) -> pd.DataFrame:
        """``ChallengeID`` + one 0/1 column per tag (the challenge's y shape)."""
        values = self.require_labels() if decisions is None else decisions
        frame = pd.DataFrame(np.asarray(values, dtype=np.uint8), columns=list(self.tag_names))
        frame.insert(0, ID_COLUMN, self.ids)
        return frame


def _hash_c_order(h: hashlib._Hash, array: np.ndarray, rows: int = 4096) -> None:
    """Feed ``array``'s bytes in C order to ``h``, a block of ``rows`` rows at a time: the
    digest of the whole array's C-order bytes without copying it (a Fortran-ordered matrix of a
    million tracks is transposed block by block)."""
    array = np.asarray(array)
    if array.ndim < 2 or array.flags.c_contiguous:
        h.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        return
    for start in range(0, array.shape[0], rows):
        h.update(np.ascontiguousarray(array[start : start + rows]).reshape(-1).view(np.uint8))


@dataclass(frozen=True, eq=False)
class DataBundle:
    """The train data and, when given, the test data of one folder."""

    train: Dataset
    test: Dataset | None
    folder: str = ""


def check_same_columns(reference: Dataset, other: Dataset) -> None:
    """Refuse data whose features or tags differ from the reference's, naming the differences."""
    for kind, ref, got in (
        ("feature", reference.feature_names, other.feature_names),
        ("tag", reference.tag_names, other.tag_names),
    ):
        if ref == got:
            continue
        missing = [c for c in ref if c not in set(got)]
        extra = [c for c in got if c not in set(ref)]
        parts = []
        if missing:
            parts.append(f"missing {kind}s: {preview(missing)}")
        if extra:
            parts.append(f"extra {kind}s: {preview(extra)}")
        if not parts:
            parts.append(f"{kind} columns are in another order")
        raise DataError(
            f"{kind} columns differ from {reference.name}: " + "; ".join(parts), file=other.name
        )


def align_columns(reference_features: tuple[str, ...], data: Dataset) -> Dataset:
    """``data`` with its features reordered like ``reference_features`` (missing ones refused)."""
    if data.feature_names == reference_features:
        return data
    pos = {f: i for i, f in enumerate(data.feature_names)}
    missing = [f for f in reference_features if f not in pos]
    if missing:
        raise DataError(
            f"missing feature columns: {preview(missing)}",
            file=data.name,
        )
    idx = [pos[f] for f in reference_features]
    return replace(data, X=data.X[:, idx], feature_names=tuple(reference_features))

