"""Plotly figures of explanations (pure functions, no UI)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..plots.base import _figure, _layout
from .decision import space_label
from .path import TagExplanation

#: How far past the threshold an infinite value (a score of exactly 0 or 1 on the logit
#: scale, or no score column) is drawn, on its side.
INFINITE_DRAWN_AT = 10.0


def _drawable(value: float, threshold: float) -> float:
    if np.isfinite(value):
        return value
    base = threshold if np.isfinite(threshold) else 0.0
    return base + np.sign(value) * INFINITE_DRAWN_AT


def waterfall(e: TagExplanation) -> go.Figure:
    """The decision path (:attr:`TagExplanation.steps`) as a waterfall, in the decision space,
    with the threshold line in the same space: the last bar ends above the line exactly when
    the decision is yes."""
    steps, thr = e.steps, e.threshold_value
    labels = [s.label for s in steps]
    values = [0.0 if s.kind == "end" else float(s.value) for s in steps]
    measure = ["absolute"] + ["relative"] * (len(values) - 2) + ["total"]
    if len(steps) == 1 or not np.isfinite(values).all():
        # an infinite value (a score of exactly 0 or 1 on the logit scale, no score column):
        # the decision score alone, drawn beyond the threshold on its side
        labels, values, measure = [labels[-1]], [_drawable(steps[-1].value, thr)], ["absolute"]
    fig = _figure(go.Waterfall(
        x=labels, y=values, measure=measure, connector={"line": {"color": "#bbb"}},
        hovertemplate="%{x}<br>%{y:+.4f}<extra></extra>",
    ))
    if np.isfinite(thr):
        fig.add_hline(y=float(thr), line_dash="dot", line_color="#E45756",
                      annotation_text=f"threshold {e.threshold:.4g}")
    fig.update_yaxes(title=space_label(e.space))
    fig.update_xaxes(tickangle=-35)
    verdict = "yes" if e.decision else "no"
    if e.uses_correction:
        how = f"contributions × blend {e.blend:g}"
    elif e.score is None:
        how = "no score column"
    else:
        how = "own score only" + (f", {e.context.level} blend" if e.context is not None else "")
    return _layout(fig, f"Why {e.tag}: {verdict} ({how})", 440)
