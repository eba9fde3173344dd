"""Correlations between scores and between labels, ordered by class and category.

The seed report shows four views: intra-class and inter-class correlations of the tagger's
scores and of the labels. Here a :class:`Matrix` holds a square matrix with its columns sorted
by class, then category; :meth:`Matrix.block` cuts one class pair out of it (at most a few
thousand cells, small enough to draw), :meth:`Matrix.by_category` averages it per category pair
for an overview, co-occurrence lift compares how often two tags appear together with chance,
and :func:`strongest_pairs` lists the largest values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data.taxonomy import CLASSES
from .subsample import evenly

MAX_ROWS = 50_000  # rows used for a correlation matrix (an evenly spaced subsample beyond)


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


@dataclass(frozen=True)
class Matrix:
    """A square matrix over named columns sorted by class and category."""

    values: np.ndarray
    names: tuple[str, ...]
    classes: tuple[str, ...]
    categories: tuple[str, ...]
    kind: str  # e.g. "score correlation", "label correlation", "lift"

    def class_names(self) -> list[str]:
        return list(dict.fromkeys(self.classes))

    def block(self, row_class: str, col_class: str) -> Block:
        """The rows of ``row_class`` against the columns of ``col_class``."""
        r = np.flatnonzero(np.asarray(self.classes) == row_class)
        c = np.flatnonzero(np.asarray(self.classes) == col_class)
        return Block(
            values=self.values[np.ix_(r, c)],
            row_names=tuple(self.names[i] for i in r),
            row_categories=tuple(self.categories[i] for i in r),
            col_names=tuple(self.names[i] for i in c),
            col_categories=tuple(self.categories[i] for i in c),
            kind=self.kind,
        )

    def by_category(self) -> pd.DataFrame:
        """Mean off-diagonal value per (category, category) pair, categories in matrix order."""
        cats = list(dict.fromkeys(self.categories))
        idx = {c: np.flatnonzero(np.asarray(self.categories) == c) for c in cats}
        values = self.values.astype(np.float64).copy()
        np.fill_diagonal(values, np.nan)
        out = np.full((len(cats), len(cats)), np.nan)
        for i, a in enumerate(cats):
            for j, b in enumerate(cats):
                cell = values[np.ix_(idx[a], idx[b])]
                if np.isfinite(cell).any():
                    out[i, j] = np.nanmean(cell)
        return pd.DataFrame(out, index=cats, columns=cats)


@dataclass(frozen=True)
class Block:
    """A rectangular cut of a :class:`Matrix`: one class's rows against another's columns."""

    values: np.ndarray
    row_names: tuple[str, ...]
    row_categories: tuple[str, ...]
    col_names: tuple[str, ...]
    col_categories: tuple[str, ...]
    kind: str


def correlation(
    values: np.ndarray,
    names: Sequence[str],
    classes: Sequence[str],
    categories: Sequence[str],
    kind: str,
    max_rows: int = MAX_ROWS,
) -> Matrix:
    """Pearson correlation of the columns of ``values``; constant columns get 0 (not NaN)."""
    order = taxonomy_order(names, classes, categories)
    values = np.asarray(values)
    x = values[evenly(values.shape[0], max_rows)][:, order].astype(np.float64)
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
    from a handful of tracks is noise).
    """
    order = taxonomy_order(names, classes, categories)
    y = np.asarray(labels)[:, order].astype(np.float32)
    n = y.shape[0]
    both = y.T @ y
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
    )


def strongest_pairs(matrix: Matrix, top: int = 20, *, by_abs: bool = True) -> pd.DataFrame:
    """The ``top`` pairs (a < b) with the largest values (absolute values if ``by_abs``)."""
    v = matrix.values.astype(np.float64)
    iu = np.triu_indices(v.shape[0], k=1)
    vals = v[iu]
    keep = np.isfinite(vals)
    rows, cols, vals = iu[0][keep], iu[1][keep], vals[keep]
    key = np.abs(vals) if by_abs else vals
    pick = np.argsort(-key, kind="stable")[:top]
    a, b = rows[pick], cols[pick]
    return pd.DataFrame(
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
