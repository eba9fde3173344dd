"""One track's explanation as the CLI prints it (JSON and text) and the pages word it.

UI-free: :func:`threshold_record` and :func:`threshold_words` say where a tag's threshold came
from (a row of :func:`~mewo_core.explain.path.threshold_sources`, plus a saved threshold set's
parent from the manifest); :func:`track_report` is the CLI's ``explain --json`` object and
:func:`track_text` its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..models.base import DecisionModel
from .decision import mate_flips
from .path import Explainer, TagExplanation


def _num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def threshold_record(source: pd.Series, manifest: Mapping[str, Any] | None = None) -> dict:
    """Where one tag's threshold came from: ``source`` (a row of ``threshold_sources``) and,
    for a threshold set saved from the Thresholds page, its parent (``saved_set_from``)."""
    saved = (manifest or {}).get("thresholds_from")
    return {
        "threshold": _num(source["threshold"]),
        "estimator": str(source["estimator"]),
        "positives": int(source["positives"]),
        "benchmark_threshold": _num(source["benchmark_threshold"]),
        "moved_by": _num(source["moved_by"]),
        "saved_set_from": str(saved) if saved else None,
    }


def threshold_words(record: Mapping[str, Any]) -> str:
    """``record`` (:func:`threshold_record`) in one sentence."""
    if record["threshold"] is None:
        return "no finite threshold: the tag is never predicted"
    text = f"threshold {record['threshold']:.4g}"
    if record["saved_set_from"]:
        text += f": a threshold set saved by hand from {record['saved_set_from']} (first "
        text += f"tuned by {record['estimator']})"
    else:
        text += f" from {record['estimator']}"
    text += f", {record['positives']} positives"
    bench, moved = record["benchmark_threshold"], record["moved_by"]
    if bench is not None:
        text += f"; the benchmark's per-tag F1 optimum on the same rows is {bench:.4g}"
        if moved:
            who = "the saved set" if record["saved_set_from"] else "the estimation"
            text += f" ({who} moved it by {moved:+.4g})"
        else:
            text += " (the same)"
    return text


def track_report(
    explainer: Explainer,
    explanations: Sequence[TagExplanation],
    sources: pd.DataFrame,
    manifest: Mapping[str, Any] | None,
    *,
    x: np.ndarray,
    edited: np.ndarray,
    edits: Mapping[str, float],
    album: np.ndarray | None,
    mate_ids: Sequence[int],
    top: int | None = None,
) -> dict:
    """The ``explain --json`` object: per tag its explanation (path, context, threshold
    source); with ``edits``, the decisions of this track and of its album mates they flip."""
    model: DecisionModel = explainer.model
    pos = {f: i for i, f in enumerate(model.feature_names_)}
    by_tag = sources.set_index("tag")
    tags = []
    for e in explanations:
        out = e.to_json(top)
        out["threshold_source"] = threshold_record(by_tag.loc[e.tag], manifest)
        out["in_words"] = e.path_words()
        tags.append(out)
    report: dict = {
        "edits": [{"feature": f, "original": float(x[pos[f]]), "value": v}
                  for f, v in edits.items()],
        "tags": tags,
    }
    if edits:
        _, before, _ = explainer.decisions(x, album)
        _, after, _ = explainer.decisions(edited, album)
        report["what_if"] = {
            "flipped": [{"tag": model.tag_names_[t], "before": bool(before[t]),
                         "after": bool(after[t])} for t in np.flatnonzero(before != after)],
            "flipped_album_mates": mate_flips(model, x, edited, album, mate_ids),
        }  # fmt: skip
    return report


def track_text(
    explanations: Sequence[TagExplanation],
    sources: pd.DataFrame,
    manifest: Mapping[str, Any] | None,
    top: int | None = None,
) -> list[str]:
    """The text lines of ``explain`` (without ``--json``), one block per tag."""
    by_tag = sources.set_index("tag")
    lines: list[str] = []
    for e in explanations:
        verdict = "YES" if e.decision else "no"
        base = "YES" if e.baseline_decision else "no"
        lines.append(f"\n{e.tag} ({e.category}): {verdict}  [baseline: {base}, threshold "
                     f"{e.baseline_threshold:.4g}]")
        lines.append("  " + threshold_words(threshold_record(by_tag.loc[e.tag], manifest)))
        lines.append(f"  path ({e.space} space): {e.path_words()}")
        if not e.uses_correction:
            lines.append(f"  {e.decided_by_words()}")
            continue
        total = e.contributions["contribution"].sum()
        lines.append(f"  correction {e.correction:+.3f} = reference {e.reference_correction:+.3f}"
                     f" + contributions {total:+.3f} (logit units, × blend {e.blend:g} in the "
                     "decision)")
        for r in e.contributions.head(top or 5).itertuples():
            lines.append(f"    {r.feature:<40} {r.value:9.4g} (ref {r.reference:9.4g}) "
                         f"{r.contribution:+.3f}")
    return lines
