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
) -> go.Figure:
    """A labelled heatmap; hover shows both names and their groups (categories).

    Larger than :data:`MAX_POINTS` cells, rows and columns are evenly subsampled.
    """
    values = np.asarray(values)
    side = int(np.sqrt(MAX_POINTS))
    r = evenly(values.shape[0], side if values.size > MAX_POINTS else values.shape[0])
    c = evenly(values.shape[1], side if values.size > MAX_POINTS else values.shape[1])
    v = values[np.ix_(r, c)]
    rows = [row_names[i] for i in r]
    cols = [col_names[j] for j in c]
    hover = np.array(
        [[f"{row_groups[i]} / {col_groups[j]}" for j in c] for i in r], dtype=object
    )
    fig = _figure(
        go.Heatmap(
            z=np.where(np.isfinite(v), v, None),
            x=cols,
            y=rows,
            customdata=hover,
            colorscale=colorscale,
            zmid=zmid,
            zmin=zmin,
            zmax=zmax,
            hovertemplate="%{y} × %{x}<br>%{customdata}<br>%{z:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showticklabels=len(rows) <= 40)
    fig.update_xaxes(showticklabels=len(cols) <= 40)
    return _layout(fig, title, 640)


def category_heatmap(frame: pd.DataFrame, title: str, zmid: float | None = 0.0) -> go.Figure:
    """A category x category overview (the output of ``Matrix.by_category``)."""
    names = [str(c) for c in frame.index]
    return heatmap(frame.to_numpy(), names, names, names, names, title, zmid=zmid)


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


def track_profile(frame: pd.DataFrame, title: str) -> go.Figure:
    """One track's tags grouped by class: score (``score``) against threshold (``threshold``),
    ground truth (``truth``) as filled markers; columns ``tag``, ``class``, ``category``."""
    classes = list(dict.fromkeys(frame["class"]))
    fig = _subplots(rows=len(classes), cols=1, subplot_titles=classes, vertical_spacing=0.12)
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
                customdata=sub[["category", "threshold"]],
                hovertemplate="%{x} (%{customdata[0]})<br>score %{y:.4f}, "
                "threshold %{customdata[1]:.4f}<extra></extra>",
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
    fig.update_xaxes(tickangle=-40, tickfont=dict(size=10))
    return _layout(fig, title, 260 * len(classes) + 80)
