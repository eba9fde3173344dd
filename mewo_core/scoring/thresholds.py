"""Exact F1-optimal decision thresholds for a tagger's scores (tracks x tags).

Decision rule everywhere: a track gets a tag when ``score >= threshold``. Tracks with equal
scores are always decided together. Returned thresholds are actual score values (converted
to float64, which is exact for float16/float32/float64 scores), so ``scores >= thr``
reproduces the optimal decisions exactly; ``+inf`` means "never predict".

Tie-break: among thresholds reaching the maximal F1, the **highest** one is returned (the
fewest predicted positives).

How it stays fast without sorting whole columns: F1 = 2 TP / (TP + FP + P) only peaks at a
positive's score. Every score gets a 16-bit code: an order-preserving bucket of its float32
bit pattern (the matrix's score range cut into up to 2**13 buckets) and its label bit, built
in row blocks and written transposed (one contiguous row per tag). One ``bincount`` per tag
then gives, per bucket, the tracks and positives at or above it, hence a lower bound of the
best F1 (threshold at the bucket's lowest positive) and an upper bound of any F1 inside the
bucket. Buckets whose upper bound is below the best lower bound cannot hold the optimum;
the scores of the remaining range are gathered, narrowed again with finer buckets of their
exact keys, and the last few hundred are sorted and scored exactly. Tags are processed in
chunks on threads (:func:`mewo_core.scoring.parallel.map_spans`; numpy releases the GIL in
its loops).

Rounded scores (at most ``_GRID_DECIMALS`` decimals, up to 2**15 distinct values, the usual
shape of a tagger's CSV export) take a shorter path: each score's code is its exact rank on
the decimal grid (``rint(score * 10**d)``, checked to give the score back), so one
``bincount`` per tag already counts every distinct value and the best threshold is read off
its suffix sums, vectorised over a chunk of tags; any score off the grid falls back to the
general path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from .arrays import check_labels as _check_labels
from .arrays import check_scores as _check_scores
from .arrays import map_rows as _map
from .arrays import thresholds_for_dtype
from .metrics import f1_from_counts

__all__ = [
    "f1_curve",
    "f1_optimal_thresholds",
    "global_threshold",
    "per_group_thresholds",
    "thresholds_for_dtype",
]

Metric = Literal["micro", "weighted"]

_ROW_BLOCK = 512  # rows per step of the blocked transposition
_ROW_SPAN = 8192  # rows per thread-pool task when coding scores
_TAG_CHUNK = 16  # tags per thread-pool task
_FLAT_BLOCK = 1 << 20  # elements per step for long pooled arrays
_EXACT_SIZE = 2048  # at most this many scores left: sort them
_LEVEL1_BITS = 13  # first level: the score range in up to 2**13 buckets (16-bit codes)
_REFINE_BITS = 10  # refinement levels use up to 2**10 buckets
_GRID_DECIMALS = 6  # scores with at most this many decimals may be counted per value
_GRID_VALUES = 1 << 15  # at most this many grid steps between the lowest and highest score
_GRID_HEAD = 256  # rows that guess the number of decimals (every score is checked later)


# ------------------------------------------------------------------ order keys and codes


def _order_keys(values: np.ndarray) -> np.ndarray:
    """Integer keys with the order of the float values; equal values (-0.0, +0.0) share one."""
    itype = np.int32 if values.dtype.itemsize == 4 else np.int64
    bits = values.view(itype)
    sign = bits >> (8 * values.dtype.itemsize - 1)  # -1 for negative floats, else 0
    keys = sign & np.iinfo(itype).max
    keys ^= bits  # negative floats: flip the magnitude bits
    keys -= sign  # and shift by one so that -0.0 lands on +0.0
    return keys


def _code_scale(values: np.ndarray) -> tuple[int, int]:
    """``(kmin, shift)`` mapping the float32 keys of ``values`` to < 2**_LEVEL1_BITS buckets."""
    with np.errstate(over="ignore"):
        ends = np.array([values.min(), values.max()]).astype(np.float32)
    kmin, kmax = (int(k) for k in _order_keys(ends))
    return kmin, max(0, (kmax - kmin).bit_length() - _LEVEL1_BITS)


def _codes(scores: np.ndarray, labels: np.ndarray, kmin: int, shift: int) -> np.ndarray:
    """Codes ``bucket * 2 + label`` (< 2**16): ``bucket = (float32 key - kmin) >> shift``.

    float64 is rounded to float32 first (monotone, so the bucket order still follows scores).
    """
    x = scores
    if x.dtype != np.float32:
        with np.errstate(over="ignore"):
            x = x.astype(np.float32)
    nonnegative = x.size > 0 and x.min() >= 0  # then the key is the bit pattern (-0.0 -> 0)
    codes = x.view(np.int32) & 0x7FFFFFFF if nonnegative else _order_keys(x)
    codes -= np.int32(kmin)  # may wrap around: read back as unsigned it is exact
    codes = codes.view(np.uint32)
    codes >>= shift
    codes <<= 1
    codes |= labels.view(np.uint8)
    return codes


def _transposed_codes(s: np.ndarray, y: np.ndarray, n_jobs: int | None) -> np.ndarray:
    """Codes of every score as ``(n_tags, n_tracks)`` uint16, one contiguous row per tag."""
    out = np.empty((s.shape[1], s.shape[0]), dtype=np.uint16)
    kmin, shift = _code_scale(s)

    def work(r0: int, r1: int) -> None:
        for r in range(r0, r1, _ROW_BLOCK):
            r2 = min(r + _ROW_BLOCK, r1)
            out[:, r:r2] = _codes(s[r:r2], y[r:r2], kmin, shift).T

    _map(work, s.shape[0], _ROW_SPAN, n_jobs)
    return out


def _on_grid(x: np.ndarray, scale: np.floating) -> np.ndarray | None:
    """``rint(x * scale)`` if it gives every ``x`` back when divided by ``scale``, else None."""
    with np.errstate(over="ignore", invalid="ignore"):
        k = x * scale
        np.rint(k, out=k)
        return k if np.array_equal(k / scale, x) else None


def _grid_scale(s: np.ndarray) -> tuple[np.floating, float, int] | None:
    """``(scale, kmin, width)`` of the coarsest decimal grid that the first rows lie on.

    ``kmin`` is ``rint(min * scale)`` (an integer-valued float) and ``width`` the number of
    grid steps up to the maximum. None if no grid of at most ``_GRID_DECIMALS`` decimals
    fits or it would need more than ``_GRID_VALUES`` steps (or inexact float integers).
    """
    head = s[:_GRID_HEAD]
    exact_ints = 2.0 ** (np.finfo(s.dtype).nmant + 1)
    lo = hi = None
    for d in range(_GRID_DECIMALS + 1):
        scale = s.dtype.type(10**d)
        if _on_grid(head, scale) is None:
            continue
        if lo is None:
            lo, hi = s.min(), s.max()
            if not (np.isfinite(lo) and np.isfinite(hi)):
                return None
        with np.errstate(over="ignore"):
            kmin, kmax = float(np.rint(lo * scale)), float(np.rint(hi * scale))
        if max(abs(kmin), abs(kmax)) >= exact_ints or kmax - kmin >= _GRID_VALUES:
            return None  # finer grids only make it wider
        return scale, kmin, int(kmax - kmin) + 1
    return None


def _grid_codes(
    s: np.ndarray, y: np.ndarray, grid: tuple[np.floating, float, int], n_jobs: int | None
) -> np.ndarray | None:
    """Codes ``rank * 2 + label`` as ``(n_tags, n_tracks)`` uint16, ``rank`` the exact grid step.

    ``k = rint(score * scale)`` is monotone in the score, and ``k / scale`` giving the score
    back makes it one-to-one: equal codes are equal scores. None if any score is off grid.
    """
    scale, kmin, _ = grid
    out = np.empty((s.shape[1], s.shape[0]), dtype=np.uint16)
    off_grid: list[bool] = []

    def work(r0: int, r1: int) -> None:
        for r in range(r0, r1, _ROW_BLOCK):
            if off_grid:
                return
            r2 = min(r + _ROW_BLOCK, r1)
            k = _on_grid(s[r:r2], scale)
            if k is None:
                off_grid.append(True)  # list.append is atomic
                return
            k -= kmin  # exact: integers below 2**24 (float32) / 2**53 (float64)
            k *= 2
            codes = k.astype(np.uint16)
            codes |= y[r:r2].view(np.uint8)
            out[:, r:r2] = codes.T

    _map(work, s.shape[0], _ROW_SPAN, n_jobs)
    return None if off_grid else out


def _grid_best(rows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per code row, the best grid step (ties: the highest) and whether the tag has positives."""
    hist = np.stack([np.bincount(row, minlength=2 * width) for row in rows])
    hist = hist.reshape(rows.shape[0], width, 2)
    pos = hist[..., 1]
    tp = _suffix_sums(pos)[:, :-1]  # positives / tracks at or above each step
    predicted = _suffix_sums(hist[..., 0] + pos)[:, :-1]
    n_pos = tp[:, :1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * tp / (predicted + n_pos)  # the same float expression as the general path
    f1[pos == 0] = -1.0  # F1 only peaks at a positive's score
    best = width - 1 - np.argmax(f1[:, ::-1], axis=1)
    return best, n_pos[:, 0] > 0


def _grid_thresholds(s: np.ndarray, y: np.ndarray, n_jobs: int | None) -> np.ndarray | None:
    """:func:`f1_optimal_thresholds` for scores on a decimal grid; None when they are not."""
    grid = _grid_scale(s)
    if grid is None:
        return None
    codes = _grid_codes(s, y, grid, n_jobs)
    if codes is None:
        return None
    scale, kmin, width = grid
    steps = np.arange(width, dtype=s.dtype) + s.dtype.type(kmin)
    values = (steps / scale).astype(np.float64)  # the scores themselves (checked above)
    out = np.full(s.shape[1], np.inf)

    def work(c0: int, c1: int) -> None:
        best, has_pos = _grid_best(codes[c0:c1], width)
        out[c0:c1] = np.where(has_pos, values[best], np.inf)

    _map(work, s.shape[1], _TAG_CHUNK, n_jobs)
    return out


def _flat_codes(v: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Codes of a 1-D array, in blocks."""
    out = np.empty(v.size, dtype=np.uint16)
    kmin, shift = _code_scale(v)
    for a in range(0, v.size, _FLAT_BLOCK):
        b = a + _FLAT_BLOCK
        out[a:b] = _codes(v[a:b], y[a:b], kmin, shift)
    return out


def _code_counts(row: np.ndarray) -> np.ndarray:
    """``bincount`` of a uint16 code row (blocked for long rows)."""
    if row.size <= _FLAT_BLOCK:
        return np.bincount(row)
    out = np.zeros(1 << 16, dtype=np.int64)
    for a in range(0, row.size, _FLAT_BLOCK):
        c = np.bincount(row[a : a + _FLAT_BLOCK])
        out[: c.size] += c
    return out


def _row_histogram(row: np.ndarray) -> tuple[np.ndarray, int]:
    """Counts ``(buckets, 2)`` (negatives, positives) of one code row, from bucket ``base``."""
    base = int(row.min()) // 2
    counts = _code_counts(row)[2 * base :]
    if counts.size % 2:
        counts = np.append(counts, 0)
    return counts.reshape(-1, 2), base


def _histograms(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Per code row, counts ``(rows, buckets, 2)`` (negatives, positives) from bucket ``base``."""
    base = int(codes.min()) // 2
    width = int(codes.max()) // 2 - base + 1
    hist = np.zeros((codes.shape[0], 2 * width), dtype=np.int64)
    for j, row in enumerate(codes):
        c = _code_counts(row)[2 * base : 2 * (base + width)]
        hist[j, : c.size] = c
    return hist.reshape(codes.shape[0], width, 2), base


# ---------------------------------------------------------------- branch and bound, exact


def _suffix_sums(counts: np.ndarray) -> np.ndarray:
    """``out[..., b]`` = sum of ``counts[..., b:]``, with one trailing zero column."""
    out = np.zeros((*counts.shape[:-1], counts.shape[-1] + 1), dtype=np.int64)
    np.cumsum(counts, axis=-1, out=out[..., 1:])
    return out[..., -1:] - out


def _bucket_range(
    hist: np.ndarray, n_pos: int, base_a: int, base_tp: int
) -> tuple[int, int, int, int]:
    """The range of buckets of ``hist`` ``(buckets, 2)`` that must hold the best threshold.

    ``base_a`` / ``base_tp`` count the tracks / positives above the histogram. A bucket with
    positives yields a lower bound of the best F1 (threshold at its lowest positive) and an
    upper bound of every F1 inside it; buckets whose upper bound is below the best lower
    bound are dropped. Returns ``(lo, hi, tracks above hi, positives above hi)``.
    """
    pos = hist[:, 1]
    tot = hist[:, 0] + pos
    cum_a, cum_tp = np.cumsum(tot), np.cumsum(pos)  # tracks / positives in buckets <= b
    all_a, all_tp = int(cum_a[-1]) + base_a, int(cum_tp[-1]) + base_tp
    b = np.flatnonzero(pos)
    above_a = all_a - cum_a[b]  # tracks in higher buckets
    tp = all_tp - cum_tp[b] + pos[b]
    lower = 2 * tp / (above_a + tot[b] + n_pos)  # reached at the bucket's lowest positive
    upper = 2 * tp / (above_a + n_pos)  # no threshold inside the bucket does better
    kept = b[upper >= lower.max()]
    lo, hi = int(kept[0]), int(kept[-1])
    return lo, hi, all_a - int(cum_a[hi]), all_tp - int(cum_tp[hi])


def _first_of_runs(sorted_values: np.ndarray) -> np.ndarray:
    """Indices where a run of equal values starts in a sorted array."""
    start = np.empty(sorted_values.size, dtype=bool)
    start[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=start[1:])
    return np.flatnonzero(start)


def _exact_best(
    sub: np.ndarray, sub_y: np.ndarray, n_pos: int, base_a: int, base_tp: int
) -> tuple[float, float]:
    """Best (threshold, f1) among the positives' scores in ``sub`` (which holds positives).

    ``sub`` holds every score of the candidate range; ``base_a`` / ``base_tp`` count the
    tracks / positives scoring above it. Ties go to the highest threshold.
    """
    ss = np.sort(sub)
    sp = np.sort(np.compress(sub_y, sub))
    first = _first_of_runs(sp)
    cand = sp[first]
    tp = base_tp + (sp.size - first)
    predicted = base_a + ss.size - np.searchsorted(ss, cand, side="left")
    f1 = 2 * tp / (predicted + n_pos)
    k = f1.size - 1 - int(np.argmax(f1[::-1]))
    return float(cand[k]), float(f1[k])


def _refine(
    vals: np.ndarray, labs: np.ndarray, n_pos: int, base_a: int, base_tp: int
) -> tuple[float, float]:
    """Narrow the candidate scores with finer buckets of the exact keys, then solve exactly."""
    while vals.size > _EXACT_SIZE:
        keys = _order_keys(vals).astype(np.int64)
        kmin = int(keys.min())
        span = int(keys.max()) - kmin  # may need 64 unsigned bits
        shift = max(0, span.bit_length() - _REFINE_BITS)
        offset = keys.view(np.uint64) - np.uint64(kmin % (1 << 64))  # exact modulo 2**64
        bucket = (offset >> np.uint64(shift)).astype(np.int64)
        width = (span >> shift) + 1
        hist = np.bincount(bucket * 2 + labs, minlength=2 * width).reshape(width, 2)
        lo, hi, above_a, above_tp = _bucket_range(hist, n_pos, base_a, base_tp)
        if lo == 0 and hi == width - 1:
            break  # nothing to drop: the first and last buckets are never empty
        sel = (bucket >= lo) & (bucket <= hi)
        vals, labs = np.compress(sel, vals), np.compress(sel, labs)
        base_a, base_tp = above_a, above_tp
    return _exact_best(vals, labs, n_pos, base_a, base_tp)


def _rows_in_range(row: np.ndarray, first_code: int, last_code: int) -> np.ndarray:
    """Indices of a uint16 code row with ``first_code <= code <= last_code``."""
    shifted = row - np.uint16(first_code)  # wraps around below the range
    return np.flatnonzero(shifted <= last_code - first_code)


def _best_from_codes(
    row: np.ndarray, values_at: Callable[[np.ndarray], np.ndarray], hist: np.ndarray, base: int
) -> tuple[float, float]:
    """(threshold, f1) for one code row and its histogram ``(buckets, 2)`` from ``base``."""
    n_pos = int(hist[:, 1].sum())
    if n_pos == 0:
        return np.inf, 0.0
    lo, hi, above_a, above_tp = _bucket_range(hist, n_pos, 0, 0)
    idx = _rows_in_range(row, 2 * (base + lo), 2 * (base + hi) + 1)
    labs = (row[idx] & 1).astype(bool)
    return _refine(values_at(idx), labs, n_pos, above_a, above_tp)


def _pooled_best(v: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Best (threshold, f1) for one long 1-D array of scores (micro F1 when pooling tags)."""
    if v.size == 0:
        return np.inf, 0.0
    codes = _flat_codes(v, y)
    return _best_from_codes(codes, v.take, *_row_histogram(codes))


# ------------------------------------------------------------------------ per-tag optimum


def f1_optimal_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    columns: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Per tag (column), the exact threshold maximising that tag's F1 on ``scores``/``labels``.

    Candidates are all distinct scores, decision ``score >= threshold``, ties decided together;
    among equal F1 the highest threshold wins. A tag without positives gets ``+inf``.
    ``columns``: tag ``t``'s scores are column ``columns[t]`` of ``scores`` (e.g. a dataset's
    features, read in place when they are in Fortran order: no tracks x tags copy); default:
    column ``t``. ``n_jobs`` threads (default: the CPUs available). Returns float64
    ``(n_tags,)``.
    """
    if columns is not None or (np.ndim(scores) == 2 and _column_major(np.asarray(scores))):
        return _column_thresholds(_check_scores(scores), labels, columns, n_jobs)
    s = _check_scores(scores)
    y = _check_labels(labels, s.shape)
    out = np.full(s.shape[1], np.inf)
    if s.size == 0:
        return out
    on_grid = _grid_thresholds(s, y, n_jobs)
    if on_grid is not None:
        return on_grid
    codes = _transposed_codes(s, y, n_jobs)

    def work(c0: int, c1: int) -> None:
        # one tag at a time keeps the temporaries small (reused memory, no page faults)
        for c in range(c0, c1):

            def values_at(idx: np.ndarray, c: int = c) -> np.ndarray:
                return s[idx, c]

            out[c] = _best_from_codes(codes[c], values_at, *_row_histogram(codes[c]))[0]

    _map(work, s.shape[1], _TAG_CHUNK, n_jobs)
    return out


def _column_major(s: np.ndarray) -> bool:
    return bool(s.flags.f_contiguous and not s.flags.c_contiguous)


def _column_thresholds(
    s: np.ndarray, labels: np.ndarray, columns: np.ndarray | None, n_jobs: int | None
) -> np.ndarray:
    """:func:`f1_optimal_thresholds` reading each tag's scores as one column of ``s``: in place
    when ``s`` is in Fortran order (contiguous columns), else gathered first. Each column is
    coded on its own range (finer buckets; the optimum is exact either way)."""
    columns = np.arange(s.shape[1]) if columns is None else np.asarray(columns, dtype=np.intp)
    if columns.ndim != 1 or (columns.size and not 0 <= columns.min() <= columns.max()
                             < s.shape[1]):  # fmt: skip
        raise ValueError(f"columns must be 1-D indices below {s.shape[1]}")
    if not _column_major(s):  # rows contiguous: gathering the columns is the fast read
        return f1_optimal_thresholds(np.take(s, columns, axis=1), labels, n_jobs=n_jobs)
    y = np.asarray(labels)
    if y.shape != (s.shape[0], columns.size):
        raise ValueError(f"labels shape {y.shape} does not match scores shape "
                         f"{(s.shape[0], columns.size)}")  # fmt: skip
    out = np.full(columns.size, np.inf)
    if s.shape[0] == 0:
        return out

    def work(c0: int, c1: int) -> None:
        positive = np.ascontiguousarray(y[:, c0:c1].T) != 0  # the chunk's labels, tag by tag
        for c in range(c0, c1):
            out[c] = _pooled_best(s[:, columns[c]], positive[c - c0])[0]

    _map(work, columns.size, _TAG_CHUNK, n_jobs)
    return out


# ------------------------------------------------------------------ curves and counts


def f1_curve(
    scores: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact curve of one tag over its distinct scores, thresholds descending.

    Returns ``(thresholds, precision, recall, f1)`` where point ``i`` is the decision
    ``score >= thresholds[i]``. Recall and F1 are 0 when the tag has no positive.
    """
    s = np.asarray(scores)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {s.shape}")
    s = _check_scores(s[:, None])[:, 0]
    y = _check_labels(labels, s.shape)
    ss = np.sort(s)
    sp = np.sort(s[y])
    first = _first_of_runs(ss)[::-1]
    thresholds = ss[first].astype(np.float64)
    predicted = s.size - first
    tp = sp.size - np.searchsorted(sp, ss[first], side="left")
    precision = tp / predicted
    recall = tp / sp.size if sp.size else np.zeros(tp.size)
    f1 = f1_from_counts(tp, predicted, sp.size)
    return thresholds, precision, recall, f1


# ---------------------------------------------------------- shared (global / per group)


def _weighted_range(
    hist: np.ndarray, n_pos: np.ndarray, weight: np.ndarray, base_a: np.ndarray, base_tp: np.ndarray
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Like :func:`_bucket_range` for one threshold shared by the tags (rows) of ``hist``.

    Bounds are the support-weighted sums of the per-tag bounds; the lower bound of a bucket
    holds at its lowest positive of any tag. Returns ``(lo, hi, per-tag tracks above hi,
    per-tag positives above hi)``.
    """
    pos = hist[..., 1]
    a_ge = _suffix_sums(hist[..., 0] + pos) + base_a[:, None]
    tp_ge = _suffix_sums(pos) + base_tp[:, None]
    npos = n_pos[:, None]
    upper = weight @ (2 * tp_ge[:, :-1] / (a_ge[:, 1:] + npos))
    lower = weight @ (2 * tp_ge[:, 1:] / (a_ge[:, :-1] + npos))
    candidates = np.flatnonzero(pos.any(axis=0))
    keep = candidates[upper[candidates] >= lower[candidates].max() * (1 - 1e-9)]  # float slack
    lo, hi = int(keep[0]), int(keep[-1])
    return lo, hi, a_ge[:, hi + 1], tp_ge[:, hi + 1]


Subs = list[tuple[np.ndarray, np.ndarray]]  # per tag: scores in the candidate range, labels


def _weighted_refine(
    subs: Subs, n_pos: np.ndarray, weight: np.ndarray, base_a: np.ndarray, base_tp: np.ndarray
) -> tuple[Subs, np.ndarray, np.ndarray]:
    """Narrow every tag's candidate range with finer buckets of the exact keys."""
    while sum(np.count_nonzero(labs) for _, labs in subs) > _EXACT_SIZE:
        keys = [_order_keys(vals).astype(np.int64) for vals, _ in subs]
        kmin = min(int(k.min()) for k in keys if k.size)
        span = max(int(k.max()) for k in keys if k.size) - kmin
        shift = np.uint64(max(0, span.bit_length() - _REFINE_BITS))
        width = (span >> int(shift)) + 1
        start = np.uint64(kmin % (1 << 64))
        buckets = [((k.view(np.uint64) - start) >> shift).astype(np.int64) for k in keys]
        pairs = zip(buckets, subs, strict=True)
        hist = np.stack([np.bincount(b * 2 + lab, minlength=2 * width) for b, (_, lab) in pairs])
        hist = hist.reshape(len(subs), width, 2)
        lo, hi, above_a, above_tp = _weighted_range(hist, n_pos, weight, base_a, base_tp)
        if lo == 0 and hi == width - 1:
            break  # nothing to drop: the first and last buckets are never empty
        sels = [(b >= lo) & (b <= hi) for b in buckets]
        subs = [
            (np.compress(m, v), np.compress(m, lab)) for m, (v, lab) in zip(sels, subs, strict=True)
        ]
        base_a, base_tp = above_a, above_tp
    return subs, base_a, base_tp


def _weighted_best(s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """One threshold for all columns of ``s`` maximising support-weighted F1 (exact).

    Same bucket bounds as per tag, summed with the support weights, then finer buckets; the
    pooled positive scores left are scored on every tag.
    """
    n_pos = np.count_nonzero(y, axis=0)
    used = np.flatnonzero(n_pos)  # zero-support tags weigh nothing
    if used.size == 0:
        return np.inf, 0.0
    if used.size < n_pos.size:
        s, y, n_pos = s[:, used], y[:, used], n_pos[used]
    weight = n_pos / n_pos.sum()
    codes = _transposed_codes(s, y, None)
    hist, base = _histograms(codes)
    zero = np.zeros(used.size, dtype=np.int64)
    lo, hi, above_a, above_tp = _weighted_range(hist, n_pos, weight, zero, zero)
    subs = []
    for j, row in enumerate(codes):
        idx = _rows_in_range(row, 2 * (base + lo), 2 * (base + hi) + 1)
        subs.append((s[idx, j], (row[idx] & 1).astype(bool)))
    subs, above_a, above_tp = _weighted_refine(subs, n_pos, weight, above_a, above_tp)
    ordered = [(np.sort(v), np.sort(np.compress(lab, v))) for v, lab in subs]
    cand = np.unique(np.concatenate([sp for _, sp in ordered]))
    total = np.zeros(cand.size)
    for j, (ss, sp) in enumerate(ordered):
        tp = above_tp[j] + sp.size - np.searchsorted(sp, cand, side="left")
        predicted = above_a[j] + ss.size - np.searchsorted(ss, cand, side="left")
        total += weight[j] * (2 * tp / (predicted + n_pos[j]))
    k = total.size - 1 - int(np.argmax(total[::-1]))
    return float(cand[k]), float(total[k])


def _best_on_candidates(
    s: np.ndarray, y: np.ndarray, candidates: np.ndarray, metric: Metric
) -> tuple[float, float]:
    """Best of the given candidate thresholds for ``metric`` over the columns of ``s``."""
    c_in = np.unique(np.asarray(candidates, dtype=np.float64))
    c_in = c_in[~np.isnan(c_in)]
    if c_in.size == 0:
        raise ValueError("candidates must hold at least one threshold")
    c = thresholds_for_dtype(c_in, s.dtype)
    n_pos = np.count_nonzero(y, axis=0)
    if n_pos.sum() == 0:
        return np.inf, 0.0
    predicted = np.zeros((s.shape[1], c.size), dtype=np.int64)
    tp = np.zeros_like(predicted)
    for j in range(s.shape[1]):
        below = np.searchsorted(c, s[:, j], side="right")  # s >= c[k] for every k < below
        predicted[j] = _suffix_sums(np.bincount(below, minlength=c.size + 1))[1:-1]
        tp[j] = _suffix_sums(np.bincount(below[y[:, j]], minlength=c.size + 1))[1:-1]
    if metric == "micro":
        value = 2 * tp.sum(axis=0) / (predicted.sum(axis=0) + n_pos.sum())
    else:
        used = n_pos > 0
        f1 = 2 * tp[used] / (predicted[used] + n_pos[used, None])
        value = (n_pos[used] / n_pos.sum()) @ f1
    k = value.size - 1 - int(np.argmax(value[::-1]))
    return float(c_in[k]), float(value[k])


def _shared_best(
    s: np.ndarray, y: np.ndarray, metric: Metric, candidates: np.ndarray | None
) -> float:
    if metric not in ("micro", "weighted"):
        raise ValueError(f"metric must be 'micro' or 'weighted', got {metric!r}")
    if s.size == 0:
        return float(np.inf)
    if candidates is not None:
        return _best_on_candidates(s, y, candidates, metric)[0]
    if metric == "micro":
        return _pooled_best(s.ravel(), y.ravel())[0]
    return _weighted_best(s, y)[0]


def global_threshold(
    scores: np.ndarray,
    labels: np.ndarray,
    metric: Metric = "micro",
    candidates: np.ndarray | None = None,
) -> float:
    """One threshold for every tag maximising micro or support-weighted F1.

    Without ``candidates`` the search is exact over all distinct scores (``+inf`` if there is
    no positive at all); with ``candidates`` only those values are tried (the best is returned
    as given). Ties go to the highest threshold; weighted F1 is compared in float arithmetic.
    """
    s = _check_scores(scores)
    y = _check_labels(labels, s.shape)
    return _shared_best(s, y, metric, candidates)


def per_group_thresholds(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[object] | np.ndarray,
    metric: Metric = "micro",
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """One threshold per group of tags (``groups[j]`` = group of tag ``j``), shared by its tags.

    Each group's threshold maximises the group's micro (pooled) or weighted F1, exactly as
    :func:`global_threshold` on the group's columns. Returns float64 ``(n_tags,)``.
    """
    s = _check_scores(scores)
    y = _check_labels(labels, s.shape)
    g = np.asarray(groups, dtype=object)
    if g.shape != (s.shape[1],):
        raise ValueError(f"need one group per tag ({s.shape[1]}), got shape {g.shape}")
    members: dict[object, list[int]] = {}
    for j, group in enumerate(g.tolist()):
        members.setdefault(group, []).append(j)
    out = np.full(s.shape[1], np.inf)
    for cols in members.values():
        out[cols] = _shared_best(s[:, cols], y[:, cols], metric, candidates)
    return out
