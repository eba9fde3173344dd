"""Plotly figure builders for the dashboard: pure functions of arrays and frames, no UI.

Every builder aggregates or subsamples so a figure carries at most about
:data:`MAX_POINTS` points to the browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .subsample import evenly

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
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10))
    return fig


# --- data ---------------------------------------------------------------------------------------


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


# --- correlations -------------------------------------------------------------------------------

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
    return int(0.62 * font * max((len(s) for s in labels), default=0)) + 8


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


# --- comparison ---------------------------------------------------------------------------------


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


# --- thresholds ---------------------------------------------------------------------------------
# Built in one go from plain trace and layout dicts (one validation pass): the Thresholds page
# redraws them on every slider move, and update_*() calls cost several times the figure.


def _on(split: str) -> str:
    return f" on the {split} split" if split else ""


def _axis(title: str, **extra: object) -> dict[str, object]:
    return {"title": {"text": title}, **extra}


def _readable(traces: list[dict[str, object]], title: str, x: dict[str, object],
              y: dict[str, object], height: int = 380, **layout: object) -> go.Figure:
    """A figure with margins wide enough for its title, axis titles and numeric tick labels,
    and the legend in one row above the plot. Fixed margins, not automargin: the page redraws
    these charts on every slider move, and automargin makes the browser lay them out again."""
    return go.Figure(
        data=traces,
        layout={
            "template": _BLANK,
            "title": {"text": title, "x": 0, "xanchor": "left", "yref": "container", "y": 0.97,
                      "yanchor": "top"},
            "height": height,
            "margin": {"l": 70, "r": 20, "t": 90, "b": 60},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left",
                       "x": 0},
            "xaxis": x,
            "yaxis": y,
            **layout,
        },
    )


def category_f1_bars(frame: pd.DataFrame, split: str = "") -> go.Figure:
    """Per (class, category) F1 at the current and at the starting thresholds (``category``,
    ``f1``, ``f1_tuned``), labelled with the split they were computed on.

    Horizontal bars with a left margin sized to the names, not automargin: the page redraws
    this chart on every slider move, and measuring 40 labels each time costs the browser more
    than the rest of the page."""
    names = frame["category"].astype(str).to_numpy()
    classes = frame["class"].astype(str).to_numpy()[:, None]
    traces = [
        {"type": "bar", "orientation": "h", "y": names, "x": frame[column].to_numpy(),
         "name": name, "marker": {"color": SERIES_COLORS[i]}, "customdata": classes,
         "hovertemplate": f"%{{y}} (%{{customdata[0]}})<br>{name}: %{{x:.4f}}<extra></extra>"}
        for i, (name, column) in enumerate((("current thresholds", "f1"),
                                            ("starting thresholds", "f1_tuned")))
    ]
    width = max((len(n) for n in names), default=8)
    return go.Figure(
        data=traces,
        layout={
            "template": _BLANK,
            "title": {"text": "F1 per category", "x": 0, "xanchor": "left"},
            "height": 16 * len(names) + 150,
            "margin": {"l": 12 + 7 * width, "r": 20, "t": 80, "b": 60},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right",
                       "x": 1.0},
            "barmode": "group",
            "xaxis": {"title": {"text": f"F1{_on(split)} (micro within the category)"}},
            "yaxis": {"autorange": "reversed", "tickfont": {"size": 11}},
        },
    )


def pr_curve(
    curve: pd.DataFrame, current: tuple[float, float] | None, tag: str, split: str = ""
) -> go.Figure:
    """Precision against recall (columns of ``curve``), the current (recall, precision) marked."""
    part = curve.iloc[evenly(len(curve), MAX_POINTS // 2)]
    traces: list[dict[str, object]] = [{
        "type": "scatter", "x": part["recall"].to_numpy(), "y": part["precision"].to_numpy(),
        "mode": "lines", "name": "all thresholds", "customdata": part[["threshold"]].to_numpy(),
        "hovertemplate": "recall %{x:.3f}, precision %{y:.3f}<br>threshold "
                         "%{customdata[0]:.4f}<extra></extra>",
    }]
    if current is not None:
        traces.append({"type": "scatter", "x": [current[0]], "y": [current[1]],
                       "mode": "markers", "name": "current threshold",
                       "marker": {"size": 13, "color": "#E45756", "symbol": "x"}})
    return _readable(traces, f"Precision-recall: {tag}",
                     _axis(f"recall{_on(split)}", range=[0, 1.02]),
                     _axis(f"precision{_on(split)}", range=[0, 1.02]))


def f1_threshold_curve(
    curve: pd.DataFrame, current: float | None, tuned: float | None, tag: str, split: str = ""
) -> go.Figure:
    """F1, precision and recall against the threshold; current and starting thresholds marked."""
    part = curve.iloc[evenly(len(curve), MAX_POINTS // 3)]
    x = part["threshold"].to_numpy()
    traces: list[dict[str, object]] = [
        {"type": "scatter", "x": x, "y": part[col].to_numpy(), "mode": "lines", "name": col,
         "line": {"width": 3 if col == "f1" else 1.5, "color": SERIES_COLORS[[0, 3, 1][i]]}}
        for i, col in enumerate(("f1", "precision", "recall"))
    ]
    for value, name, color in ((tuned, "starting", "#888"), (current, "current", "#E45756")):
        if value is not None and np.isfinite(value):  # a line trace: add_vline is slow
            traces.append({"type": "scatter", "x": [value, value], "y": [0, 1], "mode": "lines",
                           "name": f"{name} threshold",
                           "line": {"dash": "dash", "color": color, "width": 2}})
    return _readable(traces, f"F1 against the threshold: {tag}",
                     _axis("threshold (decision: score >= threshold)"),
                     _axis(f"F1, precision, recall{_on(split)}", range=[0, 1.02]))


def threshold_shift(frame: pd.DataFrame, title: str, tuning: str = "") -> go.Figure:
    """Per tag, one threshold against another (``tag``, ``benchmark``, ``robust``,
    ``positives``): points above the diagonal mean the robust threshold is higher. ``tuning``
    names the data both were fitted on."""
    part = frame.iloc[evenly(len(frame), MAX_POINTS)]
    traces: list[dict[str, object]] = [{
        "type": "scatter", "x": part["benchmark"].to_numpy(), "y": part["robust"].to_numpy(),
        "mode": "markers", "name": "tags", "text": part["tag"].to_numpy(),
        "marker": {"size": 7, "colorscale": "Viridis",
                   "color": np.log10(part["positives"].to_numpy(dtype=np.float64) + 1),
                   "colorbar": {"title": {"text": "log10(1 + positives)"}}},
        "customdata": part[["positives"]].to_numpy(),
        "hovertemplate": "%{text}<br>benchmark %{x:.4f} → robust %{y:.4f}"
                         "<br>%{customdata[0]} positives<extra></extra>",
    }]
    finite = part[["benchmark", "robust"]].to_numpy(dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        traces.append({"type": "scatter", "x": [lo, hi], "y": [lo, hi], "mode": "lines",
                       "name": "equal", "line": {"dash": "dot"}})
    fitted = f" (fitted on {tuning})" if tuning else ""
    return _readable(traces, title, _axis(f"benchmark threshold: per-tag F1 optimum{fitted}"),
                     _axis(f"robust threshold{fitted}"), 460)


# --- track inspector ----------------------------------------------------------------------------

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
