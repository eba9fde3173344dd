"""Threshold figures: per-category F1, PR and F1-vs-threshold curves, threshold shifts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..data.subsample import evenly
from .base import _BLANK, MAX_POINTS, SERIES_COLORS

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
            "margin": {"l": 70, "r": 20, "t": 90, "b": 60, "autoexpand": False},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left",
                       "x": 0},
            "xaxis": {**x, "automargin": False},
            "yaxis": {**y, "automargin": False},
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
            "margin": {"l": 12 + 7 * width, "r": 20, "t": 80, "b": 60, "autoexpand": False},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right",
                       "x": 1.0},
            "barmode": "group",
            "xaxis": {"title": {"text": f"F1{_on(split)} (micro within the category)"},
                      "automargin": False},
            "yaxis": {"autorange": "reversed", "tickfont": {"size": 11}, "automargin": False},
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


