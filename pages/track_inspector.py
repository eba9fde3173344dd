"""Track inspector: one track's raw scores, model scores and thresholds, against its labels.

CLI equivalent of the decisions shown: ``python -m mewo_core predict --model artifacts/NAME``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mewo_core import plots
from pages import _shared

OUTCOMES = (
    "Model and baseline disagree",
    "False positives of a tag",
    "False negatives of a tag",
    "True positives of a tag",
)
LIST_LIMIT = 500

st.title("Track inspector")
ctx = _shared.context()
data = ctx.data
labels = data.require_labels().astype(bool)
model_dec = ctx.model_scores() >= ctx.thresholds("model")
base_dec = ctx.baseline_scores() >= ctx.thresholds("baseline")
st.caption(f"{ctx.model_label} on the {ctx.split} split ({data.n_tracks:,} tracks); thresholds "
           "are the tuned ones saved with each model.")

mode = st.radio("Pick a track", ("From a list", "By id"), horizontal=True, key="ti_mode")
if mode == "By id":
    track_id = st.number_input("ChallengeID", value=int(data.ids[0]), step=1, key="ti_id")
    found = np.flatnonzero(data.ids == track_id)
    if not found.size:
        st.error(f"No track {track_id} in the {ctx.split} split.")
        st.stop()
    row = int(found[0])
else:
    c1, c2 = st.columns(2)
    outcomes = OUTCOMES[1:] if ctx.is_baseline else OUTCOMES  # nothing to disagree with
    outcome = c1.selectbox("Outcome", outcomes, key="ti_outcome")
    if outcome == OUTCOMES[0]:
        diff = (model_dec != base_dec).sum(axis=1)
        rows = np.flatnonzero(diff > 0)
        rows = rows[np.argsort(-diff[rows], kind="stable")]
        note = "tracks sorted by the number of tags model and baseline decide differently"
    else:
        tag = c2.selectbox("Tag (type to search)", list(data.tag_names), key="ti_tag",
                           index=int(labels.sum(axis=0).argmax()))
        t = data.tag_names.index(tag)
        truth, pred = labels[:, t], model_dec[:, t]
        mask = {
            OUTCOMES[1]: pred & ~truth,
            OUTCOMES[2]: ~pred & truth,
            OUTCOMES[3]: pred & truth,
        }[outcome]
        rows = np.flatnonzero(mask)
        note = f"{outcome.lower().replace(' a tag', ' ' + tag)} (model decisions)"
    if not rows.size:
        st.info(f"No track: {note}.")
        st.stop()
    st.caption(f"{rows.size:,} {note}" + (f"; first {LIST_LIMIT} listed" if rows.size >
                                          LIST_LIMIT else ""))
    shown = rows[:LIST_LIMIT]
    choice = st.selectbox("Track", [int(data.ids[r]) for r in shown], key="ti_pick")
    row = int(shown[[int(data.ids[r]) for r in shown].index(choice)])

track = pd.DataFrame({
    "tag": data.tag_names,
    "class": data.tag_classes,
    "category": data.tag_categories,
    "raw score": ctx.baseline_scores()[row],
    "model score": ctx.model_scores()[row],
    "model threshold": ctx.thresholds("model"),
    "model": model_dec[row],
    "baseline threshold": ctx.thresholds("baseline"),
    "baseline": base_dec[row],
    "truth": labels[row],
})
st.subheader(f"Track {int(data.ids[row])}")
c = st.columns(4)
c[0].metric("Labelled tags", int(track["truth"].sum()))
c[1].metric("Model tags", int(track["model"].sum()))
c[2].metric("Baseline tags", int(track["baseline"].sum()))
both = track["model"] & track["truth"]
den = track["model"].sum() + track["truth"].sum()
c[3].metric("Model F1 on this track", f"{(2 * both.sum() / den) if den else 0:.3f}")

added = track[track["model"] & ~track["baseline"]]
removed = track[~track["model"] & track["baseline"]]
left, right = st.columns(2)
with left:
    st.markdown("**Tags the model adds** (vs the baseline)")
    st.dataframe(added[["tag", "category", "model score", "truth"]], hide_index=True)
with right:
    st.markdown("**Tags the model removes** (vs the baseline)")
    st.dataframe(removed[["tag", "category", "raw score", "truth"]], hide_index=True)

profile = track.rename(columns={"model score": "score", "model threshold": "threshold"})
margin = profile["score"] - profile["threshold"]
near = margin.groupby(profile["class"]).rank(ascending=False, method="first") <= 5
relevant = profile["truth"] | profile["model"] | profile["baseline"] | near
st.plotly_chart(plots.track_profile(
    profile[relevant],
    "Model score vs threshold, by class (filled: labelled; tags labelled, predicted by either "
    "side, or among the 5 closest to their threshold)",
))
with st.expander("All tags of this track, grouped by class", expanded=False):
    for cls, part in track.groupby("class", sort=False):
        st.markdown(f"**{cls}**")
        st.dataframe(part.drop(columns="class"), hide_index=True)
