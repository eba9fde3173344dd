"""One space per decision: each tag's decision path, album blend and threshold, in one space.

A decision is ``decision score >= threshold``. The *decision space* of a tag is where both
live: the logit of the decision score when the score and the threshold lie in [0, 1]
(``logit``), else the score's own scale (``raw``). :func:`to_space` is monotone, so the path's
end point (the decision score in that space) and the threshold line order exactly as the
decision. The path's steps (:class:`Step`) add up to its end point:

- a tag that keeps the learned correction: the network's own logit (an affine map of the
  network's *standardised input* z of the tag's own score; z itself is no logit), the
  correction at the reference track, the contributions (times the blend weight), and what the
  quadrature leaves;
- any other tag (fallback, threshold models): the own raw score, then the album blend.

The album context (:class:`ContextStep`) is explained per tag: own score, the album's mean in
the blend's space (over the track and its mates), weight, blended score, the decision score
and decision without the context (the same model with weight 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..data import Dataset
from ..models.base import DecisionModel
from ..models.context import forward, group_mates, group_means
from ..scoring.space import sigmoid

#: The two decision spaces.
LOGIT, RAW = "logit", "raw"
#: A path whose steps miss its end point by more than this gets a residual step.
NEGLIGIBLE = 1e-9


def _inside(value: float) -> bool:
    return bool(np.isinf(value) or 0.0 <= value <= 1.0)


def decision_space(score: float, threshold: float) -> str:
    """``logit`` when ``score`` and ``threshold`` lie in [0, 1] (or are infinite), else ``raw``."""
    return LOGIT if _inside(score) and _inside(threshold) else RAW


def to_space(value: float, space: str) -> float:
    """``value`` in ``space``: the unclipped logit (0 -> -inf, 1 -> +inf; monotone, so the
    order of a score and a threshold is kept) or the value itself."""
    v = float(value)
    if space == RAW or np.isinf(v) or np.isnan(v):
        return v
    with np.errstate(divide="ignore"):
        return float(np.log(v) - np.log1p(-v))


def ordered_value(value: float, threshold: float, decision: bool) -> float:
    """``value`` (a decision score in a space), moved to the nearest float on the decision's
    side of ``threshold`` where rounding in the map put it on the other side (a score within
    1e-16 of its threshold: the logits' rounding can make them equal)."""
    if np.isnan(value) or np.isnan(threshold) or (value >= threshold) == decision:
        return value
    return threshold if decision else float(np.nextafter(threshold, -np.inf))


def space_label(space: str) -> str:
    """The axis title of ``space``."""
    return "logit of the decision score" if space == LOGIT else "decision score (raw scale)"


@dataclass(frozen=True)
class Step:
    """One step of a decision path: ``start`` (an absolute value), ``step`` (an increment) or
    ``end`` (the decision score in the decision space; the sum of the steps before)."""

    label: str
    value: float
    kind: str


@dataclass(frozen=True)
class ContextStep:
    """How a tag's album context moved its decision (score columns on the tagger's scale;
    ``*_value``: the same in ``space``, where the blend averages)."""

    level: str
    weight: float
    mates: tuple[int, ...]  # ChallengeIDs of the other tracks of the group in the split
    space: str  # where the blend averages: "logit" (clipped) or "raw"
    own_score: float | None
    group_mean: float | None  # mean over the group (this track and its mates), score scale
    blended_score: float | None
    own_value: float | None
    group_mean_value: float | None
    blended_value: float | None
    score_without_context: float  # the decision score of the model with weight 0
    decision_without_context: bool
    moved_by: float | None  # decision space: with context minus without
    decision: bool  # with the context (the model's decision)

    @property
    def flips(self) -> bool:
        """Whether the context changes the decision."""
        return self.decision != self.decision_without_context

    def to_json(self) -> dict:
        out = asdict(self)
        out["mates"] = [int(m) for m in self.mates]
        out["n_tracks"] = len(self.mates) + 1
        out["flips_decision"] = self.flips
        return {k: _plain(v) for k, v in out.items()}


def _plain(value: object) -> object:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def album_of(model: DecisionModel, data: Dataset, row: int) -> tuple[np.ndarray | None, np.ndarray]:
    """The raw rows (model feature order) and ChallengeIDs of ``row``'s group mates in ``data``
    that ``model``'s context blends it with (``(None, [])`` without an active context)."""
    if not model.uses_context:
        return None, np.array([], dtype=np.int64)
    aligned = model.align(data)
    mates = group_mates(aligned, model.context_.level, row)  # type: ignore[union-attr]
    return aligned.X[mates].astype(np.float64), np.asarray(data.ids)[mates]


def context_steps(
    model: DecisionModel,
    x: np.ndarray,
    album: np.ndarray | None,
    mate_ids: Sequence[int],
    tags: Sequence[int],
    decision_scores: np.ndarray,
) -> list[ContextStep | None]:
    """Per tag of ``tags``, its :class:`ContextStep` (None when the model has no active
    context). ``x``: the raw scores; ``album``: its mates' raw rows; ``decision_scores``: the
    model's decision scores of ``x`` with the context (all tags)."""
    ctx = model.context_
    if ctx is None or not model.uses_context:
        return [None] * len(tags)
    x = np.asarray(x, dtype=np.float64)
    rows = x[None] if album is None or len(album) == 0 else np.vstack([x[None], album])
    f = forward(rows.astype(np.float32), ctx.logit_columns_)
    mean = group_means(f, np.zeros(rows.shape[0], dtype=np.int64))[0]
    without = model.context_free_scores(x[None].astype(np.float32))[0]
    idx = np.asarray(model.tag_score_index_)
    thr = np.asarray(model.thresholds_, dtype=np.float64)
    a = float(ctx.alpha_)
    out: list[ContextStep | None] = []
    for t in tags:
        c = int(idx[t])
        own = gm = blended = own_v = gm_v = bl_v = None
        if c >= 0:
            logit_col = bool(ctx.logit_columns_[c])
            own, own_v, gm_v = float(x[c]), float(f[0, c]), float(mean[c])
            bl_v = (1.0 - a) * own_v + a * gm_v
            gm = float(sigmoid(gm_v)) if logit_col else gm_v
            blended = float(np.float32(sigmoid(bl_v) if logit_col else bl_v))
        s, s0 = float(decision_scores[t]), float(without[t])
        space = decision_space(s, thr[t])
        moved = to_space(s, space) - to_space(s0, space)
        step = ContextStep(
            level=ctx.level, weight=a, mates=tuple(int(m) for m in mate_ids),
            space=LOGIT if c >= 0 and ctx.logit_columns_[c] else RAW,
            own_score=own, group_mean=gm, blended_score=blended,
            own_value=own_v, group_mean_value=gm_v, blended_value=bl_v,
            score_without_context=s0, decision_without_context=bool(s0 >= thr[t]),
            moved_by=float(moved) if np.isfinite(moved) else None,
            decision=bool(s >= thr[t]),
        )  # fmt: skip
        out.append(step)
    return out


def mate_flips(
    model: DecisionModel,
    before: np.ndarray,
    after: np.ndarray,
    album: np.ndarray | None,
    mate_ids: Sequence[int],
) -> list[dict]:
    """The decisions of ``before``'s group mates that an edit of its raw scores (to ``after``)
    flips, through the album blend: ``[{track, tag, before, after}]`` (none without context)."""
    if not model.uses_context or album is None or len(album) == 0:
        return []
    from ..models.context import blend

    def decide(x: np.ndarray) -> np.ndarray:
        rows = np.vstack([np.asarray(x, dtype=np.float64)[None], album]).astype(np.float32)
        seen = blend(rows, np.zeros(rows.shape[0], dtype=np.int64), model.context_.alpha_,  # type: ignore[union-attr]
                     model.context_.logit_columns_)  # type: ignore[union-attr]
        return model.context_free_scores(seen[1:]) >= model.thresholds_

    d0, d1 = decide(before), decide(after)
    r, t = np.nonzero(d0 != d1)
    return [{"track": int(mate_ids[i]), "tag": model.tag_names_[j], "before": bool(d0[i, j]),
             "after": bool(d1[i, j])} for i, j in zip(r, t, strict=True)]  # fmt: skip


def correction_steps(
    own_logit: float,
    blend: float,
    reference_correction: float,
    contributions: Sequence[tuple[str, float]],
    end: float,
    k: int = 8,
) -> list[Step]:
    """The path of a tag that keeps the correction: own logit, ``blend`` x reference
    correction, the top ``k`` ``contributions`` (name, logit units of the correction, largest
    first) times ``blend``, the rest, what the quadrature leaves, and ``end``."""
    blend = float(blend)
    steps = [Step("network's own logit", float(own_logit), "start"),
             Step("reference correction", blend * float(reference_correction), "step")]  # fmt: skip
    steps += [Step(name, blend * float(c), "step") for name, c in contributions[:k]]
    rest = blend * float(np.sum(np.asarray([c for _, c in contributions[k:]], dtype=np.float64)))
    if len(contributions) > k:
        steps.append(Step(f"{len(contributions) - k} other features", rest, "step"))
    return _close(steps, end, "quadrature residual")


def score_steps(
    space: str, own: float | None, end: float, context: ContextStep | None
) -> list[Step]:
    """The path of a tag decided by its own score alone: own raw score, the album blend's
    move (with a context) and ``end`` (the decision score in ``space``)."""
    if own is None:
        return [Step("no score column", end, "end")]
    steps = [Step("own score", to_space(own, space), "start")]
    if context is not None:
        steps.append(Step(f"{context.level} context ×{context.weight:g}",
                          end - steps[0].value, "step"))
    return _close(steps, end, "rounding")


def _close(steps: list[Step], end: float, residual: str) -> list[Step]:
    """``steps`` closed by ``end``, with a ``residual`` step where they do not add up to it."""
    total = float(sum(s.value for s in steps))
    if np.isfinite(end) and np.isfinite(total) and abs(end - total) > NEGLIGIBLE:
        steps.append(Step(residual, end - total, "step"))
    return [*steps, Step("decision score", end, "end")]


def digits_apart(a: float, b: float, least: int = 3, most: int = 10) -> int:
    """The fewest significant digits (at least ``least``) at which ``a`` and ``b`` print
    differently (``most`` when they are equal or closer than that)."""
    if not (np.isfinite(a) and np.isfinite(b)) or a == b:
        return least
    for d in range(least, most + 1):
        if f"{a:.{d}g}" != f"{b:.{d}g}":
            return d
    return most


def pair(a: float, b: float, least: int = 3) -> tuple[str, str]:
    """``a`` and ``b`` printed with :func:`digits_apart` significant digits."""
    d = digits_apart(a, b, least)
    return f"{a:.{d}g}", f"{b:.{d}g}"
