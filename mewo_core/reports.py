"""Plain-text reports and summaries for the CLI (the app draws the same data)."""

from __future__ import annotations

import pandas as pd

from .data import Dataset
from .evaluation import Comparison, Evaluation, wins_losses


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


def evaluation_text(result: Evaluation, title: str, top: int = 10) -> str:
    """The overall figures, the classification-report rows, per class / category and top tags."""
    lines = [
        title,
        "",
        "Overall F1: " + ", ".join(f"{k} {v:.4f}" for k, v in result.overall.items()),
    ]
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


def comparison_text(comparison: Comparison, title: str, top: int = 10) -> str:
    """Model vs baseline: overall, per class, per category, and the tags won and lost most."""
    lines = [title, "", _fmt_table(comparison.overall)]
    pc = comparison.per_class[["class", "support", "f1", "f1_baseline", "delta_f1"]]
    lines += ["", "Per class (micro F1 within the class):", _fmt_table(pc)]
    cat = comparison.per_category[["category", "support", "f1", "f1_baseline", "delta_f1"]]
    lines += ["", "Per category:", _fmt_table(cat)]
    tags = comparison.per_tag.sort_values("delta_f1")
    cols = ["tag", "support", "f1", "f1_baseline", "delta_f1"]
    lines += [
        "",
        f"Tags the model wins most (top {top}):",
        _fmt_table(tags.iloc[::-1].head(top)[cols]),
    ]
    lines += ["", f"Tags the model loses most (top {top}):", _fmt_table(tags.head(top)[cols])]
    wins, losses, ties = wins_losses(tags["delta_f1"])
    lines += ["", f"{wins} tags better, {losses} worse, {ties} equal."]
    return "\n".join(lines)


__all__ = ["comparison_text", "dataset_summary", "evaluation_text"]
