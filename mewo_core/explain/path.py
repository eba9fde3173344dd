"""Local explanations: per tag, the decision path and the attribution of the correction.

A decision of a threshold model is ``score >= threshold``; :func:`threshold_sources` says where
each threshold came from. A reservoir-transformer's decision for a tag that keeps the learned
correction (``blend > 0``) is::

    own score -> own logit -> + blend * correction -> probability -> >= threshold

and the correction is attributed to every input feature (:mod:`.attribution`) against the
**reference track**: per feature, the median raw score of the training rows (the model's
train part: fit + validation splits; a seeded sample of :data:`REFERENCE_ROWS` of them when
there are more). Contributions add up to
``correction - reference_correction`` (logit units). Tags that fall back to the benchmark
(and every tag of a threshold model) decide on their own (album-blended) raw score alone: no
attribution is computed for them. Every explanation states its path in one space, the one
its threshold lives in (:mod:`.decision`), with the album context as a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..data import Dataset
from ..models.base import DecisionModel
from ..models.context import blend
from .adapter import NetworkView, has_correction, network_view
from .attribution import N_STEPS, integrated_gradients
from .decision import (
    LOGIT,
    ContextStep,
    Step,
    context_steps,
    correction_steps,
    decision_space,
    ordered_value,
    pair,
    score_steps,
    to_space,
)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


#: the reference track is the median over at most this many training tracks (a seeded sample of
#: a larger train part: 1M-track catalogues); the default demo's train part (87,262) is whole
REFERENCE_ROWS = 200_000


def reference_track(
    model: DecisionModel, train: Dataset, max_rows: int = REFERENCE_ROWS, seed: int = 0
) -> np.ndarray:
    """The reference input: per feature (in the model's order), the median training score the
    model reads (after its group context's blend, if it has one), over every training track up
    to ``max_rows``, else over a seeded sample of that many."""
    X = model.with_context(model.align(train)).X
    rows = None
    if X.shape[0] > max_rows:
        drawn = np.random.default_rng([seed, 23]).choice(X.shape[0], max_rows, replace=False)
        rows = np.sort(drawn)
    return _column_medians(X, rows).astype(np.float64)


def _column_medians(X: np.ndarray, rows: np.ndarray | None = None, block: int = 32) -> np.ndarray:
    """``np.median(X[rows], axis=0)`` (``rows`` None: all), equal to it, on contiguous column
    blocks (faster: a median along axis 0 partitions strided columns). The sampled rows are
    gathered column by column when ``X`` is in Fortran order (a row gather there reads every
    column once per row: 1.0 s of 1.8 at 800,000 x 289)."""
    if rows is not None and not (X.flags.f_contiguous and not X.flags.c_contiguous):
        X, rows = X[rows], None
    n = X.shape[0] if rows is None else rows.size
    out = np.empty(X.shape[1], dtype=np.result_type(X.dtype, np.float32))
    for j in range(0, X.shape[1], block):
        width = min(block, X.shape[1] - j)
        if rows is None:
            block_copy = np.array(X[:, j : j + width].T, order="C")  # always a copy: partitioned
        else:
            block_copy = np.empty((width, n), dtype=X.dtype)
            for k in range(width):
                np.take(X[:, j + k], rows, out=block_copy[k])
        out[j : j + width] = np.median(block_copy, axis=1, overwrite_input=True)
    return out


@dataclass
class TagExplanation:
    """One tag's decision for one track, its path and its attribution."""

    tag: str
    cls: str
    category: str
    score: float | None
    probability: float
    threshold: float
    decision: bool
    baseline_threshold: float
    baseline_decision: bool
    uses_correction: bool
    blend: float = 0.0
    own_logit: float | None = None
    correction: float | None = None
    reference_correction: float | None = None
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the decision space (``logit`` / ``raw``), the decision score and threshold there
    space: str = LOGIT
    decision_value: float = float("nan")
    threshold_value: float = float("nan")
    steps: list[Step] = field(default_factory=list)
    context: ContextStep | None = None
    #: the network's standardised input of the tag's own score (not a logit)
    standardised_input: float | None = None
    raw_score: float | None = None  # the own score before any album blend
    learned: bool = False  # the model has a learned correction (unused where blend is 0)

    @property
    def decision_score(self) -> float:
        """What the threshold applies to: the probability where the correction is used, else
        the (album-blended) raw score."""
        return self.probability

    @property
    def explained_by(self) -> str:
        """``correction`` (the learned correction moves the decision), ``score`` (only its own,
        album-blended, score and the threshold decide) or ``no score column``."""
        if self.uses_correction:
            return "correction"
        return "score" if self.score is not None else "no score column"

    @property
    def logit(self) -> float | None:
        """The model's logit when the correction is used (own + blend * correction)."""
        if self.own_logit is None or self.correction is None:
            return None
        return self.own_logit + self.blend * self.correction

    def to_json(self, top: int | None = None) -> dict:
        """The CLI's ``--json`` shape (``contributions``: every feature unless ``top``)."""
        contrib = self.contributions if top is None else self.contributions.head(top)
        return {
            "tag": self.tag,
            "class": self.cls,
            "category": self.category,
            "score": None if self.score is None else _finite(self.score),
            "probability": _finite(self.probability),
            "threshold": _finite(self.threshold),
            "decision": bool(self.decision),
            "baseline_threshold": _finite(self.baseline_threshold),
            "baseline_decision": bool(self.baseline_decision),
            "uses_correction": bool(self.uses_correction),
            "explained_by": self.explained_by,
            "decision_score": _finite(self.probability),
            "space": self.space,
            "decision_value": _finite(self.decision_value),
            "threshold_value": _finite(self.threshold_value),
            "path": [{"step": p.label, "value": _finite(p.value), "kind": p.kind}
                     for p in self.steps],
            "context": None if self.context is None else self.context.to_json(),
            "standardised_input": self.standardised_input,
            "own_logit": self.own_logit,
            "blend": float(self.blend),
            "correction": self.correction,
            "reference_correction": self.reference_correction,
            "contributions": [
                {
                    "feature": r.feature,
                    "value": float(r.value),
                    "reference": float(r.reference),
                    "contribution": float(r.contribution),
                }
                for r in contrib.itertuples(index=False)
            ],
        }

    def in_words(self, k: int = 3) -> str:
        """The top contributors as "rock 0.81 → +0.62" (raw score, then the move of the
        decision's logit: contribution × blend), zero contributions left out; for a tag decided
        by its score alone, that sentence instead."""
        if not self.uses_correction:
            return self.decided_by_words()
        rows = self.contributions[self.contributions["contribution"] != 0].head(k)
        if rows.empty:
            return "no feature moves the correction away from the reference track"
        return ", ".join(
            f"{r.feature} {r.value:.2f} → {self.blend * r.contribution:+.2f}"
            for r in rows.itertuples()
        )

    def decided_by_words(self) -> str:
        """Who decided, in words (no list of zero contributions)."""
        if self.score is None:
            return ("the tag has no score column in the data: nothing can put it above its "
                    "threshold, so it is never predicted")
        what = "album-blended score" if self.context is not None else "own score"
        used = " (the learned correction is not used for this tag)" if self.learned else ""
        return f"nothing but its {what} and its threshold decided this tag{used}"

    def verdict(self) -> str:
        """``decision score vs threshold → yes/no``, with digits enough to tell them apart."""
        s, t = pair(self.probability, self.threshold)
        cmp = "≥" if self.decision else "<"
        return f"{s} {cmp} threshold {t} → {'yes' if self.decision else 'no'}"

    def path_words(self) -> str:
        """The decision path in one line, in the decision space (see :mod:`.decision`)."""
        parts = []
        ctx = self.context
        if self.score is None and not self.uses_correction:
            return self.decided_by_words()
        if self.score is None:
            parts.append("no own score column")
        else:
            own = self.raw_score if self.raw_score is not None else self.score
            parts.append(f"own score {own:.4g}")
        if ctx is not None and ctx.own_score is not None:
            parts.append(
                f"{ctx.level} context: its {ctx.level}'s {len(ctx.mates) + 1} tracks here "
                f"(this one and {len(ctx.mates)} mates) average {ctx.group_mean:.4g}, weight "
                f"{ctx.weight:g} → blended score {self.score:.4g}")
        if self.uses_correction:
            if self.standardised_input is not None:
                parts.append(f"network's standardised input z {self.standardised_input:+.3f} "
                             "(not a logit)")
            parts.append(f"network's own logit {self.own_logit:+.3f}")
            parts.append(f"+ correction {self.correction:+.3f} × blend {self.blend:g}")
        dv, tv = pair(self.decision_value, self.threshold_value)
        where = "logit" if self.space == LOGIT else "raw scale"
        parts.append(f"{where} {dv} vs threshold {tv}")
        text = " → ".join(parts) + f": {self.verdict()}"
        if ctx is not None:
            flip = "flips" if ctx.flips else "keeps"
            without = "yes" if ctx.decision_without_context else "no"
            moved = "" if ctx.moved_by is None else f"moved it by {ctx.moved_by:+.3f} ({where}); "
            text += (f". The {ctx.level} context {moved}without it the decision would be "
                     f"{without} (score {ctx.score_without_context:.4g}): the context {flip} it")
        return text


class Explainer:
    """Explains a fitted model's decisions for single tracks (and edited copies of them).

    ``model``: any fitted :class:`DecisionModel`; ``baseline``: the per-tag-threshold baseline
    on the same data; ``reference``: raw scores of the reference track (model feature order).
    """

    def __init__(
        self,
        model: DecisionModel,
        baseline: DecisionModel,
        reference: np.ndarray,
        n_steps: int = N_STEPS,
    ) -> None:
        self.model = model
        self.baseline = baseline
        self.reference = np.asarray(reference, dtype=np.float64)
        self.n_steps = n_steps
        self.view: NetworkView | None = (
            network_view(model, torch.float32) if has_correction(model) else None
        )
        self._z_ref = None if self.view is None else self.view.transform(self.reference[None])[0]
        tax = model.taxonomy_.subset(model.tag_names_)
        self.tag_classes, self.tag_categories = tax.classes, tax.categories

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.model.feature_names_)

    def _row(self, x: np.ndarray) -> Dataset:
        return Dataset(
            X=np.asarray(x, dtype=np.float32).reshape(1, -1),
            Y=None,
            ids=np.array([0]),
            feature_names=self.feature_names,
            tag_names=tuple(self.model.tag_names_),
            taxonomy=self.model.taxonomy_,
            name="track",
        )

    def model_input(self, x: np.ndarray, album: np.ndarray | None = None) -> np.ndarray:
        """The scores the model reads for the raw scores ``x``: ``x`` itself, or, for a model
        with a group context, ``x`` blended with ``album`` (the raw rows of the other tracks of
        its group; none: the track alone), as ``predict`` blends it."""
        x = np.asarray(x, dtype=np.float64)
        ctx = self.model.context_
        if ctx is None or not self.model.uses_context:
            return x
        rows = x[None] if album is None or len(album) == 0 else np.vstack([x[None], album])
        together = np.zeros(rows.shape[0], dtype=np.int64)
        blended = blend(rows.astype(np.float32), together, ctx.alpha_, ctx.logit_columns_)
        return blended[0].astype(np.float64)

    def decisions(
        self, x: np.ndarray, album: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probability, decision, baseline decision) per tag, exactly as ``predict`` does
        (``album``: see :meth:`model_input`)."""
        row = self._row(x)
        seen = self.model_input(x, album).astype(np.float32)[None]
        proba = self.model.context_free_scores(seen)[0]
        base = self.baseline.decision_scores(row)[0] >= self.baseline.thresholds_
        return proba, proba >= self.model.thresholds_, base

    def default_tags(self, x: np.ndarray, album: np.ndarray | None = None) -> list[int]:
        """Tags where the model and the baseline disagree, then the positive decisions."""
        _, dec, base = self.decisions(x, album)
        disagree = np.flatnonzero(dec != base)
        positive = np.flatnonzero(dec & (dec == base))
        return [*disagree.tolist(), *positive.tolist()]

    def explain(
        self,
        x: np.ndarray,
        tags: Sequence[int] | None = None,
        album: np.ndarray | None = None,
        mate_ids: Sequence[int] = (),
    ) -> list[TagExplanation]:
        """Explanations of ``tags`` (default :meth:`default_tags`) for raw scores ``x``; with a
        group context, of the blended scores the model reads (``album``: :meth:`model_input`;
        ``mate_ids``: those tracks' ChallengeIDs), which ``score`` and the contributions'
        values then show, the context itself being a step of each path (:mod:`.decision`).
        Only tags that keep the learned correction are attributed."""
        proba, dec, base = self.decisions(x, album)
        tags = self.default_tags(x, album) if tags is None else list(tags)
        raw = np.asarray(x, dtype=np.float32).astype(np.float64)  # what the model reads
        x = self.model_input(raw, album)
        idx = np.asarray(self.model.tag_score_index_)
        contexts = context_steps(self.model, raw, album, mate_ids, tags, proba)
        kept = [t for t in tags if self.view is not None and self.view.blend[t] > 0]
        attr = None
        if self.view is not None and kept:
            z = self.view.transform(x[None])
            attr = integrated_gradients(self.view, z, self._z_ref, kept, self.n_steps)
            own = self.view.own_logit(z)[0]
        out = []
        for t, context in zip(tags, contexts, strict=True):
            name = self.model.tag_names_[t]
            thr = float(self.model.thresholds_[t])
            space = decision_space(float(proba[t]), thr)
            exp = TagExplanation(
                tag=name,
                cls=self.tag_classes[t],
                category=self.tag_categories[t],
                score=float(x[idx[t]]) if idx[t] >= 0 else None,
                probability=float(proba[t]),
                threshold=thr,
                decision=bool(dec[t]),
                baseline_threshold=float(self.baseline.thresholds_[t]),
                baseline_decision=bool(base[t]),
                uses_correction=False,
                space=space,
                decision_value=ordered_value(to_space(float(proba[t]), space),
                                             to_space(thr, space), bool(dec[t])),
                threshold_value=to_space(thr, space),
                context=context,
                raw_score=float(raw[idx[t]]) if idx[t] >= 0 else None,
                learned=self.view is not None,
            )
            if attr is not None and t in kept:
                j = kept.index(t)
                exp.blend = float(self.view.blend[t])  # type: ignore[union-attr]
                exp.uses_correction = True
                exp.own_logit = float(own[t])
                exp.standardised_input = float(z[0, idx[t]]) if idx[t] >= 0 else None
                exp.correction = float(attr.correction[0, j])
                exp.reference_correction = float(attr.reference_correction[j])
                c = attr.contributions[0, j]
                order = np.argsort(-np.abs(c), kind="stable")
                exp.contributions = pd.DataFrame(
                    {
                        "feature": [self.feature_names[i] for i in order],
                        "value": x[order],
                        "reference": self.reference[order],
                        "contribution": c[order],
                    }
                )
                exp.steps = correction_steps(
                    exp.own_logit, exp.blend, exp.reference_correction,
                    list(zip(exp.contributions["feature"], c[order], strict=True)),
                    exp.decision_value,
                )  # fmt: skip
            else:
                exp.steps = score_steps(space, exp.raw_score, exp.decision_value, context)
            out.append(exp)
        return out


def threshold_sources(
    model: DecisionModel,
    train: Dataset,
    validation: Dataset | None = None,
    validation_scores: np.ndarray | None = None,
    tags: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per tag, where its threshold came from: estimator, positives it was tuned on, the
    benchmark's threshold on the same rows and how far robust estimation moved it.

    ``train``: the model's train part (fit + validation); ``validation`` and the model's scores
    there (all tags) are needed for a reservoir-transformer's tags that keep the correction.
    ``tags``: only these rows (the same values; only their score columns are blended and
    tuned, so one tag costs one column).
    """
    from ..models.context import LEVELS
    from ..models.context import blend as group_blend
    from ..scoring.thresholds import f1_optimal_thresholds

    tags = np.arange(len(model.tag_names_)) if tags is None else np.asarray(tags, dtype=np.int64)
    train = model.align(train)
    idx = np.asarray(model.tag_score_index_)[tags]
    cols = idx[idx >= 0]
    X = train.X[:, cols]
    if model.uses_context:  # the scores its thresholds apply to (the blend is per column)
        ctx = model.context_
        members = train.groups[LEVELS[ctx.level]].to_numpy()  # type: ignore[union-attr, index]
        X = group_blend(X, members, ctx.alpha_, ctx.logit_columns_[cols])  # type: ignore[union-attr]
    scores = np.full((train.n_tracks, tags.size), -np.inf, dtype=train.X.dtype)
    scores[:, idx >= 0] = X
    labels = train.require_labels()[:, tags]
    finite = np.isfinite(scores).all(axis=0)
    bench = np.full(tags.size, np.inf)
    if finite.any():
        bench[finite] = f1_optimal_thresholds(scores[:, finite], labels[:, finite])
    positives = labels.sum(axis=0).astype(np.int64)
    kind = model.model_type
    scores_word = (f"{model.context_.level}-blended raw scores" if model.uses_context  # type: ignore[union-attr]
                   else "raw scores")
    if kind == "baseline":
        estimator = ["benchmark: per-tag F1 optimum on train"] * len(bench)
    elif kind == "global-threshold":
        estimator = [f"fixed {getattr(model, 'threshold', 0.5)}"] * len(bench)
    elif kind == "robust-thresholds":
        estimator = [
            f"{model.chosen_ or model.method} for {model.metric} F1 on {scores_word}, train"
        ] * len(bench)
    else:
        estimator = [
            f"{getattr(model, 'threshold_method', '?')} on {scores_word}, train (fallback)"
        ] * len(bench)
    if has_correction(model):
        kept = np.asarray(model.blend_weights_)[tags] > 0
        if kept.any() and validation is not None and validation_scores is not None:
            yv = validation.require_labels()[:, tags[kept]]
            bench[kept] = f1_optimal_thresholds(validation_scores[:, tags[kept]], yv)
            positives[kept] = yv.sum(axis=0)
        for t in np.flatnonzero(kept):
            estimator[t] = (
                f"{model.threshold_method} on the probability (own logit + blend × correction), "
                "validation split"
            )
        if validation is None:
            bench[kept] = np.nan
    thr = np.asarray(model.thresholds_, dtype=np.float64)[tags]
    with np.errstate(invalid="ignore"):
        shift = np.where(np.isfinite(thr) & np.isfinite(bench), thr - bench, np.nan)
    tax = model.taxonomy_.subset(model.tag_names_)
    return pd.DataFrame(
        {
            "tag": [model.tag_names_[t] for t in tags],
            "class": [tax.classes[t] for t in tags],
            "category": [tax.categories[t] for t in tags],
            "threshold": thr,
            "estimator": estimator,
            "positives": positives,
            "benchmark_threshold": bench,
            "moved_by": shift,
        }
    )
