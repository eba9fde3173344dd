"""Group-bootstrap intervals for F1 figures and for paired differences between two decision sets.

Tracks of one album or artist share a production and a tagger's quirks, so they are not
independent draws: the bootstrap resamples whole **groups** (the split's group column; each
track its own group when there is none). Counts are summed per group once
(:func:`group_counts`); a replicate draws ``G`` groups with replacement, i.e. a vector of
multiplicities ``w`` (``G`` integers summing to ``G``), and its counts are ``w @ counts``: one
matrix product for all replicates (float32, exact for integer counts below 2**24).

Both sides of a comparison are counted on the **same** resampled groups (paired), so the
interval of a difference reflects the noise of the difference, not of each figure alone; two
identical decision sets give a difference of exactly 0 in every replicate. Intervals are
percentile intervals at ``level``; everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .counts import as_binary
from .metrics import f1_from_counts, safe_ratio

__all__ = [
    "GroupCounts",
    "Replicates",
    "bootstrap",
    "excludes_zero",
    "group_counts",
    "joint_units",
    "percentile_interval",
    "resampling_units",
]

_CHUNK = 256  # replicates per matrix product (bounds memory on track-level groups)
#: Without groups, more tracks than this are resampled in this many seeded random blocks: under
#: the track bootstrap's own assumption (independent tracks) a random block of tracks is as
#: independent as one track, and the product stays small (17,000 tracks: about 8x faster).
TRACK_BLOCKS = 2048


@dataclass(frozen=True)
class GroupCounts:
    """Per group (rows, ``G``) the per-tag counts of ``S`` decision sets against one set of labels.

    ``true`` (G, T); ``tp`` and ``pred`` (S, G, T); ``row_f1`` (S, G): the sum of the tracks'
    own F1 (the ``samples`` average's terms); ``rows`` (G,): tracks per group.
    """

    true: np.ndarray
    tp: np.ndarray
    pred: np.ndarray
    row_f1: np.ndarray
    rows: np.ndarray

    @property
    def n_groups(self) -> int:
        return int(self.rows.size)

    @property
    def n_sides(self) -> int:
        return int(self.tp.shape[0])

    def take(self, groups: slice | np.ndarray) -> GroupCounts:
        """The counts of some of the groups (a slice or an index array of them)."""
        return GroupCounts(self.true[groups], self.tp[:, groups], self.pred[:, groups],
                           self.row_f1[:, groups], self.rows[groups])  # fmt: skip

    def merged(self, codes: np.ndarray) -> GroupCounts:
        """The counts of coarser groups: group ``g`` goes into ``codes[g]`` (``0 .. K-1``, every
        code used), so counts taken once at a fine partition give every coarser one."""
        codes = np.asarray(codes).reshape(-1)
        if codes.size != self.n_groups:
            raise ValueError(f"{codes.size} codes for {self.n_groups} groups")
        k = int(codes.max()) + 1
        total = _summer(codes, self.n_groups, integer=True)
        return GroupCounts(
            true=total(self.true),
            tp=np.stack([total(side) for side in self.tp]),
            pred=np.stack([total(side) for side in self.pred]),
            row_f1=np.stack([np.bincount(codes, weights=side, minlength=k)
                             for side in self.row_f1]),  # fmt: skip
            rows=np.bincount(codes, weights=self.rows, minlength=k).astype(np.int64),  # exact
        )


def joint_units(*partitions: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The finest partition of tracks that every one of ``partitions`` (codes ``0 .. K-1`` per
    track) is a union of: (its code per track, and per partition the code of each of its
    units), so that ``group_counts(..., units=codes).merged(maps[i])`` counts partition ``i``."""
    if not partitions:
        raise ValueError("at least one partition is needed")
    parts = [np.asarray(p, dtype=np.int64).reshape(-1) for p in partitions]
    sizes = [int(p.max()) + 1 if p.size else 1 for p in parts]
    if int(np.prod([float(z) for z in sizes])) >= 2**62:  # keys would overflow: compare rows
        units, codes = np.unique(np.stack(parts), axis=1, return_inverse=True)
        return codes.reshape(-1), list(units)
    key = parts[0].copy()
    for part, size in zip(parts[1:], sizes[1:], strict=True):
        key *= size
        key += part
    keys, codes = np.unique(key, return_inverse=True)
    maps = []
    for size in sizes[:0:-1]:
        maps.append(keys % size)
        keys = keys // size
    return codes.reshape(-1), [keys, *maps[::-1]]


def resampling_units(groups: np.ndarray | None, n: int, seed: int = 0) -> np.ndarray | None:
    """The unit each of ``n`` tracks is resampled in, as codes ``0 .. G-1`` in the order of the
    group labels: ``groups``' own groups; without groups one unit per track (None), or
    :data:`TRACK_BLOCKS` seeded random blocks of tracks when there are more tracks."""
    if groups is None:
        if n <= TRACK_BLOCKS:
            return None
        return np.random.default_rng([seed, 0xB10C]).permutation(n) % TRACK_BLOCKS
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(f"{groups.shape[0]} group labels for {n} tracks")
    _, codes = np.unique(groups, return_inverse=True)
    return codes.reshape(-1)


def _summer(
    codes: np.ndarray | None, n: int, *, integer: bool = False
) -> Callable[[np.ndarray], np.ndarray]:
    """A function summing the rows of an (n, T) matrix per unit of ``codes`` (None: one unit
    per row) into int32: one sparse integer product, exact. The rows are 0/1 (bool), or with
    ``integer`` counts (of groups) below 2**31 in every sum."""
    if codes is None:
        return lambda matrix: matrix.astype(np.int32)
    from scipy import sparse

    shape = (int(codes.max()) + 1, n)
    if integer:  # counts of groups: int32 sums
        indicator = sparse.csr_matrix((np.ones(n, dtype=np.int32), (codes, np.arange(n))), shape)
        return lambda matrix: np.asarray(indicator @ matrix.astype(np.int32, copy=False))
    # int16 sums when no unit holds more rows than int16 counts (about 2x faster than int32)
    dtype = np.int16 if np.bincount(codes).max() <= np.iinfo(np.int16).max else np.int32
    indicator = sparse.csr_matrix((np.ones(n, dtype=dtype), (codes, np.arange(n))), shape)
    return lambda matrix: np.asarray(indicator @ matrix.view(np.uint8).astype(dtype),
                                     dtype=np.int32)  # fmt: skip


def group_counts(
    labels: np.ndarray,
    decisions: Sequence[np.ndarray],
    groups: np.ndarray | None = None,
    seed: int = 0,
    *,
    units: np.ndarray | None = None,
) -> GroupCounts:
    """Per-group counts of each of ``decisions`` (tracks x tags, 0/1) against ``labels``.

    ``groups`` gives one group label per track (any hashable values); None: one group per track,
    or :data:`TRACK_BLOCKS` seeded random blocks of tracks when there are more tracks. ``units``
    (codes ``0 .. G-1`` per track, every code used) replaces ``groups``: units already drawn.
    """
    y = as_binary(labels, "labels")
    sides = [as_binary(d, "decisions") for d in decisions]
    if not sides:
        raise ValueError("at least one decision matrix is needed")
    for d in sides:
        if d.shape != y.shape:
            raise ValueError(f"decisions of shape {d.shape} for labels of shape {y.shape}")
    n = y.shape[0]
    if n == 0:
        raise ValueError("no tracks to resample")
    codes = resampling_units(groups, n, seed) if units is None else np.asarray(units)
    total = _summer(codes, n)
    rows = np.ones(n, dtype=np.int64) if codes is None else np.bincount(codes).astype(np.int64)
    row_true = y.sum(axis=1, dtype=np.int64)
    tp, pred, row_f1 = [], [], []
    for d in sides:
        both = y & d
        tp.append(total(both))
        pred.append(total(d))
        track_f1 = f1_from_counts(both.sum(axis=1, dtype=np.int64),
                                  d.sum(axis=1, dtype=np.int64), row_true)  # fmt: skip
        row_f1.append(track_f1 if codes is None else np.bincount(codes, weights=track_f1))
    return GroupCounts(
        true=total(y),
        tp=np.stack(tp),
        pred=np.stack(pred),
        row_f1=np.stack(row_f1),
        rows=rows,
    )


def _weights(rng: np.random.Generator, n_groups: int, replicates: int) -> np.ndarray:
    """(replicates, n_groups) multiplicities: ``n_groups`` draws with replacement per replicate."""
    draws = rng.integers(0, n_groups, size=(replicates, n_groups))
    draws += (np.arange(replicates) * n_groups)[:, None]
    counts = np.bincount(draws.reshape(-1), minlength=replicates * n_groups)
    return counts.reshape(replicates, n_groups).astype(np.float32)


@dataclass(frozen=True)
class Replicates:
    """Bootstrap replicates of the counts of ``S`` decision sets: ``true`` (R, T), ``tp`` and
    ``pred`` (S, R, T), ``row_f1`` (S, R), ``rows`` (R,); with how they were drawn."""

    true: np.ndarray
    tp: np.ndarray
    pred: np.ndarray
    row_f1: np.ndarray
    rows: np.ndarray
    level: float
    seed: int
    n_groups: int
    group_column: str | None

    @property
    def n_replicates(self) -> int:
        return int(self.rows.size)

    def tag_f1(self, side: int) -> np.ndarray:
        """(R, T) per-tag F1 of ``side`` in each replicate."""
        return f1_from_counts(self.tp[side], self.pred[side], self.true)

    def averages(self, side: int) -> dict[str, np.ndarray]:
        """Per replicate (R,), the four F1 averages of ``side`` (same definitions as
        :func:`~mewo_core.scoring.metrics.f1_score`)."""
        per_tag = self.tag_f1(side)
        tp, pred, true = self.tp[side], self.pred[side], self.true
        support = true.sum(axis=1)
        return {
            "weighted": safe_ratio((per_tag * true).sum(axis=1), support),
            "micro": f1_from_counts(tp.sum(axis=1), pred.sum(axis=1), support),
            "macro": per_tag.mean(axis=1) if per_tag.shape[1] else np.zeros(self.n_replicates),
            "samples": safe_ratio(self.row_f1[side], self.rows),
        }

    def grouped_f1(self, side: int, codes: np.ndarray, n_codes: int) -> dict[str, np.ndarray]:
        """Per replicate and group of tags (``codes[t]`` in ``0 .. n_codes-1``; −1 leaves a tag
        out): (R, n_codes) micro F1 within the group (as ``aggregate_table``'s ``f1``) and
        support-weighted F1 (its ``weighted_f1``)."""
        codes = np.asarray(codes)
        member = np.zeros((codes.size, n_codes))
        inside = codes >= 0
        member[np.flatnonzero(inside), codes[inside]] = 1.0
        tp, pred, true = self.tp[side] @ member, self.pred[side] @ member, self.true @ member
        weighted = (self.tag_f1(side) * self.true) @ member
        return {"f1": f1_from_counts(tp, pred, true), "weighted_f1": safe_ratio(weighted, true)}


def bootstrap(
    counts: GroupCounts,
    replicates: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    group_column: str | None = None,
) -> Replicates:
    """``replicates`` group-bootstrap replicates of ``counts`` (every side on the same draws)."""
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    g, s, t = counts.n_groups, counts.n_sides, counts.true.shape[1]
    columns = np.hstack(
        [counts.true, *counts.tp, *counts.pred, counts.row_f1.T, counts.rows[:, None]]
    ).astype(np.float32)
    rng = np.random.default_rng([seed, 0xB00])
    out = np.empty((replicates, columns.shape[1]), dtype=np.float64)
    for start in range(0, replicates, _CHUNK):
        stop = min(replicates, start + _CHUNK)
        out[start:stop] = _weights(rng, g, stop - start) @ columns
    true = out[:, :t]
    tp = out[:, t : t + s * t].reshape(replicates, s, t).transpose(1, 0, 2)
    pred = out[:, t + s * t : t + 2 * s * t].reshape(replicates, s, t).transpose(1, 0, 2)
    row_f1 = out[:, t + 2 * s * t : t + 2 * s * t + s].T
    return Replicates(
        true=true,
        tp=np.ascontiguousarray(tp),
        pred=np.ascontiguousarray(pred),
        row_f1=np.ascontiguousarray(row_f1),
        rows=out[:, -1],
        level=level,
        seed=seed,
        n_groups=g,
        group_column=group_column,
    )


def percentile_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) percentile interval at ``level`` over the replicates (axis 0)."""
    values = np.asarray(values, dtype=np.float64)
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha], axis=0)
    return low, high


def excludes_zero(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """True where an interval of a difference lies entirely above or below 0."""
    return (np.asarray(low) > 0) | (np.asarray(high) < 0)
