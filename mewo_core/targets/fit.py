"""Choose thresholds that keep a precision (or recall) target on new tracks with confidence
``1 - delta``, fitted on the tuning rows only.

**Precision >= p** (maximise recall): a Learn-then-Test fixed-sequence test. The candidate
thresholds are the scores at geometrically spaced ranks (ratio :data:`GRID_RATIO`) of the
tuning scores, ordered from strict to loose. For each candidate the null "precision < p" is
rejected when the grouped lower bound of :mod:`.bounds` is ``>= p``. The sequence visits the
candidates by their effective number of selected tracks (fewest first, i.e. strict to loose up
to the dips a second track of one artist causes), starts at the first whose effective count
could reach ``p`` at all (:func:`~.bounds.min_trials`) and stops at the first candidate it
cannot reject. The loosest rejected candidate is chosen. Testing in a fixed order keeps the
chance of any false rejection ``<= delta`` without a multiplicity correction, so the chosen
threshold's precision is ``>= p`` with probability ``>= 1 - delta``.

**Recall >= r** (maximise precision): recall only falls as the threshold rises and the
positives (hence the groups' weights) do not depend on it, so the bound is monotone: the
strictest threshold whose grouped lower bound on recall is ``>= r`` is chosen (the fixed
sequence from loose to strict, over every distinct score).

**Shared thresholds** (``scope`` per category or class): the tags of a unit are tested on one
grid (the pooled scores' ranks); the shared threshold is the candidate inside the most tags'
runs of rejections, the loosest of those (precision; the other tags are marked ``cannot``),
or the loosest of the tags' own recall thresholds. Each tag keeps its own guarantee: its
threshold is one its own fixed sequence rejects. A tag that cannot reach its target (too few
positives, or a tagger too weak) is marked ``cannot`` with the best bound it reaches, and
gets ``+inf`` (never positive), or with ``fallback="f1"`` its per-tag F1-optimal threshold
(marked ``fallback``, no guarantee).

Assumptions (besides those of :mod:`.bounds`): the tuning rows are a sample of the catalogue's
groups and new tracks come from the same distribution; the candidate grid and the sequence's
start depend on the tuning scores and groups only, never on the labels (the textbook test fixes
the grid beforehand; this adds a small label-free dependence). With ``groups=None`` each track
is its own group: the textbook i.i.d. test. Deterministic (no resampling); cost: one sort of
each tag's scores and one of its groups, then a few vector operations per tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import TrainingError
from ..scoring.parallel import map_spans
from ..scoring.thresholds import f1_optimal_thresholds
from .bounds import grouped_lower_bound, min_trials
from .spec import Target

#: Ratio between the selected counts of successive precision candidates.
GRID_RATIO = 1.05
FALLBACKS = ("none", "f1")
#: Per-tag outcomes: the target is promised, cannot be, or the F1 fallback is used instead.
PROMISED, CANNOT, FALLBACK = "promised", "cannot", "fallback"


@dataclass(frozen=True)
class TargetFit:
    """Per tag: ``thresholds`` (float64, ``+inf`` = never positive), the ``metric`` and
    ``target`` value, the ``bound`` promised at the threshold (nan unless ``promised``), the
    ``best_bound`` the tag reaches on any candidate (one-sided, not simultaneous), the
    ``status`` (promised / cannot / fallback), the ``scope`` unit sharing the threshold, and
    the ``delta`` of every bound."""

    thresholds: np.ndarray
    metric: np.ndarray
    target: np.ndarray
    bound: np.ndarray
    best_bound: np.ndarray
    status: np.ndarray
    scope: np.ndarray
    delta: float

    ARRAYS = ("metric", "target", "bound", "best_bound", "status", "scope")

    def arrays(self, prefix: str = "target_") -> dict[str, np.ndarray]:
        """The per-tag arrays and the fitted thresholds for an artifact's npz (no pickles)."""
        out = {prefix + k: np.asarray(getattr(self, k)) for k in (*self.ARRAYS, "thresholds")}
        return {**out, prefix + "delta": np.array(self.delta)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray],
                    prefix: str = "target_") -> TargetFit | None:  # fmt: skip
        """Back from :meth:`arrays`; None when the npz has none (a model fitted for F1). The
        thresholds are the fitted ones, also when the model's were edited since."""
        if prefix + "status" not in arrays:
            return None
        thresholds = arrays[prefix + "thresholds"]
        parts = {k: np.asarray(arrays[prefix + k]) for k in cls.ARRAYS}
        parts = {k: v.astype(str) if v.dtype.kind == "U" else v.astype(np.float64)
                 for k, v in parts.items()}  # fmt: skip
        return cls(np.asarray(thresholds, dtype=np.float64), delta=float(arrays[prefix + "delta"]),
                   **parts)  # fmt: skip


@dataclass(frozen=True)
class _Curve:
    """One tag's tuning rows sorted by score, strict first: cumulative positives and
    cumulative ``sum_g n_g**2`` of the selected tracks' groups (index k: the top k tracks)."""

    neg: np.ndarray  # -scores, ascending (float64)
    cum_tp: np.ndarray  # (n + 1,) int64
    cum_sq: np.ndarray  # (n + 1,) int64
    positives: int
    positives_sq: int

    def selected(self, thresholds: np.ndarray) -> np.ndarray:
        """How many tracks ``score >= threshold`` selects, per threshold."""
        return np.searchsorted(self.neg, -np.asarray(thresholds, dtype=np.float64), "right")

    def score_at(self, k: int) -> float:
        """The k-th highest score (k >= 1)."""
        return float(-self.neg[k - 1])


def _group_codes(groups: np.ndarray | None, n: int) -> tuple[np.ndarray | None, int]:
    if groups is None:
        return None, n
    uniq, codes = np.unique(np.asarray(groups), return_inverse=True)
    if codes.size != n:
        raise ValueError(f"{codes.size} group labels for {n} rows")
    dtype = np.uint16 if uniq.size < 2**16 else np.int64  # uint16: a linear-time stable sort
    return codes.reshape(-1).astype(dtype), int(uniq.size)


def _strict_first(s: np.ndarray) -> np.ndarray:
    """Row order by score, highest first (ties in any order: only whole tie runs are read).

    float32 scores sort as int64 keys (order-preserving bits, row index below), several times
    faster than an argsort; other scores are argsorted."""
    if s.dtype == np.float32 and s.size < 2**31:
        bits = (s + np.float32(0.0)).view(np.int32)  # -0.0 becomes 0.0
        ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF)  # int32 in the floats' order
        keys = (~ascending).astype(np.int64) << 32  # highest score first
        keys |= np.arange(s.size, dtype=np.int64)
        keys.sort()
        keys &= 0xFFFFFFFF
        return keys
    return np.argsort(-np.asarray(s, dtype=np.float64))


def _curve(s: np.ndarray, y: np.ndarray, codes: np.ndarray | None, n_groups: int,
           selected_groups: bool = True) -> _Curve:  # fmt: skip
    """``selected_groups=False`` skips ``cum_sq`` (only precision needs it)."""
    order = _strict_first(np.asarray(s))
    neg = -np.asarray(s[order], dtype=np.float64)
    cum_tp = np.zeros(s.size + 1, dtype=np.int64)
    np.cumsum(y[order], out=cum_tp[1:])
    n = s.size
    if codes is None or not selected_groups:
        cum_sq = np.arange(n + 1, dtype=np.int64)
        if codes is None:
            return _Curve(neg, cum_tp, cum_sq, int(cum_tp[-1]), int(cum_tp[-1]))
        pos = np.bincount(codes[np.asarray(y, dtype=bool)], minlength=n_groups).astype(np.int64)
        return _Curve(neg, cum_tp, cum_sq, int(cum_tp[-1]), int(np.dot(pos, pos)))
    g = codes[order]
    by_group = np.argsort(g, kind="stable")  # each group's tracks, strict first
    gs = g[by_group]
    at = np.arange(n)
    start = np.where(np.concatenate([[True], gs[1:] != gs[:-1]]), at, 0)
    np.maximum.accumulate(start, out=start)  # where each element's group starts
    seen = at - start  # earlier tracks of the same group
    inc = np.empty(n, dtype=np.int64)
    inc[by_group] = 2 * seen + 1  # (m + 1)**2 - m**2
    cum_sq = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(inc, out=cum_sq[1:])
    pos = np.bincount(codes[np.asarray(y, dtype=bool)], minlength=n_groups).astype(np.int64)
    return _Curve(neg, cum_tp, cum_sq, int(cum_tp[-1]), int(np.dot(pos, pos)))


def _grid(desc: np.ndarray) -> np.ndarray:
    """Candidate thresholds, strict to loose: the scores at ranks 1, ~1.05, ~1.05**2 … n."""
    n = desc.size
    if n == 0:
        return np.empty(0)
    ranks = np.unique(np.floor(GRID_RATIO ** np.arange(int(np.log(n) / np.log(GRID_RATIO)) + 2)))
    ranks = ranks[ranks <= n].astype(np.int64)
    values = desc[ranks - 1]
    return values[np.concatenate([[True], values[1:] < values[:-1]])]


@dataclass(frozen=True)
class _Run:
    """One tag's precision fixed sequence on a grid: the candidates it rejects (certifies) and
    the bound at every candidate."""

    rejected: np.ndarray  # bool per grid candidate
    lcb: np.ndarray


def _precision_run(curve: _Curve, grid: np.ndarray, p: float, delta: float) -> _Run:
    """The fixed sequence orders the candidates by their effective number of selected tracks
    (fewest first; by strictness among equals), a function of the scores and groups only, and
    starts at the first that could reach ``p`` at all: a second track of one artist may lower
    the effective count of a looser candidate, which then comes later in the sequence."""
    n = curve.selected(grid)
    sq = curve.cum_sq[n]
    lcb = grouped_lower_bound(curve.cum_tp[n], n, sq, delta)
    n_eff = np.where(n > 0, n * n / np.maximum(sq, 1), 0.0)
    order = np.argsort(n_eff, kind="stable")
    order = order[n_eff[order] >= min_trials(p, delta)]
    fails = np.flatnonzero(lcb[order] < p)
    rejected = np.zeros(grid.size, dtype=bool)
    rejected[order[: fails[0] if fails.size else order.size]] = True
    return _Run(rejected, lcb)


def _recall_bound(curve: _Curve, hits: int, delta: float) -> float:
    """The grouped lower bound on recall when ``hits`` of the tag's positives are selected."""
    return float(grouped_lower_bound(np.array([hits]), np.array([curve.positives]),
                                     np.array([curve.positives_sq]), delta)[0])  # fmt: skip


def _recall_threshold(curve: _Curve, r: float, delta: float) -> tuple[float, float, float]:
    """(threshold, bound there, best bound) for recall >= r; threshold +inf when unreachable.
    The bound rises with the hits: bisection for the fewest hits that reach ``r``."""
    p = curve.positives
    best = _recall_bound(curve, p, delta) if p else 0.0
    if best < r:
        return np.inf, np.nan, best
    low, high = 0, p  # bound(low) < r <= bound(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if _recall_bound(curve, mid, delta) >= r else (mid, high)
    k = int(np.searchsorted(curve.cum_tp, high, "left"))  # the top k tracks hold `high` hits
    threshold = curve.score_at(k)
    got = int(curve.cum_tp[curve.selected(np.array([threshold]))[0]])  # ties selected too
    return threshold, _recall_bound(curve, got, delta), best


def fit_targets(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None,
    targets: Sequence[Target],
    delta: float,
    scope: Sequence[str] | None = None,
    fallback: str = "none",
    n_jobs: int | None = None,
) -> TargetFit:
    """Per-tag thresholds keeping each tag's target with confidence ``1 - delta`` (see the
    module). ``scores`` / 0/1 ``labels``: tuning rows x tags; ``groups``: one label per row
    (artist, album; None: independent tracks); ``targets``: one per tag; ``scope``: per tag the
    unit sharing one threshold (default: each tag alone); ``fallback``: ``none`` or ``f1``;
    ``n_jobs``: threads sorting the tags (default: the CPUs; the result does not depend on it)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or scores.shape != labels.shape:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} differ or are not 2-D")
    n_rows, n_tags = scores.shape
    if len(targets) != n_tags:
        raise ValueError(f"{len(targets)} targets for {n_tags} tags")
    if not 0 < delta < 1:
        raise TrainingError(f"delta must be between 0 and 1 (exclusive), got {delta}")
    if fallback not in FALLBACKS:
        raise TrainingError(f"unknown fallback {fallback!r}; known: {', '.join(FALLBACKS)}")
    units = [str(t) for t in range(n_tags)] if scope is None else [str(u) for u in scope]
    codes, n_groups = _group_codes(groups, n_rows)
    by_tag, labels_by_tag = np.ascontiguousarray(scores.T), np.ascontiguousarray(labels.T)
    curves: list[_Curve] = [None] * n_tags  # type: ignore[list-item]

    def build(start: int, stop: int) -> None:
        for t in range(start, stop):
            curves[t] = _curve(by_tag[t], labels_by_tag[t], codes, n_groups,
                               targets[t].metric == "precision")  # fmt: skip

    map_spans(build, n_tags, 8, n_jobs)

    thresholds = np.full(n_tags, np.inf)
    bound = np.full(n_tags, np.nan)
    best = np.zeros(n_tags)
    status = np.full(n_tags, CANNOT, dtype=object)
    for unit in dict.fromkeys(units):
        tags = [t for t in range(n_tags) if units[t] == unit]
        metrics = {targets[t].metric for t in tags}
        if len(metrics) > 1:
            raise TrainingError(
                f"the tags sharing the threshold of {unit!r} have both precision and recall "
                "targets; give one metric per shared unit or use --per tag"
            )
        if metrics == {"recall"}:
            _fit_recall(curves, tags, targets, delta, thresholds, bound, best, status)
        else:
            _fit_precision(curves, tags, targets, delta, thresholds, bound, best, status)
    if fallback == "f1" and (status == CANNOT).any():
        cannot = np.flatnonzero(status == CANNOT)
        f1 = f1_optimal_thresholds(scores[:, cannot], labels[:, cannot])
        thresholds[cannot] = f1
        status[cannot] = FALLBACK
    return TargetFit(
        thresholds=thresholds,
        metric=np.array([t.metric for t in targets], dtype=str),
        target=np.array([t.value for t in targets], dtype=np.float64),
        bound=bound,
        best_bound=best,
        status=status.astype(str),
        scope=np.array(units if scope is not None else [""] * n_tags, dtype=str),
        delta=float(delta),
    )


def _fit_precision(curves, tags, targets, delta, thresholds, bound, best, status) -> None:  # noqa: ANN001
    if len(tags) == 1:
        grid = _grid(-curves[tags[0]].neg)
    else:
        grid = _grid(np.sort(np.concatenate([-curves[t].neg for t in tags]))[::-1])
    runs = {t: _precision_run(curves[t], grid, targets[t].value, delta) for t in tags}
    for t, run in runs.items():
        best[t] = float(run.lcb.max()) if run.lcb.size else 0.0
    rejected = np.array([runs[t].rejected for t in tags]).reshape(len(tags), grid.size)
    if not rejected.any():
        return
    # the candidate certified for the most tags, the loosest among those
    count = rejected.sum(axis=0)
    j = int(np.flatnonzero(count == count.max())[-1])
    for t, ok in zip(tags, rejected[:, j], strict=True):
        if ok:
            thresholds[t] = grid[j]
            bound[t] = runs[t].lcb[j]
            status[t] = PROMISED


def _fit_recall(curves, tags, targets, delta, thresholds, bound, best, status) -> None:  # noqa: ANN001
    own = {t: _recall_threshold(curves[t], targets[t].value, delta) for t in tags}
    for t, (_, _, b) in own.items():
        best[t] = b
    reachable = [t for t, (thr, _, _) in own.items() if np.isfinite(thr)]
    if not reachable:
        return
    shared = min(own[t][0] for t in reachable)  # loose enough for every reachable tag
    for t in reachable:
        c = curves[t]
        thresholds[t] = shared
        bound[t] = _recall_bound(c, int(c.cum_tp[c.selected(np.array([shared]))[0]]), delta)
        status[t] = PROMISED


def naive_thresholds(scores: np.ndarray, labels: np.ndarray,
                     targets: Sequence[Target]) -> np.ndarray:  # fmt: skip
    """The in-sample choice, for comparison: per tag the loosest threshold whose precision on
    these rows is ``>= p`` (or the strictest whose recall is ``>= r``); ``+inf`` if none."""
    by_tag = np.ascontiguousarray(np.asarray(scores).T)
    labels_by_tag = np.ascontiguousarray(np.asarray(labels).T)
    out = np.full(by_tag.shape[0], np.inf)
    for t, target in enumerate(targets):
        c = _curve(by_tag[t], labels_by_tag[t], None, by_tag.shape[1], False)
        n = c.neg.size
        ends = np.flatnonzero(np.append(c.neg[1:] > c.neg[:-1], True)) + 1  # tie-run ends
        tp = c.cum_tp[ends]
        if target.metric == "precision":
            ok = ends[tp >= target.value * ends]
            if ok.size:
                out[t] = c.score_at(int(ok[-1]))
        elif c.positives:
            ok = ends[tp >= target.value * c.positives]
            if ok.size and n:
                out[t] = c.score_at(int(ok[0]))
    return out
