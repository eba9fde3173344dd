"""Plain-text reports and summaries for the CLI (the app draws the same data)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..data import Dataset
from .evaluation import MIN_SUPPORT, Comparison, Evaluation, wins_losses


def dataset_summary(data: Dataset) -> dict[str, object]:
    """Tracks, tags, features, label density and tags per track / per class."""
    out: dict[str, object] = {
        "tracks": data.n_tracks,
        "features": len(data.feature_names),
        "tags": data.n_tags,
        "extra_features": int(data.extra_feature_index.size),
    }
    classes = pd.Series(data.tag_classes)
    out["tags_per_class"] = classes.value_counts().sort_index().to_dict()
    if data.Y is not None:
        per_track = data.Y.sum(axis=1)
        out["label_density"] = round(float(data.Y.mean()), 5)
        out["tags_per_track"] = round(float(per_track.mean()), 3)
        out["tracks_without_tags"] = int((per_track == 0).sum())
    if data.groups is not None:
        out["groups"] = {c: int(data.groups[c].nunique()) for c in data.groups.columns}
    return out


def _fmt_table(frame: pd.DataFrame, floats: str = "{:.4f}") -> str:
    shown = frame.copy()
    for col in shown.columns:
        if shown[col].dtype.kind == "f":
            shown[col] = shown[col].map(floats.format)
    return shown.to_string(index=False)


def _bootstrap_line(info: Mapping[str, object]) -> str:
    level, groups = float(info["level"]), int(info["groups"])
    return (f"Intervals: {level:.0%} {info['method']}, {info['replicates']} replicates over "
            f"{groups:,} groups ({info['group_column']}).")  # fmt: skip


def evaluation_text(
    result: Evaluation,
    title: str,
    top: int = 10,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    bootstrap_info: Mapping[str, object] | None = None,
) -> str:
    """The overall figures (with their intervals), the classification-report rows, per class /
    category and top tags."""
    def figure(k: str, v: float) -> str:
        if intervals is None:
            return f"{k} {v:.4f}"
        low, high = intervals[k]
        return f"{k} {v:.4f} [{low:.4f}, {high:.4f}]"

    lines = [title, "", "Overall F1: " + ", ".join(figure(k, v) for k, v in result.overall.items())]
    if bootstrap_info is not None:
        lines.append(_bootstrap_line(bootstrap_info))
    lines += ["", _fmt_table(result.summary.reset_index(names="average"))]
    cols = ["class", "n_tags", "support", "precision", "recall", "f1", "weighted_f1"]
    lines += ["", "Per class (f1 = micro within the class):", _fmt_table(result.per_class[cols])]
    lines += ["", "Per category:", _fmt_table(result.per_category[["category", *cols]])]
    tags = result.per_tag.sort_values("support", ascending=False)
    tag_cols = ["tag", "class", "support", "precision", "recall", "f1"]
    lines += [
        "",
        f"Per tag ({top} most frequent of {len(tags)}; --json for all):",
        _fmt_table(tags.head(top)[tag_cols]),
    ]
    return "\n".join(lines)


def _with_marks(frame: pd.DataFrame, delta: str) -> pd.DataFrame:
    """``frame`` with a ``mark`` column: ▲ / ▼ where the delta's interval excludes 0, ≈ not."""
    if "clear" not in frame:
        return frame
    from .report import mark

    out = frame.drop(columns=["clear"])
    out["mark"] = mark(frame[delta], frame["clear"])
    return out


def comparison_text(
    comparison: Comparison, title: str, top: int = 10, min_support: int = MIN_SUPPORT
) -> str:
    """Model vs baseline: what each was tuned on, overall (with intervals), per class, per
    category, and the tags won and lost most among those with ``min_support`` positives."""
    lines = [title, "", *comparison.captions()]
    overall = comparison.overall
    keep = [c for c in ("average", "model", "baseline", "delta", "delta_low", "delta_high",
                        "clear") if c in overall]  # fmt: skip
    lines += ["", _fmt_table(_with_marks(overall[keep], "delta"))]
    extra = [c for c in ("delta_low", "delta_high", "clear") if c in comparison.per_class]
    pc = comparison.per_class[["class", "support", "f1", "f1_baseline", "delta_f1", *extra]]
    lines += ["", "Per class (micro F1 within the class):", _fmt_table(_with_marks(pc, "delta_f1"))]
    cat = comparison.per_category[["category", "support", "f1", "f1_baseline", "delta_f1", *extra]]
    lines += ["", "Per category:", _fmt_table(_with_marks(cat, "delta_f1"))]
    won, lost = comparison.won_lost(top, min_support)
    cols = ["tag", "support", "f1", "f1_baseline", "delta_f1", *extra]
    lines += [
        "",
        f"Tags the model wins most (top {top}, tags with >= {min_support} positives):",
        _fmt_table(_with_marks(won[cols], "delta_f1")) if len(won) else "(none)",
    ]
    lines += [
        "",
        f"Tags the model loses most (top {top}, tags with >= {min_support} positives):",
        _fmt_table(_with_marks(lost[cols], "delta_f1")) if len(lost) else "(none)",
    ]
    tags = comparison.per_tag
    wins, losses, ties = wins_losses(tags["delta_f1"])
    summary = f"{wins} tags better, {losses} worse, {ties} equal"
    if "clear" in tags:
        better = int((tags["clear"] & (tags["delta_f1"] > 0)).sum())
        worse = int((tags["clear"] & (tags["delta_f1"] < 0)).sum())
        summary += f"; with an interval that excludes 0: {better} better, {worse} worse"
    lines += ["", summary + ".", "▲ / ▼: the delta's interval lies above / below 0; ≈: it "
              "contains 0 (no clear difference)." if "clear" in tags else ""]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


__all__ = ["comparison_text", "dataset_summary", "evaluation_text"]
