"""The global relation map of a model on a split, beside the data's own structure.

For every tag that keeps the learned correction and every input feature, over the tracks of a
split (all of them up to ``max_tracks``, a seeded sample of that many above):

- ``mean_contribution``: the mean signed Integrated-Gradients contribution of the feature to
  the tag's correction (logit units, against the reference track, see :mod:`.path`);
- ``mean_abs``: the mean absolute contribution;
- ``flip_share``: the share of tracks whose decision for the tag flips when that feature's
  contribution (times the tag's blend weight) is taken out of the logit.

Tags that fall back to the benchmark have no relation (their correction is unused). The
integral is computed with :data:`~.attribution.MAP_STEPS` quadrature nodes by one batched
reverse pass for all tags (:mod:`.jacobian`); each map states how well its contributions add
up to the correction's gap (``complete_share``, ``relative_residual``).
:func:`data_structure` gives, for the same (tag, feature) cells, the label co-occurrence lift
and the score correlation on the train part, and :func:`agreement` their Spearman rank
correlation with the map: near 0, the model's relations are not the data's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset, correlations
from ..data.atomic import atomic_file
from ..models.base import DecisionModel
from .adapter import network_view
from .attribution import (
    MAP_STEPS,
    integrated_gradients,
    path_integrated_gradients,
    within_tolerance,
)

MAX_TRACKS = 20_000  # a whole split up to this many tracks (the demo's: 17,389)
CHECK_TRACKS = 64  # tracks attributed again with CHECK_STEPS nodes
CHECK_STEPS = 32  # within 0.15 % of 128 nodes on the demo (benchmarks/bench_explain.py)


@dataclass(frozen=True)
class RelationMap:
    """Per kept tag (rows) and input feature (columns): see the module docstring."""

    tag_names: tuple[str, ...]
    tag_classes: tuple[str, ...]
    tag_categories: tuple[str, ...]
    feature_names: tuple[str, ...]
    feature_classes: tuple[str, ...]
    feature_categories: tuple[str, ...]
    mean_contribution: np.ndarray
    mean_abs: np.ndarray
    flip_share: np.ndarray
    n_tracks: int
    n_steps: int
    #: share of (track, tag) pairs whose contributions add up to the correction's gap within
    #: 1 % (:func:`~.attribution.within_tolerance`), and sum |residual| / sum |gap|
    complete_share: float = float("nan")
    relative_residual: float = float("nan")
    #: ``check_tracks`` of the tracks attributed again with ``check_steps`` nodes: max |mean
    #: contribution (map's nodes) - mean contribution (check's)| / max |the check's|, on them
    check_tracks: int = 0
    check_steps: int = 0
    check_error: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per (tag, feature), strongest mean absolute contribution first."""
        t, f = np.meshgrid(np.arange(len(self.tag_names)), np.arange(len(self.feature_names)),
                           indexing="ij")
        t, f = t.ravel(), f.ravel()
        frame = pd.DataFrame(
            {
                "tag": np.asarray(self.tag_names, dtype=object)[t],
                "tag_class": np.asarray(self.tag_classes, dtype=object)[t],
                "tag_category": np.asarray(self.tag_categories, dtype=object)[t],
                "feature": np.asarray(self.feature_names, dtype=object)[f],
                "feature_class": np.asarray(self.feature_classes, dtype=object)[f],
                "feature_category": np.asarray(self.feature_categories, dtype=object)[f],
                "mean_contribution": self.mean_contribution.ravel(),
                "mean_abs_contribution": self.mean_abs.ravel(),
                "flip_share": self.flip_share.ravel(),
            }
        )
        return frame.sort_values("mean_abs_contribution", ascending=False, kind="stable")

    def save(self, path: str | Path) -> None:
        """An ``.npz`` (no pickles), written atomically."""
        arrays = {
            f.name: np.asarray(getattr(self, f.name), dtype=str)
            if isinstance(getattr(self, f.name), tuple)
            else np.asarray(getattr(self, f.name))
            for f in fields(self)
        }
        with atomic_file(path) as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> RelationMap:
        with np.load(path, allow_pickle=False) as npz:
            values = {}
            for f in fields(cls):
                a = npz[f.name]
                values[f.name] = (
                    tuple(a.tolist()) if a.dtype.kind == "U" else
                    a.item() if a.ndim == 0 else a
                )
        return cls(**values)


def _sample(n: int, max_tracks: int | None, seed: int) -> np.ndarray:
    if max_tracks is None or n <= max_tracks:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 11]).choice(n, max_tracks, replace=False))


@dataclass
class _Sums:
    """Per (kept tag, feature) sums over tracks, and the completeness tallies."""

    total: np.ndarray
    total_abs: np.ndarray
    flips: np.ndarray
    n_complete: int = 0
    residual: float = 0.0
    gap: float = 0.0

    @classmethod
    def zeros(cls, shape: tuple[int, int]) -> _Sums:
        return cls(np.zeros(shape), np.zeros(shape), np.zeros(shape))


def _sums(view, Z, z_ref, kept, n_steps, model, naive=False, progress=None) -> _Sums:  # noqa: ANN001
    """The map's sums over the rows of ``Z`` with ``n_steps`` quadrature nodes."""
    out = _Sums.zeros((kept.size, Z.shape[1]))
    if not kept.size:
        return out
    logit = view.own_logit(Z)[:, kept]
    thr = np.asarray(model.thresholds_, dtype=np.float64)[kept]
    with np.errstate(divide="ignore"):
        thr_logit = np.log(thr) - np.log1p(-thr)
    blend = view.blend[kept]
    batches = (_naive_batches(view, Z, z_ref, kept, n_steps) if naive
               else path_integrated_gradients(view, Z, z_ref, kept, n_steps))
    for sl, attr in batches:
        c = attr.contributions
        out.total += c.sum(axis=0)
        out.total_abs += np.abs(c).sum(axis=0)
        full = logit[sl] + blend * attr.correction
        decided = full >= thr_logit
        without = (full[:, :, None] - blend[:, None] * c) >= thr_logit[:, None]
        out.flips += (without != decided[:, :, None]).sum(axis=0)
        out.n_complete += int(within_tolerance(attr).sum())
        out.residual += float(attr.completeness_error().sum())
        out.gap += float(np.abs(attr.correction - attr.reference_correction).sum())
        if progress is not None:
            progress(sl.stop, Z.shape[0])
    return out


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b| (NaN when b is 0 everywhere)."""
    top = float(np.abs(b).max()) if b.size else 0.0
    return float(np.abs(a - b).max()) / top if top > 0 else float("nan")


def relation_map(
    model: DecisionModel,
    data: Dataset,
    reference: np.ndarray,
    *,
    max_tracks: int | None = MAX_TRACKS,
    n_steps: int = MAP_STEPS,
    seed: int = 0,
    naive: bool = False,
    check_tracks: int = CHECK_TRACKS,
    check_steps: int = CHECK_STEPS,
    progress: Callable[[int, int], None] | None = None,
) -> RelationMap:
    """The relation map of ``model`` (a reservoir-transformer) on ``data``.

    ``check_tracks`` of the map's tracks (seeded) are attributed again with ``check_steps``
    nodes: the map states how far its mean contributions on them are from that full integral
    (``check_error``; 0 tracks: no check). ``naive=True`` computes the same numbers with one
    Captum call per tag (the benchmark's peer).
    """
    view = network_view(model, _map_dtype())
    kept = np.flatnonzero(view.kept)
    data = model.with_context(model.align(data))  # the inputs the network reads
    rows = _sample(data.n_tracks, max_tracks, seed)
    Z = view.transform(data.X[rows].astype(np.float64))
    z_ref = view.transform(np.asarray(reference)[None])[0]
    sums = _sums(view, Z, z_ref, kept, n_steps, model, naive, progress)
    check_error = float("nan")
    n_check = min(check_tracks, len(rows)) if kept.size else 0
    if n_check:
        Zc = Z[_sample(len(rows), n_check, seed + 1)]
        fine = _sums(view, Zc, z_ref, kept, check_steps, model)
        coarse = _sums(view, Zc, z_ref, kept, n_steps, model)
        check_error = _relative_error(coarse.total, fine.total)
    n = max(len(rows), 1)
    tax_t = model.taxonomy_.subset([model.tag_names_[t] for t in kept])
    tax_f = model.taxonomy_.subset(list(model.feature_names_))
    return RelationMap(
        tag_names=tuple(model.tag_names_[t] for t in kept),
        tag_classes=tax_t.classes,
        tag_categories=tax_t.categories,
        feature_names=tuple(model.feature_names_),
        feature_classes=tax_f.classes,
        feature_categories=tax_f.categories,
        mean_contribution=sums.total / n,
        mean_abs=sums.total_abs / n,
        flip_share=sums.flips / n,
        n_tracks=len(rows),
        n_steps=n_steps,
        complete_share=sums.n_complete / (len(rows) * kept.size) if kept.size else float("nan"),
        relative_residual=sums.residual / sums.gap if sums.gap > 0 else float("nan"),
        check_tracks=n_check,
        check_steps=check_steps,
        check_error=check_error,
    )


def _map_dtype():
    import torch

    return torch.float32


def _naive_batches(view, Z, z_ref, kept, n_steps):  # noqa: ANN001, ANN202
    """One Captum call per tag over all rows (the peer of :func:`path_integrated_gradients`)."""
    per_tag = [integrated_gradients(view, Z, z_ref, [t], n_steps, tolerance=None, method="captum")
               for t in kept]
    from .attribution import Attribution

    yield slice(0, Z.shape[0]), Attribution(
        kept,
        np.concatenate([a.correction for a in per_tag], axis=1),
        np.concatenate([a.reference_correction for a in per_tag]),
        np.concatenate([a.contributions for a in per_tag], axis=1),
    )


@dataclass(frozen=True)
class DataStructure:
    """For the map's (tag, feature) cells: label lift (NaN for non-tag features or rare tags)
    and the correlation of the tag's score with the feature's score, on the train part."""

    lift: np.ndarray
    score_correlation: np.ndarray


def data_structure(relations: RelationMap, train: Dataset) -> DataStructure:
    """Lift and score correlation on ``train`` (its labels and raw scores), map-shaped."""
    feats = list(train.feature_names)
    classes = train.taxonomy.subset(feats).classes
    cats = train.taxonomy.subset(feats).categories
    corr = correlations.correlation(train.X, feats, classes, cats, "score correlation")
    cpos = {n: i for i, n in enumerate(corr.names)}
    lift = correlations.lift(
        train.require_labels(), train.tag_names, train.tag_classes, train.tag_categories
    )
    lpos = {n: i for i, n in enumerate(lift.names)}
    L = np.full(relations.mean_abs.shape, np.nan)
    C = np.full(relations.mean_abs.shape, np.nan)
    for i, tag in enumerate(relations.tag_names):
        for j, feat in enumerate(relations.feature_names):
            if tag in lpos and feat in lpos and feat != tag:
                L[i, j] = lift.values[lpos[tag], lpos[feat]]
            if tag in cpos and feat in cpos and feat != tag:
                C[i, j] = corr.values[cpos[tag], cpos[feat]]
    return DataStructure(L, C)


def agreement(relations: RelationMap, structure: DataStructure) -> dict[str, float]:
    """Spearman rank correlations between the map and the data's structure, over cells other
    than a tag with its own score: mean contribution vs log2 lift, mean |contribution| vs
    |score correlation|, and mean contribution vs score correlation (NaN when undefined)."""
    from scipy.stats import spearmanr

    out: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lift = np.log2(structure.lift)
    pairs = {
        "signed_vs_log_lift": (relations.mean_contribution, log_lift),
        "abs_vs_abs_score_correlation": (relations.mean_abs, np.abs(structure.score_correlation)),
        "signed_vs_score_correlation": (relations.mean_contribution, structure.score_correlation),
    }
    for name, (a, b) in pairs.items():
        ok = np.isfinite(a) & np.isfinite(b)
        out[f"{name}_pairs"] = int(ok.sum())
        if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
            out[name] = float("nan")
        else:
            out[name] = float(spearmanr(a[ok], b[ok]).statistic)
    return out


def top_relations(
    relations: RelationMap, structure: DataStructure | None = None, top: int = 30
) -> pd.DataFrame:
    """The ``top`` (tag, feature) relations by mean absolute contribution, with the data's
    lift and score correlation beside them when ``structure`` is given."""
    frame = relations.to_frame()
    if structure is not None:
        frame["lift"] = structure.lift.ravel()[frame.index]
        frame["score_correlation"] = structure.score_correlation.ravel()[frame.index]
    return frame.head(top).reset_index(drop=True)


def cached_relation_map(
    model: DecisionModel,
    model_key: str,
    data: Dataset,
    reference: np.ndarray,
    cache_dir: str | Path,
    progress: Callable[[int, int], None] | None = None,
    **kwargs,
) -> RelationMap:
    """:func:`relation_map`, kept on disk by model id, data fingerprint and settings
    (``progress``: see :func:`relation_map`; not part of the key)."""
    settings = {"max_tracks": MAX_TRACKS, "n_steps": MAP_STEPS, "seed": 0,
                "check_tracks": CHECK_TRACKS, "check_steps": CHECK_STEPS} | kwargs
    key = f"{model_key}|{data.fingerprint}|{sorted(settings.items())}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"relations-{digest}.npz"
    if path.exists():
        try:
            return RelationMap.load(path)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    result = relation_map(model, data, reference, progress=progress, **kwargs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        result.save(path)
    except OSError:
        pass  # a read-only cache only costs speed
    return result
