"""Heatmaps of tag and category correlations or lifts (Correlations page)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..data.subsample import evenly
from .base import MAX_POINTS, _figure, _layout

#: Cells a tag x tag heatmap may carry with every tag kept (256 per side: all 248 tags of the
#: catalogue, one row and one column each); :func:`heatmap`'s default stays :data:`MAX_POINTS`.
TAG_HEATMAP_CELLS = 256 * 256
LABEL_PLOT_WIDTH = 640  # px a labelled heatmap's columns are assumed to get (the page's width)


def _spans(groups: Sequence[str]) -> list[tuple[str, int, int]]:
    """Runs of equal consecutive groups as (group, first index, last index)."""
    out: list[tuple[str, int, int]] = []
    for i, g in enumerate(groups):
        if out and out[-1][0] == g:
            out[-1] = (g, out[-1][1], i)
        else:
            out.append((g, i, i))
    return out


def _text_px(labels: Sequence[str], font: float) -> int:
    """About how many pixels the longest of ``labels`` takes at ``font`` size."""
    return int(0.72 * font * max((len(s) for s in labels), default=0)) + 12


def heatmap(
    values: np.ndarray,
    row_names: Sequence[str],
    col_names: Sequence[str],
    row_groups: Sequence[str],
    col_groups: Sequence[str],
    title: str,
    *,
    zmid: float | None = 0.0,
    colorscale: str = "RdBu_r",
    zmin: float | None = None,
    zmax: float | None = None,
    counts: np.ndarray | None = None,
    value_label: str = "value",
    labelled: bool = False,
    boundaries: bool = False,
    max_cells: int = MAX_POINTS,
) -> go.Figure:
    """A heatmap whose hover shows both names, their groups (categories) and the value.

    Larger than ``max_cells`` cells, rows and columns are evenly subsampled. ``counts`` (same
    shape): co-occurrence counts added to the hover. ``labelled``: every row and column named
    by a tick label (small font), the figure tall enough for 7 to 24 pixels a row; columns
    share the page's width (names readable up to ~150 columns, beyond by zooming in).
    ``boundaries``: lines between groups and each group's name above its columns and right of
    its rows. Infinite values are drawn at ``zmin`` / ``zmax``; NaN cells stay blank.
    """
    values = np.asarray(values, dtype=np.float64)
    side = int(np.sqrt(max_cells))
    big = values.size > max_cells
    r = evenly(values.shape[0], side if big else values.shape[0])
    c = evenly(values.shape[1], side if big else values.shape[1])
    v = values[np.ix_(r, c)]
    if zmin is not None:
        v = np.where(np.isneginf(v), zmin, v)
    if zmax is not None:
        v = np.where(np.isposinf(v), zmax, v)
    rows = [row_names[i] for i in r]
    cols = [col_names[j] for j in c]
    rg = [row_groups[i] for i in r]
    cg = [col_groups[j] for j in c]
    if labelled:  # the group rides on the axis value (hover), the tick shows the name alone
        y = [a if a == g else f"{a} ({g})" for a, g in zip(rows, rg, strict=True)]
        x = [a if a == g else f"{a} ({g})" for a, g in zip(cols, cg, strict=True)]
        hover = "%{y} ×<br>%{x}<br>" + value_label + " %{z:.3f}"
        custom = None
    else:
        y, x = rows, cols
        custom = np.array([[[f"{a} / {b}"] for b in cg] for a in rg], dtype=object)
        hover = "%{y} × %{x}<br>%{customdata[0]}<br>" + value_label + " %{z:.3f}"
    if counts is not None:
        n = np.asarray(counts)[np.ix_(r, c)].astype(np.int64)
        k = 0 if custom is None else 1
        custom = n[..., None] if custom is None else np.concatenate(
            [custom, n[..., None].astype(object)], axis=-1)
        hover += f"<br>tracks with both: %{{customdata[{k}]}}"
    fig = _figure(
        go.Heatmap(
            z=np.where(np.isfinite(v), np.round(v, 4), None),
            x=x,
            y=y,
            customdata=custom,
            colorscale=colorscale,
            zmid=zmid,
            zmin=zmin,
            zmax=zmax,
            colorbar=dict(title=dict(text=value_label, side="top" if labelled else "right")),
            hovertemplate=hover + "<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showticklabels=labelled or len(rows) <= 40)
    fig.update_xaxes(showticklabels=labelled or len(cols) <= 40)
    if not labelled:
        return _layout(fig, title, 640)
    return _label_heatmap(fig, title, (y, rows, rg), (x, cols, cg), boundaries)


def _label_heatmap(
    fig: go.Figure,
    title: str,
    y_axis: tuple[list[str], list[str], list[str]],
    x_axis: tuple[list[str], list[str], list[str]],
    boundaries: bool,
) -> go.Figure:
    """Tick labels on every cell, group lines and names, a size that fits them (see heatmap).

    Each axis: (values on the axis, names shown as ticks, groups)."""
    (yv, rows, rg), (xv, cols, cg) = y_axis, x_axis
    px = int(np.clip(720 // max(len(rows), 1), 7, 24))  # row height: the figure grows
    font = int(np.clip(px - 1, 6, 11))
    # columns share the page's width (about LABEL_PLOT_WIDTH px): past ~150 the names overlap
    # until the user zooms in, and the category names above stay readable
    xfont = int(np.clip(LABEL_PLOT_WIDTH // max(len(cols), 1) - 1, 5, 11))
    ticks = dict(tickmode="array", automargin=False)
    fig.update_xaxes(tickvals=xv, ticktext=cols, tickangle=-90, side="bottom",
                     tickfont=dict(size=xfont), **ticks)
    fig.update_yaxes(tickvals=yv, ticktext=rows, tickfont=dict(size=font), **ticks)
    left, bottom = _text_px(rows, font), _text_px(cols, xfont)
    top, right = 60, 12
    shapes: list[dict] = []
    notes: list[dict] = []
    if boundaries:  # built as plain dicts: add_shape / add_annotation cost ~10 ms each
        line = dict(color="rgba(40,40,40,0.75)", width=1)
        shapes += [dict(type="line", x0=first - 0.5, x1=first - 0.5, y0=-0.5,
                        y1=len(rows) - 0.5, xref="x", yref="y", line=line)
                   for _, first, _ in _spans(cg)[1:]]
        shapes += [dict(type="line", y0=first - 0.5, y1=first - 0.5, x0=-0.5,
                        x1=len(cols) - 0.5, xref="x", yref="y", line=line)
                   for _, first, _ in _spans(rg)[1:]]
        small = dict(size=max(font, xfont) + 1, color="#333")
        notes += [dict(x=(first + last) / 2, y=1.0, xref="x", yref="paper", text=g,
                       textangle=-90, yanchor="bottom", showarrow=False, font=small)
                  for g, first, last in _spans(cg)]
        notes += [dict(y=(first + last) / 2, x=1.0, xref="paper", yref="y", text=g,
                       xanchor="left", showarrow=False, font=small)
                  for g, first, last in _spans(rg)]
        top += _text_px(cg, small["size"])
        right += _text_px(rg, small["size"])
    height = px * len(rows) + top + bottom + 70
    # a horizontal colour bar under the column names: the right margin holds the row groups
    fig.update_traces(colorbar=dict(orientation="h", x=0.5, xanchor="center", y=0.0,
                                    yanchor="top", ypad=bottom + 8, len=0.6, thickness=12))
    fig.update_layout(
        title=dict(text=title, y=1.0, yanchor="top", yref="container", pad=dict(t=12)),
        height=max(height, 320),
        margin=dict(l=left, r=right, t=top, b=bottom + 70),
        shapes=shapes,
        annotations=notes,
    )
    return fig


def category_heatmap(
    frame: pd.DataFrame,
    title: str,
    zmid: float | None = 0.0,
    *,
    zmin: float | None = None,
    zmax: float | None = None,
    value_label: str = "value",
) -> go.Figure:
    """A category x category overview (the output of ``Block.by_category``), every category
    named on its row and column."""
    rows = [str(c) for c in frame.index]
    cols = [str(c) for c in frame.columns]
    return heatmap(frame.to_numpy(dtype=np.float64), rows, cols, rows, cols, title, zmid=zmid,
                   zmin=zmin, zmax=zmax, value_label=value_label, labelled=True)


