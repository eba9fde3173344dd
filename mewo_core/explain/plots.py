"""Plotly figures of explanations (pure functions, no UI)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..plots.base import _figure, _layout
from .path import TagExplanation


def waterfall(e: TagExplanation, k: int = 8) -> go.Figure:
    """From the reference to the decision, in logit units: the own logit, the correction at the
    reference track, the top ``k`` contributions (times the blend weight), the rest, the final
    logit against the threshold's logit."""
    w = e.blend if e.uses_correction else 1.0
    top = e.contributions.head(k)
    rest = float(e.contributions["contribution"].iloc[k:].sum())
    labels = ["own score's logit", "reference correction"]
    values = [e.own_logit, w * e.reference_correction]
    labels += [f"{r.feature} {r.value:.2f}" for r in top.itertuples()]
    values += [w * float(c) for c in top["contribution"]]
    labels += [f"{len(e.contributions) - len(top)} other features", "logit"]
    values += [w * rest, 0.0]
    measure = ["absolute"] + ["relative"] * (len(values) - 2) + ["total"]
    fig = _figure(go.Waterfall(
        x=labels, y=values, measure=measure, connector={"line": {"color": "#bbb"}},
        hovertemplate="%{x}<br>%{y:+.3f}<extra></extra>",
    ))
    thr = e.threshold
    if 0 < thr < 1:
        fig.add_hline(y=float(np.log(thr / (1 - thr))), line_dash="dot", line_color="#E45756",
                      annotation_text="threshold (logit)")
    fig.update_yaxes(title="logit")
    fig.update_xaxes(tickangle=-35)
    note = "" if e.uses_correction else " (correction NOT used: the tag falls back to its score)"
    scale = f" × blend {e.blend:g}" if e.uses_correction else ""
    title = f"Why {e.tag}: reference → decision, contributions{scale}{note}"
    return _layout(fig, title, 440)
