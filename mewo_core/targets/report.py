"""What a target model promised beside what it realised on a split (``evaluate``'s report).

Per tag: the target, the bound promised at the threshold (or the best one it could reach),
the realised precision and recall of its decisions on the split scored, and whether the
target was met; overall, the share of promised tags that meet their target, with an exact
(Clopper-Pearson) two-sided interval. A promised precision tag with no positive decision on
the split shows no wrong track: it meets its target (and is counted as such).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..scoring.counts import count_decisions
from ..scoring.metrics import safe_ratio
from .fit import PROMISED, TargetFit

LEVEL = 0.9


def share_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Two-sided exact interval of a share ``k / n`` (nan, nan when ``n`` is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    from scipy.stats import beta  # here: scipy.stats costs ~0.7 s to import (Compare)

    low = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return low, high


@dataclass(frozen=True)
class TargetReport:
    """The per-tag table and the share of promised tags meeting their target on ``split``."""

    table: pd.DataFrame
    split: str
    delta: float

    @property
    def promised(self) -> pd.DataFrame:
        return self.table[self.table["status"] == PROMISED]

    def share_met(self) -> tuple[int, int]:
        """(promised tags meeting their target, promised tags)."""
        return int(self.promised["met"].sum()), int(len(self.promised))

    def to_dict(self) -> dict[str, Any]:
        met, n = self.share_met()
        low, high = share_interval(met, n)
        rows = self.table.astype(object).where(self.table.notna(), None)
        return {
            "split": self.split,
            "delta": self.delta,
            "promised": n,
            "cannot": int((self.table["status"] == "cannot").sum()),
            "fallback": int((self.table["status"] == "fallback").sum()),
            "met": met,
            "share_met": met / n if n else None,
            "share_met_interval": {"level": LEVEL, "low": low, "high": high} if n else None,
            "tags": rows.to_dict(orient="records"),
        }

    def text(self, top: int | None = None) -> str:
        met, n = self.share_met()
        low, high = share_interval(met, n)
        counts = self.table["status"].value_counts().to_dict()
        lines = [
            f"targets (confidence {1 - self.delta:g}) on {self.split}: "
            + ", ".join(f"{counts[k]} {k}" for k in sorted(counts)),
        ]
        if n:
            lines.append(f"  promised tags meeting their target: {met}/{n} ({met / n:.1%}; "
                         f"{LEVEL:.0%} interval {low:.1%}-{high:.1%})")  # fmt: skip
        rank = self.table["status"].map({PROMISED: 1}).fillna(2) - (self.table["met"] == False)  # noqa: E712
        ordered = self.table.iloc[np.argsort(rank.to_numpy(), kind="stable")]  # unmet first
        shown = ordered if top is None else ordered.head(top)
        cols = ["tag", "metric", "target", "bound", "best_bound", "precision", "recall",
                "decisions", "positives", "status", "met"]  # fmt: skip
        lines.append(shown[cols].to_string(index=False, float_format="{:.3f}".format,
                                           na_rep="-"))  # fmt: skip
        if top is not None and len(self.table) > top:
            lines.append(f"  ({len(self.table) - top} more tags; --json lists all)")
        return "\n".join(lines) + "\n"


def target_report(
    fit: TargetFit,
    tag_names: list[str] | tuple[str, ...],
    labels: np.ndarray,
    decisions: np.ndarray,
    thresholds: np.ndarray,
    split: str,
) -> TargetReport:
    """The report of ``decisions`` (tracks x tags) against 0/1 ``labels`` on ``split``. Tags
    whose threshold is no longer the fitted one (edited since) are marked ``edited``."""
    counts = count_decisions(labels, decisions)
    return target_report_from_counts(fit, tag_names, counts.tp, counts.pred, counts.true,
                                     thresholds, split)  # fmt: skip


def target_report_from_counts(
    fit: TargetFit,
    tag_names: list[str] | tuple[str, ...],
    tp: np.ndarray,
    predicted: np.ndarray,
    positives: np.ndarray,
    thresholds: np.ndarray,
    split: str,
) -> TargetReport:
    """:func:`target_report` from per-tag counts already made (the Thresholds page passes its
    explorer's, recounted only for the tags that moved: no decision matrix per slider move)."""
    tp, predicted, positives = (np.asarray(v, dtype=np.int64) for v in (tp, predicted, positives))
    precision = np.where(predicted > 0, safe_ratio(tp, predicted), np.nan)
    recall = np.where(positives > 0, safe_ratio(tp, positives), np.nan)
    realised = np.where(fit.metric == "precision", precision, recall)
    status = np.where(np.asarray(thresholds) == fit.thresholds, fit.status, "edited")
    # no positive decision: no wrong track shown (precision met); recall with no positive: met
    met = np.where(np.isnan(realised), True, realised >= fit.target)
    table = pd.DataFrame({
        "tag": list(tag_names),
        "scope": fit.scope,
        "metric": fit.metric,
        "target": fit.target,
        "bound": fit.bound,
        "best_bound": fit.best_bound,
        "precision": precision,
        "recall": recall,
        "decisions": predicted,
        "positives": positives,
        "status": status,
        "met": np.where(status == PROMISED, met, None),
    })  # fmt: skip
    return TargetReport(table, split, fit.delta)


def session_target_report(session: Any, split: str = "test") -> TargetReport | None:
    """The report of a session's model on ``split``; None unless it was fitted for targets."""
    if session.is_baseline:
        return None
    fit = getattr(session.model, "targets_", None)
    if fit is None:
        return None
    data = session.data(split)
    return target_report(fit, data.tag_names, data.require_labels(),
                         session.decisions("model", split), session.thresholds("model"),
                         data.name)  # fmt: skip


def compare_promises(
    fit: TargetFit,
    tag_names: list[str] | tuple[str, ...],
    labels: np.ndarray,
    decisions_a: np.ndarray,
    thresholds_a: np.ndarray,
    decisions_b: np.ndarray,
    split: str,
) -> pd.DataFrame:
    """Model A, fitted for targets, beside another model B (an F1-tuned one) on ``split``: per
    tag A's target, bound and status, and each side's realised precision and recall, with
    whether the realised value meets the target (for the tags A promised)."""
    a = target_report(fit, tag_names, labels, decisions_a, thresholds_a, split).table
    counts = count_decisions(labels, decisions_b)
    precision_b = np.where(counts.pred > 0, safe_ratio(counts.tp, counts.pred), np.nan)
    recall_b = np.where(counts.true > 0, safe_ratio(counts.tp, counts.true), np.nan)
    realised_b = np.where(fit.metric == "precision", precision_b, recall_b)
    met_b = np.where(np.isnan(realised_b), True, realised_b >= fit.target)
    out = a[["tag", "metric", "target", "bound", "status"]].copy()
    out["precision_a"], out["recall_a"], out["met_a"] = a["precision"], a["recall"], a["met"]
    out["precision_b"], out["recall_b"] = precision_b, recall_b
    out["met_b"] = np.where(a["status"] == PROMISED, met_b, None)
    return out
