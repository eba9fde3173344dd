"""Correlations: scores and labels within and across classes, co-occurrence lift, top pairs.

Computed on the train part of the active dataset by :mod:`mewo_core.correlations`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mewo_core import correlations, plots
from mewo_core.data import Dataset
from pages import _shared

VIEWS = ("Scores", "Labels", "Co-occurrence lift")
MIN_PAIR = 10  # co-occurrences a pair needs to be ranked by lift


@st.cache_resource(show_spinner="Computing correlations…", max_entries=8)
def _matrix(data_key: str, view: str, _data: Dataset, min_pair: int = 0) -> correlations.Matrix:
    names, classes, cats = _data.tag_names, _data.tag_classes, _data.tag_categories
    if view == "Scores":
        x = _data.tag_scores()
        return correlations.correlation(x, names, classes, cats, "score correlation")
    labels = _data.require_labels()
    if view == "Labels":
        return correlations.correlation(labels, names, classes, cats, "label correlation")
    return correlations.lift(labels, names, classes, cats, min_pair=min_pair)


st.title("Correlations")
ctx = _shared.context()
train = ctx.bundle.train
view = st.radio("View", VIEWS, horizontal=True, key="corr_view")
if view != "Scores" and train.Y is None:
    st.error("This dataset has no labels: only score correlations are available.")
    st.stop()
matrix = _matrix(ctx.data_key, view, train)
class_names = matrix.class_names()
c1, c2 = st.columns(2)
row_class = c1.selectbox("Rows: class", class_names, key="corr_rows")
col_class = c2.selectbox("Columns: class", class_names, key="corr_cols")
block = matrix.block(row_class, col_class)
kind = "intra-class" if row_class == col_class else "inter-class"
is_lift = view == "Co-occurrence lift"
with np.errstate(divide="ignore", invalid="ignore"):
    values = np.log2(block.values) if is_lift else block.values
title = (
    f"{view}: {row_class} × {col_class} ({kind}; "
    + ("log2 lift, 0 = chance" if is_lift else "Pearson r")
    + "), ordered by category"
)
st.plotly_chart(
    plots.heatmap(values, block.row_names, block.col_names, block.row_categories,
                  block.col_categories, title, zmin=-3 if is_lift else -1,
                  zmax=3 if is_lift else 1)
)
st.caption(
    f"{train.n_tracks:,} train tracks. Hover a cell for both tags and their categories."
    + (" Lift is blank for tags with fewer than 20 positives; the pairs table also needs "
       f"{MIN_PAIR} tracks with both tags." if is_lift else "")
)

overview = matrix.by_category()
if is_lift:
    with np.errstate(divide="ignore", invalid="ignore"):
        overview = np.log2(overview)
st.plotly_chart(
    plots.category_heatmap(overview, f"{view}: mean per category pair"
                           + (" (log2 lift)" if is_lift else ""))
)

st.subheader("Strongest pairs")
scope = st.radio("Pairs", ("all", "within a class", "across classes"), horizontal=True,
                 key="corr_scope")
ranked = _matrix(ctx.data_key, view, train, MIN_PAIR) if is_lift else matrix
top = correlations.strongest_pairs(ranked, top=400, by_abs=not is_lift)
if scope == "within a class":
    top = top[top["same_class"]]
elif scope == "across classes":
    top = top[~top["same_class"]]
st.dataframe(top.head(30), hide_index=True, height=420)
