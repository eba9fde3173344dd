"""Bars of a comparison: per-class / per-category F1 and deltas with intervals (Compare)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .base import SERIES_COLORS, _figure, _layout


def grouped_bars(
    frame: pd.DataFrame,
    label: str,
    series: Mapping[str, str],
    title: str,
    y_title: str = "F1",
) -> go.Figure:
    """Side-by-side bars: one bar per row of ``frame`` for each ``series`` (name -> column)."""
    fig = _figure()
    for i, (name, column) in enumerate(series.items()):
        fig.add_bar(
            x=frame[label].astype(str).to_numpy(),
            y=frame[column].to_numpy(),
            name=name,
            marker_color=SERIES_COLORS[i % len(SERIES_COLORS)],
            hovertemplate=f"%{{x}}<br>{name}: %{{y:.4f}}<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        margin=dict(t=80),
    )
    fig.update_yaxes(title=y_title)
    return _layout(fig, title).update_layout(margin=dict(t=80))


def delta_bars(frame: pd.DataFrame, title: str, value: str = "delta_f1") -> go.Figure:
    """Horizontal bars of per-tag differences (``tag`` and ``value`` columns), green > 0."""
    frame = frame.sort_values(value)
    colors = np.where(frame[value] >= 0, "#54A24B", "#E45756")
    fig = _figure(
        go.Bar(
            x=frame[value].to_numpy(),
            y=frame["tag"].to_numpy(),
            orientation="h",
            marker_color=colors,
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="F1 difference (model - baseline)")
    return _layout(fig, title, max(300, 22 * len(frame) + 80))


def interval_bars(
    frame: pd.DataFrame, label: str, title: str, value: str = "delta", x_title: str = ""
) -> go.Figure:
    """Horizontal bars of differences (``label``, ``value`` columns) with their intervals
    (``delta_low`` / ``delta_high``, when present): green / red where the interval excludes 0,
    grey where it contains 0."""
    frame = frame.iloc[::-1]
    delta = frame[value].to_numpy(dtype=np.float64)
    fig = _figure()
    bar = dict(
        x=delta,
        y=frame[label].astype(str).to_numpy(),
        orientation="h",
        hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
    )
    colors = np.where(delta >= 0, "#54A24B", "#E45756")
    if "delta_low" in frame:
        low, high = frame["delta_low"].to_numpy(), frame["delta_high"].to_numpy()
        colors = np.where((low > 0) | (high < 0), colors, "#B8B8B8")
        bar["error_x"] = dict(type="data", symmetric=False, array=high - delta,
                              arrayminus=delta - low, color="#444", thickness=1)  # fmt: skip
        bar["customdata"] = np.stack([low, high], axis=1)
        bar["hovertemplate"] = ("%{y}: %{x:+.4f} (interval %{customdata[0]:+.4f} … "
                                "%{customdata[1]:+.4f})<extra></extra>")  # fmt: skip
    fig.add_bar(marker_color=colors, showlegend=False, **bar)
    fig.update_xaxes(title=x_title or "F1 difference (model − reference)", zeroline=True)
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, max(300, 24 * len(frame) + 100))


