"""Figures of the Data page: tags per track, tag frequencies, score distributions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .base import CLASS_COLORS, SERIES_COLORS, _figure, _layout, _subplots


def tags_per_track(counts: np.ndarray) -> go.Figure:
    """Histogram of the number of tags per track."""
    values, freq = np.unique(np.asarray(counts, dtype=np.int64), return_counts=True)
    fig = _figure(go.Bar(x=values, y=freq, marker_color=SERIES_COLORS[0]))
    fig.update_xaxes(title="tags on the track")
    fig.update_yaxes(title="tracks")
    return _layout(fig, "Tags per track")


def tag_frequencies(frame: pd.DataFrame) -> go.Figure:
    """Bars of each tag's share of positive tracks (``tag``, ``class``, ``category``,
    ``frequency``), coloured by class, in the frame's order."""
    fig = _figure()
    for cls, part in frame.groupby("class", sort=False):
        fig.add_bar(
            x=part["tag"],
            y=part["frequency"],
            name=str(cls),
            marker_color=CLASS_COLORS.get(str(cls), "#888"),
            customdata=part[["category"]],
            hovertemplate="%{x}<br>%{customdata[0]}<br>%{y:.2%} of tracks<extra></extra>",
        )
    fig.update_xaxes(showticklabels=False, title="tags (by class and category; hover for names)")
    fig.update_yaxes(title="share of tracks", tickformat=".0%")
    return _layout(fig, "Tag frequencies")


def score_histograms(
    scores: np.ndarray, labels: np.ndarray | None, tag_names: Sequence[str], bins: int = 40
) -> go.Figure:
    """Per tag, the distribution of its raw scores, split by label when labels are given.

    Counts are binned here (``bins`` per tag), so the figure is small whatever the track count.
    """
    k = len(tag_names)
    fig = _subplots(rows=k, cols=1, subplot_titles=list(tag_names), vertical_spacing=0.08)
    for i in range(k):
        s = np.asarray(scores[:, i], dtype=np.float64)
        ok = np.isfinite(s)
        if not ok.any():
            continue
        edges = np.histogram_bin_edges(s[ok], bins=bins)
        centres = (edges[:-1] + edges[1:]) / 2
        groups = [("all tracks", ok)]
        if labels is not None:
            y = np.asarray(labels[:, i]).astype(bool)
            groups = [("negatives", ok & ~y), ("positives", ok & y)]
        for j, (name, mask) in enumerate(groups):
            counts, _ = np.histogram(s[mask], bins=edges)
            share = counts / max(1, int(mask.sum()))
            fig.add_bar(
                x=centres,
                y=share,
                name=name,
                legendgroup=name,
                showlegend=i == 0,
                marker_color=SERIES_COLORS[2 * j % len(SERIES_COLORS)],
                opacity=0.7,
                hovertemplate=f"{name}: %{{y:.1%}} of them near %{{x:.3f}}<extra></extra>",
                row=i + 1,
                col=1,
            )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, "Raw scores (not normalised): share of tracks per bin", 220 * k + 80)


