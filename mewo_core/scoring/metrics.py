"""Multi-label F1 metrics from :class:`~.counts.DecisionCounts`: the four averages, per tag and
per group of tags (class, or (class, category)).

Semantics follow scikit-learn's ``f1_score`` / ``precision_recall_fscore_support`` /
``classification_report`` with ``zero_division=0``: a ratio whose denominator is 0 counts as
0; macro averages over *all* tags (tags without true and predicted positives count 0);
weighted averages weight each tag by its support (0 when there is no support at all);
samples averages the per-track scores (a track with no true and no predicted tag counts 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .counts import DecisionCounts, count_decisions

__all__ = [
    "AVERAGES",
    "aggregate_table",
    "classification_summary",
    "f1_averages",
    "f1_score",
    "f1_scores",
    "per_tag_table",
    "safe_ratio",
    "tag_f1",
]

AVERAGES = ("weighted", "micro", "macro", "samples")


#: F1 differences within this are ties (float noise, not a win or a loss).
TIE = 1e-12


def f1_from_counts(tp: np.ndarray, predicted: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """F1 from counts: ``2 tp / (predicted + positives)``, 0 where both are 0 (the project's
    0/0 = 0 convention); any shape (per tag, per replicate, per track)."""
    return safe_ratio(2 * np.asarray(tp), np.asarray(predicted) + np.asarray(positives))


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den == 0`` (float64)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def tag_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 from counts of any shape: ``2tp / (2tp + fp + fn)``, 0 where there are neither
    positives nor positive decisions (scikit-learn's ``zero_division=0``)."""
    tp = np.asarray(tp, dtype=np.float64)
    return safe_ratio(2 * tp, 2 * tp + np.asarray(fp) + np.asarray(fn))


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    """``np.average(values, weights=weights)``, 0 when the weights sum to 0."""
    total = weights.sum()
    return float((values * weights).sum() / total) if total else 0.0


def f1_score(counts: DecisionCounts, average: str) -> float:
    """F1 of ``average`` (``weighted``, ``micro``, ``macro`` or ``samples``) from counts.

    ``samples`` needs the per-track counts.
    """
    c = counts
    if average == "micro":
        return float(tag_f1(c.tp.sum(), c.fp.sum(), c.fn.sum()))
    if average == "samples":
        if not c.has_rows:
            raise ValueError("the samples average needs per-track counts")
        return _mean(safe_ratio(2 * c.row_tp, c.row_pred + c.row_true))
    per_tag = tag_f1(c.tp, c.fp, c.fn)
    if average == "macro":
        return _mean(per_tag)
    if average == "weighted":
        return _weighted(per_tag, c.true)
    raise ValueError(f"unknown average {average!r}; expected one of {', '.join(AVERAGES)}")


def f1_averages(counts: DecisionCounts, averages: Sequence[str] = AVERAGES) -> dict[str, float]:
    """``{average: F1}`` for each of ``averages`` (default: all four)."""
    return {a: f1_score(counts, a) for a in averages}


def f1_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """F1 ``weighted``, ``micro``, ``macro`` and ``samples`` of two 0/1 matrices."""
    return f1_averages(count_decisions(y_true, y_pred))


def per_tag_table(counts: DecisionCounts, tag_names: Sequence[str]) -> pd.DataFrame:
    """One row per tag: tag, tp, fp, fn, support, precision, recall, f1 (zero_division=0)."""
    tp, pred, true = counts.tp, counts.pred, counts.true
    if len(tag_names) != tp.size:
        raise ValueError(f"{len(tag_names)} tag names for {tp.size} tag columns")
    return pd.DataFrame(
        {
            "tag": list(tag_names),
            "tp": tp,
            "fp": pred - tp,
            "fn": true - tp,
            "support": true,
            "precision": safe_ratio(tp, pred),
            "recall": safe_ratio(tp, true),
            "f1": tag_f1(tp, pred - tp, true - tp),
        }
    )


def aggregate_table(table: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Per group of tags: the rows of a per-tag table (with tp, fp, fn, support, f1) sharing
    the values of the columns ``by`` (e.g. ``"class"`` or ``["class", "category"]``).

    Columns: ``by``, n_tags, support, tp, fp, fn, precision, recall, f1 (micro over the
    group's tags), macro_f1, weighted_f1 (support-weighted). Groups keep their order of first
    appearance in ``table``.
    """
    by = [by] if isinstance(by, str) else list(by)
    t = table[[*by, "tp", "fp", "fn", "support", "f1"]].assign(_wf1=table["f1"] * table["support"])
    groups = t.groupby(by, sort=False, dropna=False)  # one pass per statistic: fast for a page
    out = groups[["support", "tp", "fp", "fn", "_wf1"]].sum()
    out.insert(0, "n_tags", groups.size())
    out["macro_f1"] = groups["f1"].mean()
    out = out.reset_index()
    tp, fp, fn = (out[c].to_numpy(dtype=np.int64) for c in ("tp", "fp", "fn"))
    out["precision"] = safe_ratio(tp, tp + fp)
    out["recall"] = safe_ratio(tp, tp + fn)
    out["f1"] = tag_f1(tp, fp, fn)
    out["weighted_f1"] = safe_ratio(out.pop("_wf1").to_numpy(), out["support"].to_numpy())
    columns = [*by, "n_tags", "support", "tp", "fp", "fn", "precision", "recall", "f1"]
    return out[[*columns, "macro_f1", "weighted_f1"]]


def classification_summary(counts: DecisionCounts) -> pd.DataFrame:
    """Rows ``micro avg``, ``macro avg``, ``weighted avg``, ``samples avg`` with columns
    precision, recall, f1-score, support, as scikit-learn's ``classification_report``
    (``output_dict=True, zero_division=0``) gives them (per-track counts needed).
    """
    c = counts
    precision, recall = safe_ratio(c.tp, c.pred), safe_ratio(c.tp, c.true)
    tp, pred, true = c.tp.sum(), c.pred.sum(), c.true.sum()
    rows = {
        "micro avg": (safe_ratio(tp, pred), safe_ratio(tp, true), f1_score(c, "micro")),
        "macro avg": (_mean(precision), _mean(recall), f1_score(c, "macro")),
        "weighted avg": (
            _weighted(precision, c.true),
            _weighted(recall, c.true),
            f1_score(c, "weighted"),
        ),
        "samples avg": (
            _mean(safe_ratio(c.row_tp, c.row_pred)),
            _mean(safe_ratio(c.row_tp, c.row_true)),
            f1_score(c, "samples"),
        ),
    }
    frame = pd.DataFrame(
        [[float(v) for v in values] for values in rows.values()],
        index=pd.Index(list(rows), name="average"),
        columns=["precision", "recall", "f1-score"],
    )
    frame["support"] = int(true)
    return frame
