"""The Track inspector's per-tag profile of one track."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .base import CLASS_COLORS, _subplots

PROFILE_ROW_PX = 200  # plot height of one class's row in :func:`track_profile`
PROFILE_TICK_ANGLE = 40  # degrees the tag names are turned


def profile_label_px(tags: Sequence[str], font: int = 10) -> int:
    """Pixels below a :func:`track_profile` row taken by its turned tag names."""
    longest = max((len(str(t)) for t in tags), default=0)
    return int(0.62 * font * longest * np.sin(np.radians(PROFILE_TICK_ANGLE))) + 16


def track_profile(frame: pd.DataFrame, title: str) -> go.Figure:
    """One track's tags grouped by class: score (``score``) against threshold (``threshold``),
    ground truth (``truth``) as filled markers; columns ``tag``, ``class``, ``category`` and,
    if present, ``source`` (where the score comes from, in the hover).

    The gap between rows is sized in pixels for the turned tag names and the next row's title,
    so titles never overlap the labels above them.
    """
    classes = list(dict.fromkeys(frame["class"]))
    n = max(len(classes), 1)
    labels_px = profile_label_px(frame["tag"])
    gap = labels_px + 34  # turned tag names, then the next row's title
    plot_h = n * PROFILE_ROW_PX + (n - 1) * gap
    fig = _subplots(rows=n, cols=1, subplot_titles=classes,
                    vertical_spacing=gap / plot_h if n > 1 else 0.0)
    source = frame["source"] if "source" in frame else pd.Series("", index=frame.index)
    for i, cls in enumerate(classes):
        part = frame[frame["class"] == cls]
        truth = part["truth"].to_numpy().astype(bool)
        markers = ((True, "labelled", "circle"), (False, "not labelled", "circle-open"))
        for flag, name, symbol in markers:
            sub = part[truth == flag]
            fig.add_scatter(
                x=sub["tag"],
                y=sub["score"],
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=i == 0,
                marker=dict(symbol=symbol, size=9, color=CLASS_COLORS.get(cls, "#888")),
                customdata=np.column_stack([sub["category"], sub["threshold"],
                                            source[sub.index]]),
                hovertemplate="%{x} (%{customdata[0]})<br>score %{y:.4f}, "
                "threshold %{customdata[1]:.4f}<br>%{customdata[2]}<extra></extra>",
                row=i + 1,
                col=1,
            )
        fig.add_scatter(
            x=part["tag"],
            y=part["threshold"],
            mode="markers",
            name="threshold",
            legendgroup="threshold",
            showlegend=i == 0,
            marker=dict(symbol="line-ew-open", size=12, color="#E45756"),
            hoverinfo="skip",
            row=i + 1,
            col=1,
        )
    fig.update_xaxes(tickangle=-PROFILE_TICK_ANGLE, tickfont=dict(size=10), automargin=False)
    fig.update_yaxes(title="score")
    fig.update_layout(
        title=dict(text=title, y=1.0, yanchor="top", yref="container", pad=dict(t=12)),
        height=plot_h + 110 + labels_px,
        margin=dict(l=10, r=10, t=110, b=labels_px),
        legend=dict(orientation="h", yanchor="bottom", y=1.0 + 30 / plot_h, yref="paper",
                    x=0.0, xanchor="left"),
    )
    return fig
