"""Correlations: scores and labels within and across classes, co-occurrence lift, top pairs.

Computed on the train part of the active dataset by :mod:`mewo_core.data.correlations`.
Every view on the page (tag heatmap, category overview, strongest pairs) follows the chosen
class pair and the minimum co-occurrence count; lift is shown as log2 lift everywhere.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mewo_core import plots
from mewo_core.data import correlations
from pages import _context

VIEWS = ("Scores", "Labels", "Co-occurrence lift")
VIEW_KEYS = {"Scores": "scores", "Labels": "labels", "Co-occurrence lift": "lift"}
TOP = 30


st.title("Correlations")
ctx = _context.context(wait=False)
train = ctx.bundle.train
view = st.radio("View", VIEWS, horizontal=True, key="corr_view")
has_labels = train.Y is not None
if view != "Scores" and not has_labels:
    st.error("This dataset has no labels: only score correlations are available.")
    st.stop()
is_lift = view == "Co-occurrence lift"
with st.spinner("Computing correlations…"):
    matrix = ctx.session.correlations(VIEW_KEYS[view])
if is_lift:
    matrix = matrix.log2()
class_names = [*matrix.class_names(), correlations.ALL]
c1, c2, c3 = st.columns(3)
row_class = c1.selectbox("Rows: class", class_names, key="corr_rows")
col_class = c2.selectbox("Columns: class", class_names, key="corr_cols")
min_count = 0
if has_labels:
    min_count = int(c3.number_input(
        "Minimum co-occurrence (tracks with both tags)", min_value=0, step=5,
        value=correlations.DEFAULT_MIN_PAIR[VIEW_KEYS[view]], key=f"corr_min_{VIEW_KEYS[view]}",
        help="Pairs seen together on fewer tracks are blank in the heatmaps and left out of "
             "the pairs table.",
    ))
shown = matrix.at_least(min_count)
block = shown.block(row_class, col_class)
kind = "intra-class" if row_class == col_class != correlations.ALL else "inter-class"
if correlations.ALL in (row_class, col_class):
    kind = "all tags"
scale = "log2 lift (0 = chance, +1 = twice as often)" if is_lift else "Pearson r"
values = block.masked()
limit = correlations.color_limit(values)
st.plotly_chart(
    plots.heatmap(
        values, block.row_names, block.col_names, block.row_categories, block.col_categories,
        f"{view}: {row_class} × {col_class} ({kind}; {scale})", zmin=-limit, zmax=limit,
        counts=block.counts, value_label="log2 lift" if is_lift else "r", labelled=True,
        boundaries=True, max_cells=plots.TAG_HEATMAP_CELLS,
    ),
)
notes = [
    f"The train part: {ctx.session.splits.train.n_tracks:,} tracks (the held-out test is not "
    "in it); tags ordered by category, lines between categories.",
    *([f"Sampled view: the correlations are computed on an evenly spaced sample of "
       f"{matrix.sample[0]:,} of these {matrix.sample[1]:,} tracks; the co-occurrence counts "
       "and every other page's figures are exact."] if matrix.sample else []),
    "A tag against itself is blank; the colour scale spans the 99th percentile of the other "
    f"cells (±{limit:.2f}), stronger cells saturate.",
]
if is_lift:
    notes.append("Lift is blank for tags with fewer than 20 positives.")
if min_count:
    notes.append(f"Pairs seen together on fewer than {min_count} tracks are blank.")
st.caption(" ".join(notes) + " Hover a cell for both tags, their categories and counts.")

overview = block.by_category()
if overview.shape[0] > 1 or overview.shape[1] > 1:
    overview_limit = correlations.color_limit(overview.to_numpy())
    st.plotly_chart(
        plots.category_heatmap(
            overview, f"{view}: mean per category pair, {row_class} × {col_class} ({scale})",
            zmin=-overview_limit, zmax=overview_limit,
            value_label="mean log2 lift" if is_lift else "mean r",
        ),
    )
else:  # one category on both axes: a single cell says nothing the heatmap above does not
    st.caption(f"One category here ({overview.index[0]}): no per-category overview; the mean "
               f"over all its pairs is {float(np.nanmean(block.masked())):+.3f}.")

st.subheader("Strongest pairs")
top = correlations.strongest_pairs(shown, top=TOP, by_abs=not is_lift, row_class=row_class,
                                   col_class=col_class)
st.caption(
    f"{row_class} × {col_class}, "
    + ("by log2 lift, highest first" if is_lift else "by |r|, strongest first")
    + (f"; pairs with at least {min_count} tracks carrying both" if min_count else "")
    + ("; both: tracks carrying the two tags, positives: tracks carrying each."
       if "both" in top else ".")
)
st.dataframe(top, hide_index=True, height=_context.table_height(len(top), 420))
