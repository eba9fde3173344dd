"""Track inspector: one track's raw scores, model scores and thresholds, against its labels.

Per tag, whether the model's decision uses the learned correction or falls back to the raw
score (:meth:`DecisionModel.correction_weights`), both sides' F1 on the track, the tags the model
adds and removes with both sides' scores and thresholds (:mod:`mewo_core.explain.inspector`), then
the Why view and what-if (:mod:`mewo_core.explain`).

CLI equivalent of the decisions shown: ``python -m mewo_core predict --model artifacts/NAME``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mewo_core import plots
from mewo_core.explain import decision as explain_decision
from mewo_core.explain import inspector as track_inspector
from mewo_core.explain import plots as explain_plots
from mewo_core.explain import report as explain_report
from mewo_core.explain.adapter import has_correction
from mewo_core.explain.decision import album_of
from mewo_core.explain.path import REFERENCE_ROWS, threshold_sources
from mewo_core.explain.whatif import apply_edits
from pages import _context

OUTCOMES = (
    "Model and baseline disagree",
    "False positives of a tag",
    "False negatives of a tag",
    "True positives of a tag",
)
LIST_LIMIT = 500

st.title("Track inspector")
ctx = _context.context()
data = ctx.data
labels = data.require_labels().astype(bool)
model_dec = ctx.model_scores() >= ctx.thresholds("model")
base_dec = ctx.baseline_scores() >= ctx.thresholds("baseline")
st.caption(f"{ctx.model_label} on the {ctx.split} split ({data.n_tracks:,} tracks); thresholds "
           "are the tuned ones saved with each model.")

mode = st.radio("Pick a track", ("From a list", "By id"), horizontal=True, key="ti_mode")
focus_tag: str | None = None  # the outcome filter's tag: the Why explains it first
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
        focus_tag = tag
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

model = ctx.model
weights = model.correction_weights()
track = track_inspector.track_table(
    data.tag_names, data.tag_classes, data.tag_categories,
    raw=ctx.baseline_scores()[row], model_score=ctx.model_scores()[row],
    model_threshold=ctx.thresholds("model"), baseline_threshold=ctx.thresholds("baseline"),
    truth=labels[row], weights=weights, learned=has_correction(model),
)
st.subheader(f"Track {int(data.ids[row])}")
c = st.columns(5)
c[0].metric("Labelled tags", int(track["truth"].sum()))
c[1].metric("Model tags", int(track["model"].sum()))
c[2].metric("Baseline tags", int(track["baseline"].sum()))
for col, side, name in ((c[3], "model", "Model"), (c[4], "baseline", "Baseline")):
    col.metric(f"{name} F1 on this track",
               f"{track_inspector.track_f1(track[side], track['truth']):.3f}")
src_col = track_inspector.SOURCE
if has_correction(model):
    kept = int((weights > 0).sum())
    st.caption(f"{kept} of {len(track)} tags use the learned correction (\"correction ×w\" "
               f"in column \"{src_col}\": its weight w in the blend); the others fall back to "
               "their raw score, with the model's own threshold.")

added, removed = track_inspector.changes(track)
config = {"model score": st.column_config.NumberColumn(format="%.4f"),
          "model threshold": st.column_config.NumberColumn(format="%.4f"),
          "raw score": st.column_config.NumberColumn(format="%.4f"),
          "baseline threshold": st.column_config.NumberColumn(format="%.4f")}
st.markdown("**Tags the model adds** (yes for the model, no for the baseline)")
if added.empty:
    st.caption("None.")
else:
    st.dataframe(added, hide_index=True, column_config=config)
st.markdown("**Tags the model removes** (no for the model, yes for the baseline)")
if removed.empty:
    st.caption("None.")
else:
    st.dataframe(removed, hide_index=True, column_config=config)
st.caption("Decision: score >= threshold. The model's score is its probability (own logit + "
           "blend × correction) where it uses the learned correction, else the raw score (both "
           "after the album blend, with an album context); the baseline's is the raw score.")

profile = track.rename(columns={"model score": "score", "model threshold": "threshold",
                                src_col: "source"})
margin = profile["score"] - profile["threshold"]
near = margin.groupby(profile["class"]).rank(ascending=False, method="first") <= 5
relevant = profile["truth"] | profile["model"] | profile["baseline"] | near
st.plotly_chart(plots.track_profile(profile[relevant], "Model score vs threshold, by class"))
st.caption("Filled: labelled. Shown: tags labelled, predicted by either side, or among the 5 "
           "closest to their threshold in their class.")
with st.expander("All tags of this track, grouped by class", expanded=False):
    for cls, part in track.groupby("class", sort=False):
        st.markdown(f"**{cls}**")
        st.dataframe(part.drop(columns="class"), hide_index=True, column_config=config)

# --- Why: the decision path and the attribution of each tag, with what-if -----------------------
st.subheader("Why")
explainer = _context.explainer(ctx)
raw = ctx.model.align(data).X[row].astype(np.float64)
album, mate_ids = album_of(ctx.model, data, row)
if album is not None:
    st.caption(f"This model blends each track's scores with its {ctx.model.context_.level}'s "
               f"({len(album)} other tracks here, weight {ctx.model.context_.alpha_:g}) before "
               "deciding: the blend is a step of every path below.")
edit_key = ctx.key("whatif", str(int(data.ids[row])))
edits: dict[str, float] = st.session_state.setdefault(edit_key, {})
x_now = apply_edits(raw, explainer.feature_names, edits)
candidates = explainer.default_tags(x_now, album) or list(range(len(data.tag_names)))
names = [data.tag_names[t] for t in candidates]
if focus_tag is not None:
    names = [focus_tag, *(n for n in names if n != focus_tag)]
others = [t for t in data.tag_names if t not in set(names)]
why_tag = st.selectbox(
    "Tag to explain (the outcome's tag, then disagreements with the baseline, then the model's "
    "tags; type to search)", names + others, key=ctx.key("why_tag", focus_tag or ""))
(exp,) = explainer.explain(x_now, [data.tag_names.index(why_tag)], album, mate_ids)
score_txt, thr_txt = explain_decision.pair(exp.probability, exp.threshold)
score_name = ("Probability" if exp.uses_correction
              else "Score (album-blended)" if exp.context is not None else "Score")
c = st.columns(4)
c[0].metric("Model", "yes" if exp.decision else "no", help=exp.verdict())
c[1].metric("Baseline", "yes" if exp.baseline_decision else "no",
            help=f"raw score vs its threshold {exp.baseline_threshold:.4g}")
c[2].metric(score_name, score_txt, help="what the threshold applies to")
c[3].metric("Threshold", thr_txt)
t_why = data.tag_names.index(why_tag)
if has_correction(model):  # one tag's source (one column), not every tag's on a first render
    tuning, tuning_scores = ctx.tuning("model")
    source = threshold_sources(model, ctx.session.splits.train, tuning, tuning_scores, [t_why])
else:
    source = threshold_sources(model, ctx.session.splits.train, tags=[t_why])
source = source.iloc[0]
words = explain_report.threshold_words(explain_report.threshold_record(source, ctx.manifest))
st.caption(words[0].upper() + words[1:] + ".")
st.markdown(f"**Path** ({exp.space} space): {exp.path_words()}.")
if exp.uses_correction:
    st.markdown(f"Correction = reference {exp.reference_correction:+.2f} + contributions "
                f"{exp.contributions['contribution'].sum():+.2f} (× blend {exp.blend:g} in the "
                f"decision). **Top contributors**: {exp.in_words(3)}.")
    n_train = ctx.session.splits.train.n_tracks
    st.caption("Reference track: per input score, the median over the model's train part ("
               + (f"{n_train:,} tracks)." if n_train <= REFERENCE_ROWS else
                  f"a seeded sample of {REFERENCE_ROWS:,} of its {n_train:,} tracks)."))
else:
    st.markdown(f"**Decided by**: {exp.decided_by_words()}.")
if exp.score is not None:
    st.plotly_chart(explain_plots.waterfall(exp))
# a toggle, not an expander: whether the editor is open is the session's state on the server, so
# no rerun (an edit's commit, a page change above it) can fold it in the browser
WHAT_IF = "What if: edit input scores (raw, the tagger's scale)"
if st.toggle(WHAT_IF, value=bool(edits), key=edit_key + ":open"):
    with st.container(border=True, key=edit_key + ":panel"):
        own_col = int(np.asarray(ctx.model.tag_score_index_)[data.tag_names.index(why_tag)])
        feats = (list(exp.contributions["feature"].head(5)) if exp.uses_correction
                 else [explainer.feature_names[own_col]] if own_col >= 0 else [])
        extra = st.multiselect("More features (type to search)", list(explainer.feature_names),
                               key=edit_key + ":more")
        pos = {f: i for i, f in enumerate(explainer.feature_names)}
        new = {}
        cols = st.columns(3)
        for i, f in enumerate(dict.fromkeys(feats + extra)):
            value = cols[i % 3].number_input(f, value=float(x_now[pos[f]]), format="%.4f",
                                             key=f"{edit_key}:{f}")
            if not np.isclose(value, raw[pos[f]]):
                new[f] = float(value)
        b1, b2 = st.columns(2)
        if b1.button("Apply what-if", key=edit_key + ":apply"):
            st.session_state[edit_key] = {**edits, **new}
            st.rerun()
        if b2.button("Reset edits", key=edit_key + ":reset"):
            st.session_state[edit_key] = {}
            for f in explainer.feature_names:
                st.session_state.pop(f"{edit_key}:{f}", None)
            st.rerun()
if exp.uses_correction:
    with st.expander("All contributions of this tag", expanded=False):
        st.dataframe(exp.contributions, hide_index=True)
if edits:
    _, before, _ = explainer.decisions(raw, album)
    proba, after, _ = explainer.decisions(x_now, album)
    changed = np.flatnonzero(before != after)
    st.markdown("**What-if edits**: " + ", ".join(f"{f} = {v:g}" for f, v in edits.items()))
    st.dataframe(pd.DataFrame({
        "tag": [data.tag_names[t] for t in changed],
        "before": before[changed], "after": after[changed], "decision score": proba[changed],
    }), hide_index=True)
    if not changed.size:
        st.caption("No decision of this track changes with these edits.")
    if album is not None:
        flips = explain_decision.mate_flips(ctx.model, raw, x_now, album, mate_ids)
        st.markdown(f"**Album mates' decisions these edits flip** (through the "
                    f"{ctx.model.context_.level} blend): {len(flips)}")
        if flips:
            st.dataframe(pd.DataFrame(flips), hide_index=True)
