"""Compare: the active model against the per-tag-threshold baseline on the chosen split.

CLI equivalent: ``python -m mewo_core evaluate --model artifacts/NAME [--json]`` (test split).
"""

from __future__ import annotations

import streamlit as st

from mewo_core import plots
from mewo_core.evaluation import wins_losses
from pages import _shared

AVERAGES = (("weighted", "Weighted F1"), ("micro", "Micro F1"), ("macro", "Macro F1"),
            ("samples", "Samples F1"))

st.title("Compare with the baseline")
ctx = _shared.context()
data = ctx.data
if ctx.is_baseline:
    st.info(
        "No trained model is selected (or none exists yet): the baseline is compared with "
        "itself. Choose a model in the sidebar, or train one on the Models page."
    )
trained_on = (ctx.manifest or {}).get("data_fingerprint")
if trained_on and trained_on != ctx.bundle.train.fingerprint:
    st.warning(
        f"{ctx.model_label} was trained on other data than {ctx.data_label}: its validation "
        "split here is not the one it was tuned on, and test tracks may overlap its training."
    )
comparison = ctx.comparison()
st.caption(
    f"{ctx.model_label} vs per-tag thresholds (the challenge benchmark, tuned on the train "
    f"part) on the {ctx.split} split: {data.n_tracks:,} tracks, {data.n_tags} tags."
)
overall = comparison.overall.set_index("average")
cols = st.columns(4)
for col, (key, label) in zip(cols, AVERAGES, strict=True):
    col.metric(
        label,
        f"{overall.at[key, 'model']:.4f}",
        delta=f"{overall.at[key, 'delta']:+.4f} vs baseline {overall.at[key, 'baseline']:.4f}",
    )

left, right = st.columns([1, 2])
series = {"model": "f1", "baseline": "f1_baseline"}
left.plotly_chart(plots.grouped_bars(comparison.per_class, "class", series,
                                     "F1 per class (micro within the class)"))
right.plotly_chart(plots.grouped_bars(comparison.per_category, "category", series,
                                      "F1 per category"))

st.subheader("Per tag")
table = comparison.per_tag
f1, f2, f3 = st.columns(3)
pick_class = f1.multiselect("Class", sorted(table["class"].unique()), key="cmp_class")
cat_options = sorted(
    table.loc[table["class"].isin(pick_class) if pick_class else slice(None), "category"].unique()
)
pick_cat = f2.multiselect("Category", cat_options, key="cmp_category")
search = f3.text_input("Tag name contains", key="cmp_search")
shown = table
if pick_class:
    shown = shown[shown["class"].isin(pick_class)]
if pick_cat:
    shown = shown[shown["category"].isin(pick_cat)]
if search.strip():
    shown = shown[shown["tag"].str.contains(search.strip(), case=False, regex=False)]
columns = ["tag", "class", "category", "support", "precision", "recall", "f1",
           "precision_baseline", "recall_baseline", "f1_baseline", "delta_f1"]
st.dataframe(
    shown[columns].sort_values("delta_f1"),
    hide_index=True,
    height=380,
    column_config={c: st.column_config.NumberColumn(format="%.4f") for c in columns[4:]},
)
wins, losses, ties = wins_losses(shown["delta_f1"])
st.caption(f"{len(shown)} tags shown: {wins} better, {losses} worse, {ties} equal.")

top = st.slider("Tags in the win / loss charts", 5, 30, 12, key="cmp_top")
ranked = shown.sort_values("delta_f1")
left, right = st.columns(2)
left.plotly_chart(plots.delta_bars(ranked.iloc[::-1].head(top), "Where the model wins most"))
right.plotly_chart(plots.delta_bars(ranked.head(top), "Where the model loses most"))
