"""Correlations between scores and between labels, ordered by class and category.

The seed report shows four views: intra-class and inter-class correlations of the tagger's
scores and of the labels. Here a :class:`Matrix` holds a square matrix with its columns sorted
by class, then category, and (from labels) the co-occurrence counts of every pair;
:meth:`Matrix.block` cuts one class pair out of it (or all of it, :data:`ALL`),
:meth:`Matrix.at_least` blanks the pairs seen together fewer than a minimum number of times,
:meth:`Matrix.log2` puts lift on the log2 scale the page uses everywhere, :meth:`Block.by_category`
averages a block per category pair for an overview, and :func:`strongest_pairs` lists the largest
values of a class pair with their counts. :func:`color_limit` sets a colour scale from the
off-diagonal cells, so the diagonal (1, or a tag's self-lift) does not flatten it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .dataset import Dataset, columns_or_neg_inf
from .subsample import evenly
from .taxonomy import CLASSES

MAX_ROWS = 50_000  # rows used for a correlation matrix (an evenly spaced subsample beyond)
ALL = "all classes"  # the class "name" that selects every tag in :meth:`Matrix.block`


def taxonomy_order(
    names: Sequence[str], classes: Sequence[str], categories: Sequence[str]
) -> np.ndarray:
    """Column order grouping by class (genres, instruments, moods, others), then category."""
    rank = {c: i for i, c in enumerate(CLASSES)}
    keys = [
        (rank.get(c, len(rank)), c, cat, i)
        for i, (c, cat) in enumerate(zip(classes, categories, strict=True))
    ]
    return np.array([k[-1] for k in sorted(keys)], dtype=np.int64)


# Rows per product: float32 sums of at most 2**24 zeros/ones are exact; 2**14 rows of 248 tags
# fill a 16 MB buffer reused from block to block (a fresh 65 MB copy per block of 2**16 rows took
# 0.47 s of the 0.82 s at 1M demo tracks; 0.60 s in all with the buffer, one run each)
_BLOCK_ROWS = 1 << 14


def co_occurrence(labels: np.ndarray) -> np.ndarray:
    """Tracks carrying both tags, for every pair of columns (diagonal: a tag's positives).

    Exact: float32 products over blocks of :data:`_BLOCK_ROWS` rows, added up as integers, so
    that no float64 copy of the whole label matrix is made (1M x 248 would be 2 GB)."""
    y = np.asarray(labels)
    both = np.zeros((y.shape[1], y.shape[1]), dtype=np.int64)
    buffer = np.empty((min(_BLOCK_ROWS, y.shape[0]), y.shape[1]), dtype=np.float32)
    for start in range(0, y.shape[0], _BLOCK_ROWS):
        rows = y[start:start + _BLOCK_ROWS]
        block = buffer[: rows.shape[0]]
        np.copyto(block, rows, casting="safe")
        both += np.rint(block.T @ block).astype(np.int64)
    return both


@dataclass(frozen=True)
class Matrix:
    """A square matrix over named columns sorted by class and category.

    ``counts`` (same shape, from labels; ``None`` without them): tracks carrying both tags.
    """

    values: np.ndarray
    names: tuple[str, ...]
    classes: tuple[str, ...]
    categories: tuple[str, ...]
    kind: str  # e.g. "score correlation", "label correlation", "lift", "log2 lift"
    counts: np.ndarray | None = None
    #: (rows the values were computed on, rows of the data): a correlation of more than
    #: :data:`MAX_ROWS` tracks is computed on an evenly spaced sample of them; None: all rows.
    sample: tuple[int, int] | None = None

    def class_names(self) -> list[str]:
        return list(dict.fromkeys(self.classes))

    def _index(self, cls: str) -> np.ndarray:
        if cls == ALL:
            return np.arange(len(self.names))
        return np.flatnonzero(np.asarray(self.classes) == cls)

    def with_counts(self, other: Matrix) -> Matrix:
        """This matrix with ``other``'s co-occurrence counts (same tags, same order)."""
        if other.names != self.names:
            raise ValueError("the two matrices have different tags or order")
        return replace(self, counts=other.counts)

    def at_least(self, min_count: int) -> Matrix:
        """Pairs seen together on fewer than ``min_count`` tracks blanked (NaN); the diagonal is
        kept. Needs ``counts`` unless ``min_count <= 0``."""
        if min_count <= 0:
            return self
        if self.counts is None:
            raise ValueError("no co-occurrence counts (the data has no labels)")
        values = self.values.astype(np.float64).copy()
        low = self.counts < min_count
        np.fill_diagonal(low, False)
        values[low] = np.nan
        return replace(self, values=values)

    def log2(self) -> Matrix:
        """A lift matrix on the log2 scale (0 = chance, +1 = twice as often, -inf = never)."""
        if self.kind != "lift":
            raise ValueError(f"log2 applies to lift, not to {self.kind}")
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log2(self.values.astype(np.float64))
        return replace(self, values=values, kind="log2 lift")

    def block(self, row_class: str, col_class: str) -> Block:
        """The rows of ``row_class`` against the columns of ``col_class`` (:data:`ALL`: every
        tag)."""
        r, c = self._index(row_class), self._index(col_class)
        return Block(
            values=self.values[np.ix_(r, c)],
            row_names=tuple(self.names[i] for i in r),
            row_categories=tuple(self.categories[i] for i in r),
            col_names=tuple(self.names[i] for i in c),
            col_categories=tuple(self.categories[i] for i in c),
            kind=self.kind,
            counts=None if self.counts is None else self.counts[np.ix_(r, c)],
        )

    def by_category(self) -> pd.DataFrame:
        """Mean off-diagonal value per (category, category) pair, categories in matrix order."""
        return self.block(ALL, ALL).by_category()


@dataclass(frozen=True)
class Block:
    """A rectangular cut of a :class:`Matrix`: one class's rows against another's columns."""

    values: np.ndarray
    row_names: tuple[str, ...]
    row_categories: tuple[str, ...]
    col_names: tuple[str, ...]
    col_categories: tuple[str, ...]
    kind: str
    counts: np.ndarray | None = None

    def same_tag(self) -> np.ndarray:
        """Cells pairing a tag with itself (the matrix's diagonal inside this block)."""
        return np.asarray(self.row_names)[:, None] == np.asarray(self.col_names)[None, :]

    def masked(self) -> np.ndarray:
        """The values (float64) with a tag's cell against itself blanked (NaN)."""
        values = self.values.astype(np.float64).copy()
        values[self.same_tag()] = np.nan
        return values

    def by_category(self) -> pd.DataFrame:
        """Mean finite value per (row category, column category), a tag against itself
        excluded; categories in matrix order."""
        values = self.masked()
        values[~np.isfinite(values)] = np.nan
        rows = list(dict.fromkeys(self.row_categories))
        cols = list(dict.fromkeys(self.col_categories))
        ri = {c: np.flatnonzero(np.asarray(self.row_categories) == c) for c in rows}
        ci = {c: np.flatnonzero(np.asarray(self.col_categories) == c) for c in cols}
        out = np.full((len(rows), len(cols)), np.nan)
        for i, a in enumerate(rows):
            for j, b in enumerate(cols):
                cell = values[np.ix_(ri[a], ci[b])]
                if np.isfinite(cell).any():
                    out[i, j] = np.nanmean(cell)
        return pd.DataFrame(out, index=rows, columns=cols)


def color_limit(values: np.ndarray, quantile: float = 0.99, floor: float = 1e-6) -> float:
    """A symmetric colour limit (``zmin = -limit``, ``zmax = limit``): the ``quantile`` of the
    finite absolute values (pass them with the diagonal masked, e.g. :meth:`Block.masked`)."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v)]
    if not v.size:
        return 1.0
    return max(float(np.quantile(v, quantile)), floor)


def correlation(
    values: np.ndarray,
    names: Sequence[str],
    classes: Sequence[str],
    categories: Sequence[str],
    kind: str,
    max_rows: int = MAX_ROWS,
    n_rows: int | None = None,
) -> Matrix:
    """Pearson correlation of the columns of ``values``; constant columns get 0 (not NaN).

    On more than ``max_rows`` rows, computed on an evenly spaced sample of them (recorded in
    :attr:`Matrix.sample`; ``n_rows``: the data's rows when ``values`` is already that sample)."""
    order = taxonomy_order(names, classes, categories)
    values = np.asarray(values)
    total = values.shape[0] if n_rows is None else n_rows
    rows = evenly(values.shape[0], max_rows)
    x = values[rows][:, order].astype(np.float64)
    x = np.where(np.isfinite(x), x, 0.0)
    x -= x.mean(axis=0)
    norm = np.sqrt((x * x).sum(axis=0))
    ok = norm > 0
    x[:, ok] /= norm[ok]
    corr = x.T @ x
    corr[~ok, :] = 0.0
    corr[:, ~ok] = 0.0
    np.fill_diagonal(corr, 1.0)
    return Matrix(
        values=np.clip(corr, -1.0, 1.0).astype(np.float32),
        names=tuple(names[i] for i in order),
        classes=tuple(classes[i] for i in order),
        categories=tuple(categories[i] for i in order),
        kind=kind,
        sample=(rows.size, total) if rows.size < total else None,
    )


def lift(
    labels: np.ndarray,
    names: Sequence[str],
    classes: Sequence[str],
    categories: Sequence[str],
    min_count: int = 20,
    min_pair: int = 0,
) -> Matrix:
    """Co-occurrence lift P(a and b) / (P(a) P(b)), NaN for tags under ``min_count`` positives.

    Above 1: the tags go together more often than chance; below 1: they avoid each other.
    Pairs seen together fewer than ``min_pair`` times are NaN too (for ranking pairs: a lift
    from a handful of tracks is noise). The matrix carries the co-occurrence ``counts``.
    """
    order = taxonomy_order(names, classes, categories)
    n = np.asarray(labels).shape[0]
    # counted in the labels' own column order, then reordered: the same integers, without a
    # column-permuted copy of the labels (1.4 s at 800,000 x 248)
    both = co_occurrence(labels)[np.ix_(order, order)]
    count = np.diag(both).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = n * both / np.outer(count, count)
    rare = count < min_count
    values[rare, :] = np.nan
    values[:, rare] = np.nan
    values[both < min_pair] = np.nan
    return Matrix(
        values=values.astype(np.float32),
        names=tuple(names[i] for i in order),
        classes=tuple(classes[i] for i in order),
        categories=tuple(categories[i] for i in order),
        kind="lift",
        counts=both,
    )


def strongest_pairs(
    matrix: Matrix,
    top: int = 20,
    *,
    by_abs: bool = True,
    row_class: str = ALL,
    col_class: str = ALL,
) -> pd.DataFrame:
    """The ``top`` pairs (a < b) with the largest values (absolute values if ``by_abs``).

    Only pairs with one tag in ``row_class`` and the other in ``col_class`` (:data:`ALL`: any);
    ``tag_a`` is the one of ``row_class``. With counts, ``both`` (tracks carrying the two tags),
    ``positives_a`` and ``positives_b`` come beside the value.
    """
    v = matrix.values.astype(np.float64)
    iu = np.triu_indices(v.shape[0], k=1)
    vals = v[iu]
    cls = np.asarray(matrix.classes)
    in_row = (cls == row_class) if row_class != ALL else np.ones(len(cls), bool)
    in_col = (cls == col_class) if col_class != ALL else np.ones(len(cls), bool)
    straight = in_row[iu[0]] & in_col[iu[1]]
    swapped = in_row[iu[1]] & in_col[iu[0]] & ~straight
    keep = np.isfinite(vals) & (straight | swapped)
    rows = np.where(swapped, iu[1], iu[0])[keep]
    cols = np.where(swapped, iu[0], iu[1])[keep]
    vals = vals[keep]
    key = np.abs(vals) if by_abs else vals
    pick = np.argsort(-key, kind="stable")[:top]
    a, b = rows[pick], cols[pick]
    out = pd.DataFrame(
        {
            "tag_a": [matrix.names[i] for i in a],
            "category_a": [matrix.categories[i] for i in a],
            "tag_b": [matrix.names[i] for i in b],
            "category_b": [matrix.categories[i] for i in b],
            "same_class": [
                matrix.classes[i] == matrix.classes[j] for i, j in zip(a, b, strict=True)
            ],
            matrix.kind: vals[pick],
        }
    )
    if matrix.counts is not None:
        out["both"] = matrix.counts[a, b]
        out["positives_a"] = matrix.counts[a, a]
        out["positives_b"] = matrix.counts[b, b]
    return out


#: The views every caller (the Correlations page, ``Session.correlations``, the CLI) builds.
VIEWS = ("scores", "labels", "lift")
#: Per view, the minimum co-occurrence below which a pair is blank and not ranked: the page's
#: starting value and the CLI's default (``--min-pair``).
DEFAULT_MIN_PAIR = {"scores": 0, "labels": 0, "lift": 10}


def view_matrix(data: Dataset, view: str, lift_matrix: Matrix | None = None) -> Matrix:
    """The ``view`` matrix of ``data``'s tags, every pair kept, with co-occurrence counts when
    the data has labels (so :meth:`Matrix.at_least` can blank rare pairs): the one builder.
    ``lift_matrix``: the data's lift view when already built (its counts are reused)."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    names, classes, cats = data.tag_names, data.tag_classes, data.tag_categories
    if view == "lift":
        return lift(data.require_labels(), names, classes, cats)
    kind = "score correlation" if view == "scores" else "label correlation"
    rows = evenly(data.n_tracks, MAX_ROWS)  # the sample first: no copy of all the scores
    if view == "scores":
        values = columns_or_neg_inf(data.X, data.tag_feature_index, rows=rows)
    else:
        values = data.require_labels()[rows]
    matrix = correlation(values, names, classes, cats, kind, n_rows=data.n_tracks)
    if data.Y is None:
        return matrix
    if lift_matrix is None:
        lift_matrix = lift(data.require_labels(), names, classes, cats)
    return matrix.with_counts(lift_matrix)
