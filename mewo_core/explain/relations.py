"""The global relation map of a model on a split, beside the data's own structure.

For every tag that keeps the learned correction and every input feature, over the tracks of a
split (a seeded sample of at most ``max_tracks``):

- ``mean_contribution``: the mean signed Integrated-Gradients contribution of the feature to
  the tag's correction (logit units, against the reference track, see :mod:`.path`);
- ``mean_abs``: the mean absolute contribution;
- ``flip_share``: the share of tracks whose decision for the tag flips when that feature's
  contribution (times the tag's blend weight) is taken out of the logit.

Tags that fall back to the benchmark have no relation (their correction is unused).
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
from .attribution import MAP_STEPS, integrated_gradients, path_integrated_gradients

MAX_TRACKS = 300


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
                    int(a) if a.ndim == 0 else a
                )
        return cls(**values)


def _sample(n: int, max_tracks: int | None, seed: int) -> np.ndarray:
    if max_tracks is None or n <= max_tracks:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 11]).choice(n, max_tracks, replace=False))


def relation_map(
    model: DecisionModel,
    data: Dataset,
    reference: np.ndarray,
    *,
    max_tracks: int | None = MAX_TRACKS,
    n_steps: int = MAP_STEPS,
    seed: int = 0,
    naive: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RelationMap:
    """The relation map of ``model`` (a reservoir-transformer) on ``data``.

    ``naive=True`` computes the same numbers with one Captum call per tag (the benchmark's
    peer).
    """
    view = network_view(model, _map_dtype())
    kept = np.flatnonzero(view.kept)
    data = model.with_context(model.align(data))  # the inputs the network reads
    rows = _sample(data.n_tracks, max_tracks, seed)
    X = data.X[rows].astype(np.float64)
    Z = view.transform(X)
    z_ref = view.transform(np.asarray(reference)[None])[0]
    n_f = Z.shape[1]
    total = np.zeros((kept.size, n_f))
    total_abs = np.zeros((kept.size, n_f))
    flips = np.zeros((kept.size, n_f))
    if kept.size:
        logit = view.own_logit(Z)[:, kept]
        thr = np.asarray(model.thresholds_, dtype=np.float64)[kept]
        with np.errstate(divide="ignore"):
            thr_logit = np.log(thr) - np.log1p(-thr)
        blend = view.blend[kept]
        if naive:
            batches = _naive_batches(view, Z, z_ref, kept, n_steps)
        else:
            batches = path_integrated_gradients(view, Z, z_ref, kept, n_steps)
        for sl, attr in batches:
            c = attr.contributions
            total += c.sum(axis=0)
            total_abs += np.abs(c).sum(axis=0)
            full = logit[sl] + blend * attr.correction
            decided = full >= thr_logit
            without = (full[:, :, None] - blend[:, None] * c) >= thr_logit[:, None]
            flips += (without != decided[:, :, None]).sum(axis=0)
            if progress is not None:
                progress(sl.stop, Z.shape[0])
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
        mean_contribution=total / n,
        mean_abs=total_abs / n,
        flip_share=flips / n,
        n_tracks=len(rows),
        n_steps=n_steps,
    )


def _map_dtype():
    import torch

    return torch.float32


def _naive_batches(view, Z, z_ref, kept, n_steps):  # noqa: ANN001, ANN202
    """One Captum call per tag over all rows (the peer of :func:`path_integrated_gradients`)."""
    per_tag = [integrated_gradients(view, Z, z_ref, [t], n_steps, tolerance=None) for t in kept]
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
    key = f"{model_key}|{data.fingerprint}|{sorted(kwargs.items())}"
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
