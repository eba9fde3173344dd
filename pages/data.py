"""Data: load a folder or upload files, the validation report, a summary and score distributions.

CLI equivalent: ``python -m mewo_core validate --data FOLDER``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mewo_core import plots
from mewo_core.compare.export import dataset_summary
from mewo_core.data import columns_or_neg_inf, subsample
from mewo_core.data.uploads import UPLOAD_ROLES, bundle_from_uploads, upload_key, upload_label
from mewo_core.errors import MewoError
from mewo_core.locations import check_data_folder
from pages import _context, _sources

st.title("Data")


def _load_folder() -> None:
    text = st.session_state.get("folder_path", "")
    try:
        folder = check_data_folder(text)
        _sources.folder_bundle(folder)  # load (and validate) now, so errors show here
        _sources.add_source(f"Folder {folder.name}", {"kind": "folder", "path": str(folder)})
        st.session_state["data_message"] = ("success", f"Loaded {folder}", "folder")
    except MewoError as exc:  # the error names the path (once)
        st.session_state["data_message"] = ("error", f"Not loaded: {exc}", "folder")


def _load_uploads() -> None:
    files = {}
    for role in UPLOAD_ROLES:
        upload = st.session_state.get(f"upload_{role}")
        if upload is not None:
            files[role] = (upload.name, upload.getvalue())
    try:
        bundle = bundle_from_uploads(files)
        key = upload_key(files)
        label = upload_label(files, key, st.session_state.get("upload_name", ""))
        _sources.add_source(label, {"kind": "upload", "key": key, "bundle": bundle})
        st.session_state["data_message"] = ("success", f"Loaded {label}", "upload")
    except MewoError as exc:
        st.session_state["data_message"] = ("error", f"Upload not loaded: {exc}", "upload")


# The last load attempt's outcome, shown under the button that made it (where the user looks);
# the report below is the active dataset's. After a failed attempt the active dataset's status
# is not a green box under the error: it is another dataset.
message = st.session_state.pop("data_message", None)
failed = message is not None and message[0] == "error"


def _outcome(where: str) -> None:
    if message is not None and message[2] == where:
        (st.error if failed else st.success)(message[1])


# open once a load was tried, and kept open: an expander whose `expanded` flips back folds in
# the browser, hiding the next button the user reaches for
LOADER_OPEN = "data_loader_open"
if message is not None:
    st.session_state[LOADER_OPEN] = True
with st.expander("Load a data folder or upload files",
                 expanded=st.session_state.get(LOADER_OPEN, False)):
    left, right = st.columns(2)
    with left:
        st.markdown(
            "**Folder** with `x_train.csv`/`y_train.csv` (and optionally `x_test`/`y_test`), "
            "or `x.csv`/`y.csv`; `taxonomy.csv` and `groups.csv` beside them."
        )
        st.text_input("Folder path", key="folder_path")
        st.button("Load folder", on_click=_load_folder)
        _outcome("folder")
    with right:
        st.markdown("**Upload** CSV or Parquet files in the challenge's shape (ChallengeID "
                    "first); they stay in the server's memory, never on its disk.")
        kinds = ["csv", "parquet"]
        st.file_uploader("Scores (x) CSV", type=kinds, key="upload_x",
                         help="CSV or Parquet: ChallengeID, then one score column per tag")
        st.file_uploader("Labels (y) CSV", type=kinds, key="upload_y",
                         help="CSV or Parquet: ChallengeID, then one 0/1 column per tag")
        st.file_uploader("Taxonomy CSV (optional)", type=kinds, key="upload_taxonomy",
                         help="CSV or Parquet: column, class, category")
        st.file_uploader("Groups CSV (optional)", type=kinds, key="upload_groups",
                         help="CSV or Parquet: ChallengeID, then album_id / artist_id")
        st.text_input("Name of the upload (optional)", key="upload_name", max_chars=60,
                      placeholder="e.g. catalogue-2026-11",
                      help="How the sidebar's Dataset list names it")
        st.button("Load uploaded files", on_click=_load_uploads)
        _outcome("upload")

ctx = _context.context(wait=False)
bundle = ctx.bundle
st.subheader(f"Validation report: {ctx.data_label}")
parts = {"train": bundle.train} | ({"test": bundle.test} if bundle.test is not None else {})
splits = ctx.session.splits  # the parts as the active model splits them (Compare's numbers)
if bundle.test is not None:
    sizes = f"train files {bundle.train.n_tracks:,} tracks, test files {bundle.test.n_tracks:,}"
else:  # one vocabulary everywhere: the files' train, the train part, validation, test
    sizes = (f"train files {bundle.train.n_tracks:,} tracks (no test files: a grouped holdout "
             f"of {splits.test.n_tracks:,} is the test split, the other "
             f"{splits.train.n_tracks:,} are the train part)")  # fmt: skip
status = sizes + f"; {len(bundle.train.feature_names)} score columns, {bundle.train.n_tags} tags"
if failed:
    st.info(f"Still active: {ctx.data_label}, loaded before and valid: {status}.")
else:
    st.success(f"Valid: {ctx.data_label}: {status}")
for data in parts.values():
    for warning in data.warnings:
        st.warning(warning)

st.subheader("Summary")
summary = dataset_summary(bundle.train)
cols = st.columns(5)
cols[0].metric("Tracks (train files)", f"{summary['tracks']:,}")
cols[1].metric("Tags", summary["tags"])
cols[2].metric("Extra score columns", summary["extra_features"])
cols[3].metric("Label density", f"{summary.get('label_density', 0):.2%}")
cols[4].metric("Tags per track", f"{summary.get('tags_per_track', 0):.2f}")
if "groups" in summary:
    st.caption("Groups: " + ", ".join(f"{k} {v:,}" for k, v in summary["groups"].items()))

train = bundle.train
tags = pd.DataFrame(
    {"tag": train.tag_names, "class": train.tag_classes, "category": train.tag_categories}
)
if train.Y is not None:
    tags["frequency"] = train.Y.mean(axis=0)
    left, right = st.columns(2)
    with left:
        per_cat = (
            tags.groupby(["class", "category"], sort=False)
            .agg(tags=("tag", "size"), mean_frequency=("frequency", "mean"))
            .reset_index()
        )
        st.dataframe(per_cat, hide_index=True, height=_context.table_height(len(per_cat), 360))
    with right:
        st.plotly_chart(plots.tags_per_track(train.Y.sum(axis=1)))
    order = tags.sort_values(["class", "category", "frequency"], ascending=[True, True, False])
    st.plotly_chart(plots.tag_frequencies(order))

st.subheader("Score distributions per tag")
default = list(tags.sort_values("frequency", ascending=False)["tag"].head(3)) if (
    "frequency" in tags
) else list(train.tag_names[:3])
chosen = st.multiselect("Tags", list(train.tag_names), default=default, max_selections=6)
if chosen:
    idx = [train.tag_names.index(t) for t in chosen]
    rows = subsample.seeded(train.n_tracks, seed=ctx.spec.seed)  # all rows up to VIEW_ROWS
    sampled = rows.size < train.n_tracks
    # the chosen columns of the sampled rows only
    scores = columns_or_neg_inf(train.X, train.tag_feature_index[idx], rows=rows)
    labels = None if train.Y is None else train.Y[np.ix_(rows, idx)]
    st.plotly_chart(plots.score_histograms(scores, labels, chosen))
    if sampled:
        st.caption(f"Sampled view: these distributions are drawn from a seeded random sample of "
                   f"{rows.size:,} of the {train.n_tracks:,} tracks (seed {ctx.spec.seed}); the "
                   "summary, tag frequencies and every other page's figures are exact.")
    st.caption(
        "Raw tagger scores, not normalised: each tag has its own scale, which is why one "
        f"threshold for all tags fails. Range of the chosen tags: "
        f"{float(np.nanmin(np.where(np.isfinite(scores), scores, np.nan))):.4f} – "
        f"{float(np.nanmax(np.where(np.isfinite(scores), scores, np.nan))):.4f}."
    )
