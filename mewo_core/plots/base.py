"""What every figure builder shares: colours, the point budget, a template-free figure, layout."""


from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

MAX_POINTS = 10_000
CLASS_COLORS = {
    "genres": "#4C78A8",
    "instruments": "#F58518",
    "moods": "#54A24B",
    "other": "#9D755D",
}
SERIES_COLORS = ("#4C78A8", "#B8B8B8", "#E45756", "#72B7B2")


# An empty template: Plotly's default one is deep-copied into every figure (~0.1 s each), and
# the dashboard styles charts with its own theme anyway.
_BLANK = go.layout.Template()


def _figure(*traces: go.Figure) -> go.Figure:
    """A figure without Plotly's default template (fast to build)."""
    return go.Figure(data=list(traces) or None, layout={"template": _BLANK})


def _subplots(**kwargs: object) -> go.Figure:
    return make_subplots(figure=_figure(), **kwargs)


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    """Title and height; the small margins grow to fit tick labels and axis titles (so an axis
    title never sits on its tick labels, also in the exported HTML report)."""
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(automargin=True, title_standoff=10)
    fig.update_yaxes(automargin=True)
    return fig


