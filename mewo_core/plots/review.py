"""The Review page's figures: the budget curve and the reliability diagram, from the tables of
:mod:`mewo_core.review`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .base import _figure, _layout

__all__ = ["budget_curve_figure", "reliability_figure"]

_COLORS = {"gain": "#4C78A8", "uncertainty": "#72B7B2", "closest": "#E45756", "random": "#B8B8B8"}
_LABELS = {
    "gain": "queue (expected F1 gain)",
    "uncertainty": "probability the decision is wrong",
    "closest": "closest to the threshold",
    "random": "random order",
}


def budget_curve_figure(curves: pd.DataFrame, average: str = "weighted") -> go.Figure:
    """F1 after the first checks of each ordering (``compare_orderings``' table: ordering,
    fraction, f1); the queue's expected curve dotted when present."""
    fig = _figure()
    for name, part in curves.groupby("ordering", sort=False):
        x = [0.0, *part["fraction"]]
        base = part["f1"].iloc[0] - part["gain"].iloc[0]
        fig.add_trace(go.Scatter(
            x=x, y=[base, *part["f1"]], mode="lines+markers", name=_LABELS.get(name, name),
            line={"color": _COLORS.get(name)},
        ))  # fmt: skip
        if "expected_f1" in part and part["expected_f1"].notna().all():
            e0 = part["expected_f1"].iloc[0] - part["expected_gain"].iloc[0]
            fig.add_trace(go.Scatter(
                x=x, y=[e0, *part["expected_f1"]], mode="lines", name="queue, expected",
                line={"color": _COLORS["gain"], "dash": "dot"},
            ))  # fmt: skip
    fig.update_xaxes(title="share of the decisions checked", tickformat=".0%")
    fig.update_yaxes(title=f"{average} F1 after the checks")
    return _layout(fig, "Budget curve")


def reliability_figure(table: pd.DataFrame) -> go.Figure:
    """The reliability diagram (``reliability_table``): positive rate against mean probability
    per bin and class, beside the diagonal."""
    fig = _figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="calibrated",
                             line={"color": "#B8B8B8", "dash": "dash"}))  # fmt: skip
    for name, part in table[table["count"] > 0].groupby("class", sort=False):
        fig.add_trace(go.Scatter(
            x=part["mean_probability"], y=part["positive_rate"], mode="lines+markers", name=name,
            customdata=part["count"],
            hovertemplate="%{x:.3f} -> %{y:.3f} (%{customdata} decisions)",
        ))  # fmt: skip
    fig.update_xaxes(title="mean probability in the bin", range=[0, 1])
    fig.update_yaxes(title="share of positives", range=[0, 1])
    return _layout(fig, "Reliability")
