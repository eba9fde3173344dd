"""Relations: what the model learned between tags, beside the data's own structure.

Computed by :mod:`mewo_core.explain.relations` (CLI: ``python -m mewo_core explain --model M
--data D --relations --out relations.csv``), cached by model, data and split.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from mewo_core import plots
from mewo_core.data.correlations import taxonomy_order
from mewo_core.explain.adapter import has_correction
from mewo_core.explain.relations import (
    MAX_TRACKS,
    top_relations,
)
from pages import _context

st.title("Relations")
ctx = _context.context()
st.caption("Per tag that keeps the learned correction: the mean Integrated-Gradients "
           "contribution of each input score to the correction (logit units, against the "
           "median training track), beside the data's own structure.")
if ctx.is_baseline or not has_correction(ctx.model):
    st.info("The active model is a threshold model: it learns no relation between tags. "
            "Choose a reservoir-transformer in the sidebar.")
    st.stop()


n_split = ctx.session.data(ctx.split).n_tracks
whole = min(n_split, MAX_TRACKS)
choices = [n for n in (300, 1000, 5000) if n < whole] + [whole]
max_tracks = st.select_slider(
    "Tracks of the split", choices, value=whole, key="rel_tracks",
    format_func=lambda n: (f"all {n:,}" if n == n_split else f"{n:,} (seeded sample)"),
    help=f"The whole split up to {MAX_TRACKS:,} tracks; a seeded sample of the chosen size "
         "otherwise.")
bar = st.empty()
started = time.perf_counter()


def _progress(done: int, total: int) -> None:
    elapsed = time.perf_counter() - started
    left = elapsed * (total - done) / done if done else float("nan")
    eta = f", about {left:.0f} s left" if done and np.isfinite(left) else ""
    bar.progress(done / max(total, 1), text="Computing the relation map (once; kept on "
                 f"disk): {done:,} / {total:,} tracks{eta}")


with st.spinner("Computing the relation map (once; kept on disk)…"):
    rel, structure, agree = ctx.session.relations(ctx.split, max_tracks, progress=_progress)
bar.empty()
n_tags = len(ctx.model.tag_names_)


def _agreement(name: str) -> tuple[str, str]:
    """A card's figure, or "—" with why there is none."""
    value, pairs = agree[name], agree[name + "_pairs"]
    if np.isfinite(value):
        return f"{value:.3f}", f"over {pairs:,} pairs"
    why = (f"only {pairs} pairs with a value on both sides" if pairs < 3 else
           "one side is constant over the pairs (e.g. every contribution is 0)")
    return "—", f"no figure: {why}"


c = st.columns(3)
c[0].metric("Tags keeping a correction", f"{len(rel.tag_names)} / {n_tags}")
lift_value, lift_note = _agreement("signed_vs_log_lift")
corr_value, corr_note = _agreement("abs_vs_abs_score_correlation")
c[1].metric("Agreement with lift (Spearman)", lift_value,
            help="rank correlation of the mean signed contribution with log2 co-occurrence "
                 f"lift, {lift_note}")
c[2].metric("Agreement with score correlation", corr_value,
            help=f"rank correlation of the mean |contribution| with |score correlation|, "
                 f"{corr_note}")
if "no figure" in lift_note or "no figure" in corr_note:
    st.caption("Agreement: " + "; ".join(
        f"{label} {note}" for label, note in (("lift:", lift_note), ("score correlation:",
                                                                     corr_note))
        if "no figure" in note) + ".")
if not rel.tag_names:
    st.warning("No tag keeps the learned correction: every decision is the benchmark's, and "
               "the model learned no relation that held up on validation.")
    st.stop()
sampled = "" if rel.n_tracks >= n_split else " (a seeded sample)"
check = (f" Against {rel.check_steps} nodes on {rel.check_tracks} of these "
         f"tracks, the mean contributions differ by at most {rel.check_error:.1%} of the "
         "largest (per-track errors partly cancel in the whole split's means)."
         if rel.check_tracks and np.isfinite(rel.check_error) else "")
st.caption(
    f"{rel.n_tracks:,} tracks of the {ctx.split} split{sampled}; Integrated Gradients with "
    f"{rel.n_steps} Gauss-Legendre nodes per track (one batched pass for every tag).{check} "
    f"Per (track, tag) the contributions add up to the correction's gap within 1 % for "
    f"{rel.complete_share:.1%} of pairs (summed residual {rel.relative_residual:.1%} of the "
    "summed gap): read single tracks in the Track inspector's Why, which integrates to 1 %. "
    "Near 0, the model's relations are not the data's.")

classes = list(dict.fromkeys(rel.tag_classes))
fclasses = list(dict.fromkeys(rel.feature_classes))
c1, c2, c3 = st.columns(3)
row_class = c1.selectbox("Rows: tags of class", classes, key="rel_rows")
col_class = c2.selectbox("Columns: input scores of class", fclasses, key="rel_cols")
view = c3.radio("Map", ("mean contribution", "mean |contribution|", "decision flips"),
                key="rel_view")
r = np.flatnonzero(np.asarray(rel.tag_classes) == row_class)
r = r[taxonomy_order([rel.tag_names[i] for i in r], [rel.tag_classes[i] for i in r],
                     [rel.tag_categories[i] for i in r])]
cidx = np.flatnonzero(np.asarray(rel.feature_classes) == col_class)
cidx = cidx[taxonomy_order([rel.feature_names[i] for i in cidx],
                           [rel.feature_classes[i] for i in cidx],
                           [rel.feature_categories[i] for i in cidx])]
values = {"mean contribution": rel.mean_contribution, "mean |contribution|": rel.mean_abs,
          "decision flips": rel.flip_share}[view][np.ix_(r, cidx)]
rows = [rel.tag_names[i] for i in r]
cols = [rel.feature_names[i] for i in cidx]
rcat = [rel.tag_categories[i] for i in r]
ccat = [rel.feature_categories[i] for i in cidx]
left, right = st.columns(2)
with left:
    st.plotly_chart(plots.heatmap(
        values, rows, cols, rcat, ccat, f"Model: {view} ({row_class} × {col_class})",
        zmid=0.0 if view == "mean contribution" else None,
        colorscale="RdBu_r" if view == "mean contribution" else "Viridis", labelled=True))
with right:
    data_view = st.radio("Data", ("log2 lift (labels)", "score correlation"), horizontal=True,
                         key="rel_data")
    with np.errstate(divide="ignore", invalid="ignore"):
        other = (np.log2(structure.lift) if data_view.startswith("log2")
                 else structure.score_correlation)[np.ix_(r, cidx)]
    st.plotly_chart(plots.heatmap(
        other, rows, cols, rcat, ccat, f"Data: {data_view} ({row_class} × {col_class})",
        zmin=-3 if data_view.startswith("log2") else -1,
        zmax=3 if data_view.startswith("log2") else 1, labelled=True))

st.subheader("Strongest relations")
top = top_relations(rel, structure, 40).drop(
    columns=["tag_class", "tag_category", "feature_class", "feature_category"])
number = {c: st.column_config.NumberColumn(format="%.3f") for c in top.columns
          if c not in ("tag", "feature")}
st.dataframe(top, hide_index=True, height=420, column_config=number)
st.caption("Classes and categories are in the CLI's CSV (`explain --relations --out`); a blank "
           "lift or correlation: the pair has no value in the data (e.g. a tag without "
           "positives).")
