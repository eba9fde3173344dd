"""Data: load a folder or upload files, the validation report, a summary and score distributions.

CLI equivalent: ``python -m mewo_core validate --data FOLDER``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mewo_core import plots
from mewo_core.data import columns_or_neg_inf
from mewo_core.data.uploads import UPLOAD_ROLES, bundle_from_uploads, upload_key
from mewo_core.errors import MewoError
from mewo_core.locations import check_data_folder
from mewo_core.reports import dataset_summary
from pages import _shared

st.title("Data")


def _load_folder() -> None:
    try:
        folder = check_data_folder(st.session_state.get("folder_path", ""))
        _shared.folder_bundle(folder)  # load (and validate) now, so errors show here
        _shared.add_source(f"Folder {folder.name}", {"kind": "folder", "path": str(folder)})
        st.session_state["data_message"] = ("success", f"Loaded {folder}")
    except MewoError as exc:
        st.session_state["data_message"] = ("error", str(exc))


def _load_uploads() -> None:
    files = {}
    for role in UPLOAD_ROLES:
        upload = st.session_state.get(f"upload_{role}")
        if upload is not None:
            files[role] = (upload.name, upload.getvalue())
    try:
        bundle = bundle_from_uploads(files)
        key = upload_key(files)
        label = f"Upload {files['x'][0]} ({key[:6]})"
        _shared.add_source(label, {"kind": "upload", "key": key, "bundle": bundle})
        st.session_state["data_message"] = ("success", f"Loaded {label}")
    except MewoError as exc:
        st.session_state["data_message"] = ("error", str(exc))


with st.expander("Load a data folder or upload files", expanded=False):
    left, right = st.columns(2)
    with left:
        st.markdown(
            "**Folder** with `x_train.csv`/`y_train.csv` (and optionally `x_test`/`y_test`), "
            "or `x.csv`/`y.csv`; `taxonomy.csv` and `groups.csv` beside them."
        )
        st.text_input("Folder path", key="folder_path")
        st.button("Load folder", on_click=_load_folder)
    with right:
        st.markdown("**Upload** CSV files in the challenge's shape (ChallengeID first).")
        st.file_uploader("Scores (x) CSV", type=["csv", "parquet"], key="upload_x")
        st.file_uploader("Labels (y) CSV", type=["csv", "parquet"], key="upload_y")
        st.file_uploader("Taxonomy CSV (optional)", type=["csv"], key="upload_taxonomy")
        st.file_uploader("Groups CSV (optional)", type=["csv", "parquet"], key="upload_groups")
        st.button("Load uploaded files", on_click=_load_uploads)

message = st.session_state.pop("data_message", None)
if message is not None:
    kind, text = message
    (st.error if kind == "error" else st.success)(text)

ctx = _shared.context()
bundle = ctx.bundle
st.subheader(f"Validation report: {ctx.data_label}")
parts = {"train": bundle.train} | ({"test": bundle.test} if bundle.test is not None else {})
st.success(
    "Valid: " + ", ".join(f"{name} {d.n_tracks:,} tracks" for name, d in parts.items())
    + f"; {len(bundle.train.feature_names)} score columns, {bundle.train.n_tags} tags"
    + ("" if bundle.test is not None else " (no test files: a grouped 20 % holdout is the test)")
)
for data in parts.values():
    for warning in data.warnings:
        st.warning(warning)

st.subheader("Summary")
summary = dataset_summary(bundle.train)
cols = st.columns(5)
cols[0].metric("Tracks (train)", f"{summary['tracks']:,}")
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
        st.dataframe(per_cat, hide_index=True, height=360)
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
    scores = columns_or_neg_inf(train.X, train.tag_feature_index[idx])
    labels = None if train.Y is None else train.Y[:, idx]
    st.plotly_chart(plots.score_histograms(scores, labels, chosen))
    st.caption(
        "Raw tagger scores, not normalised: each tag has its own scale, which is why one "
        f"threshold for all tags fails. Range of the chosen tags: "
        f"{float(np.nanmin(np.where(np.isfinite(scores), scores, np.nan))):.4f} – "
        f"{float(np.nanmax(np.where(np.isfinite(scores), scores, np.nan))):.4f}."
    )
