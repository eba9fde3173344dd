"""Correlations: scores and labels within and across classes, co-occurrence lift, top pairs.

Computed on the train part of the active dataset by :mod:`mewo_core.correlations`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mewo_core import correlations, plots
from pages import _shared

VIEWS = ("Scores", "Labels", "Co-occurrence lift")
VIEW_KEYS = {"Scores": "scores", "Labels": "labels", "Co-occurrence lift": "lift"}
MIN_PAIR = 10  # co-occurrences a pair needs to be ranked by lift


st.title("Correlations")
ctx = _shared.context()
train = ctx.bundle.train
view = st.radio("View", VIEWS, horizontal=True, key="corr_view")
if view != "Scores" and train.Y is None:
    st.error("This dataset has no labels: only score correlations are available.")
    st.stop()
with st.spinner("Computing correlations…"):
    matrix = ctx.session.correlations(VIEW_KEYS[view])
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
ranked = ctx.session.correlations("lift", MIN_PAIR) if is_lift else matrix
top = correlations.strongest_pairs(ranked, top=400, by_abs=not is_lift)
if scope == "within a class":
    top = top[top["same_class"]]
elif scope == "across classes":
    top = top[~top["same_class"]]
st.dataframe(top.head(30), hide_index=True, height=420)
