"""Multi-label F1 metrics from 0/1 decision matrices (tracks x tags), computed from counts.

Semantics follow scikit-learn's ``f1_score`` / ``precision_recall_fscore_support`` /
``classification_report`` with ``zero_division=0``: a ratio whose denominator is 0 counts as
0; macro averages over *all* tags (tags without true and predicted positives count 0);
weighted averages weight each tag by its support (0 when there is no support at all);
samples averages the per-track scores (a track with no true and no predicted tag counts 0).

Counts are taken once as column and row sums of uint8 views (partial sums in uint8 blocks of
255 cannot overflow), and every average is derived from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "AVERAGES",
    "DecisionCounts",
    "aggregate_table",
    "classification_summary",
    "count_decisions",
    "f1_from_counts",
    "safe_ratio",
    "tag_f1",
    "f1_scores",
    "per_tag_table",
]

AVERAGES = ("weighted", "micro", "macro", "samples")
_BLOCK = 255  # uint8 partial sums of at most 255 zeros/ones cannot overflow


@dataclass(frozen=True)
class DecisionCounts:
    """Per tag (columns) and per track (rows): true positives, predicted and true counts."""

    tp: np.ndarray
    pred: np.ndarray
    true: np.ndarray
    row_tp: np.ndarray
    row_pred: np.ndarray
    row_true: np.ndarray

    @property
    def fp(self) -> np.ndarray:
        return self.pred - self.tp

    @property
    def fn(self) -> np.ndarray:
        return self.true - self.tp


def _as_binary(a: np.ndarray, name: str) -> np.ndarray:
    """A 2-D C-contiguous bool matrix; other dtypes must hold only 0 and 1."""
    m = np.asarray(a)
    if m.ndim != 2:
        raise ValueError(f"{name} must be 2-D (tracks x tags), got shape {m.shape}")
    if m.dtype != np.bool_:
        if m.size and not ((m == 0) | (m == 1)).all():
            raise ValueError(f"{name} must hold only 0 and 1")
        m = m.astype(bool)
    return np.ascontiguousarray(m)


def _check_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = _as_binary(y_true, "y_true"), _as_binary(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true shape {t.shape} and y_pred shape {p.shape} differ")
    return t, p


def _column_counts(m: np.ndarray) -> np.ndarray:
    """Number of True per column (int64)."""
    u = m.view(np.uint8)
    full = (u.shape[0] // _BLOCK) * _BLOCK
    out = u[full:].sum(axis=0, dtype=np.int64)
    if full:
        blocks = u[:full].reshape(-1, _BLOCK, u.shape[1]).sum(axis=1, dtype=np.uint8)
        out += blocks.sum(axis=0, dtype=np.int64)
    return out


def _row_counts(m: np.ndarray) -> np.ndarray:
    """Number of True per row (int64)."""
    u = m.view(np.uint8)
    out = np.zeros(u.shape[0], dtype=np.int64)
    for c in range(0, u.shape[1], _BLOCK):
        out += u[:, c : c + _BLOCK].sum(axis=1, dtype=np.uint8)
    return out


def count_decisions(y_true: np.ndarray, y_pred: np.ndarray) -> DecisionCounts:
    """All counts the metrics need, from two 0/1 matrices of the same shape."""
    t, p = _check_pair(y_true, y_pred)
    both = t & p
    return DecisionCounts(
        tp=_column_counts(both),
        pred=_column_counts(p),
        true=_column_counts(t),
        row_tp=_row_counts(both),
        row_pred=_row_counts(p),
        row_true=_row_counts(t),
    )


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den == 0`` (float64)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _f1(tp: np.ndarray, pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    return safe_ratio(2 * tp, pred + true)


def tag_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Per-tag F1 from counts: ``2tp / (2tp + fp + fn)``, 0 where a tag has neither positives
    nor positive decisions (scikit-learn's ``zero_division=0``)."""
    tp = np.asarray(tp, dtype=np.float64)
    return safe_ratio(2 * tp, 2 * tp + np.asarray(fp) + np.asarray(fn))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    return float(values @ weights / total) if total else 0.0


def f1_from_counts(c: DecisionCounts) -> dict[str, float]:
    """The four F1 averages (``weighted``, ``micro``, ``macro``, ``samples``) from counts."""
    per_tag = _f1(c.tp, c.pred, c.true)
    return {
        "weighted": _weighted(per_tag, c.true),
        "micro": float(_f1(c.tp.sum(), c.pred.sum(), c.true.sum())),
        "macro": _mean(per_tag),
        "samples": _mean(_f1(c.row_tp, c.row_pred, c.row_true)),
    }


def f1_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """F1 ``weighted``, ``micro``, ``macro`` and ``samples`` (scikit-learn, zero_division=0)."""
    return f1_from_counts(count_decisions(y_true, y_pred))


def _tag_frame(
    tags: Sequence[str], tp: np.ndarray, pred: np.ndarray, true: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tag": list(tags),
            "tp": tp,
            "fp": pred - tp,
            "fn": true - tp,
            "support": true,
            "precision": safe_ratio(tp, pred),
            "recall": safe_ratio(tp, true),
            "f1": _f1(tp, pred, true),
        }
    )


def per_tag_table(y_true: np.ndarray, y_pred: np.ndarray, tag_names: Sequence[str]) -> pd.DataFrame:
    """One row per tag: tag, tp, fp, fn, support, precision, recall, f1 (zero_division=0)."""
    t, p = _check_pair(y_true, y_pred)
    if len(tag_names) != t.shape[1]:
        raise ValueError(f"{len(tag_names)} tag names for {t.shape[1]} tag columns")
    return _tag_frame(tag_names, _column_counts(t & p), _column_counts(p), _column_counts(t))


def aggregate_table(
    table: pd.DataFrame,
    groups: Mapping[str, object] | pd.Series,
    *,
    name: str = "group",
    missing: object | None = None,
) -> pd.DataFrame:
    """Per group of tags (e.g. category or class), from a :func:`per_tag_table`.

    ``groups`` maps a tag to its group; tags it lacks are left out, or pooled under
    ``missing`` when given. Columns: ``name``, n_tags, support, tp, fp, fn, precision,
    recall, f1 (micro over the group's tags), macro_f1, weighted_f1 (support-weighted).
    Groups keep their order of first appearance in ``table``.
    """
    mapping = groups.to_dict() if isinstance(groups, pd.Series) else dict(groups)
    keys = [mapping.get(tag, missing) for tag in table["tag"]]
    keep = np.array([k is not None for k in keys], dtype=bool)
    t = table.loc[keep, ["tp", "fp", "fn", "support", "f1"]].assign(
        **{name: [k for k in keys if k is not None]},
        _wf1=lambda d: d["f1"] * d["support"],
    )
    out = (
        t.groupby(name, sort=False)
        .agg(
            n_tags=("f1", "size"),
            support=("support", "sum"),
            tp=("tp", "sum"),
            fp=("fp", "sum"),
            fn=("fn", "sum"),
            macro_f1=("f1", "mean"),
            _wf1=("_wf1", "sum"),
        )
        .reset_index()
    )
    tp, fp, fn = (out[c].to_numpy(dtype=np.int64) for c in ("tp", "fp", "fn"))
    out["precision"] = safe_ratio(tp, tp + fp)
    out["recall"] = safe_ratio(tp, tp + fn)
    out["f1"] = safe_ratio(2 * tp, 2 * tp + fp + fn)
    out["weighted_f1"] = safe_ratio(out.pop("_wf1").to_numpy(), out["support"].to_numpy())
    columns = [name, "n_tags", "support", "tp", "fp", "fn", "precision", "recall", "f1"]
    return out[[*columns, "macro_f1", "weighted_f1"]]


def classification_summary(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """Rows ``micro avg``, ``macro avg``, ``weighted avg``, ``samples avg`` with columns
    precision, recall, f1-score, support, as scikit-learn's ``classification_report``
    (``output_dict=True, zero_division=0``) gives them.
    """
    c = count_decisions(y_true, y_pred)
    precision, recall, f1 = (
        safe_ratio(c.tp, c.pred),
        safe_ratio(c.tp, c.true),
        _f1(c.tp, c.pred, c.true),
    )
    tp, pred, true = c.tp.sum(), c.pred.sum(), c.true.sum()
    rows = {
        "micro avg": (safe_ratio(tp, pred), safe_ratio(tp, true), _f1(tp, pred, true)),
        "macro avg": (_mean(precision), _mean(recall), _mean(f1)),
        "weighted avg": tuple(_weighted(v, c.true) for v in (precision, recall, f1)),
        "samples avg": tuple(
            _mean(v)
            for v in (
                safe_ratio(c.row_tp, c.row_pred),
                safe_ratio(c.row_tp, c.row_true),
                _f1(c.row_tp, c.row_pred, c.row_true),
            )
        ),
    }
    frame = pd.DataFrame(
        [[float(v) for v in values] for values in rows.values()],
        index=pd.Index(list(rows), name="average"),
        columns=["precision", "recall", "f1-score"],
    )
    frame["support"] = int(true)
    return frame
