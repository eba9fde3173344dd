"""The sidebar (dataset, model, split), the page address that keeps them, and the introduction.

The dataset, model and split live in the address's query parameters (``data``, ``model``,
``split``; ``intro=off`` once the introduction is hidden), read once per browser session and
written in one update when one of them changes, so a page visit adds one history entry and a
reload restores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from mewo_core.data import Dataset
from mewo_core.errors import MewoError
from mewo_core.locations import artifacts_root
from mewo_core.session import SPLITS

from ._artifacts import BASELINE, DEMO_MODEL, PENDING_MODEL, model_choices, model_problems
from ._notices import flash
from ._sources import DEMO_LABEL, bundle, is_demo, source_from_ref, source_ref, sources

RESTORED = "mewo_restored"
INTRO_OFF = "mewo_intro_off"
INTRO_TEXT = """\
**Mewo Tag Lab** turns a music auto-tagger's per-tag scores into yes/no tags, and shows how
good those decisions are against a per-tag-threshold baseline.

- {data}
- **Real data**: on **Data**, load a folder with `x_train.csv` / `y_train.csv` (scores and 0/1
  labels by `ChallengeID`, Parquet too) or upload the files.
- **Where to start**: *Data* for the catalogue, *Thresholds* to move thresholds and see F1 change,
  *Compare* for a model against the baseline, *Models* to train and save one.
"""
DEMO_TEXT = ("The **demo catalogue** loaded now is *synthetic*: generated tracks, albums and "
             "artists in the shape of the MediaEval / Mewo challenge data, so that everything "
             "works without real data.")  # fmt: skip


def _restore_from_address() -> None:
    """Once per browser session: the dataset, model and split that the address names (a reload
    keeps them). What cannot be restored is said, and the defaults are used."""
    if st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    params = st.query_params
    ref = params.get("data")
    if ref and ref != "demo":
        try:
            st.session_state["dataset"] = source_from_ref(ref)
        except MewoError as exc:
            flash("warning", f"The dataset in the address ({ref}) was not loaded: {exc}. "
                             "Showing the demo catalogue.")
    if params.get("model"):
        st.session_state["model"] = params["model"]
    if params.get("split") in SPLITS:
        st.session_state["split"] = params["split"]
    if params.get("intro") == "off":
        st.session_state[INTRO_OFF] = True


def address(label: str) -> dict[str, str]:
    """The query parameters that name the active dataset, model and split."""
    model = st.session_state.get("model", BASELINE)
    want = {
        "data": source_ref(label),
        "model": None if model == BASELINE else model,
        "split": st.session_state.get("split", "validation"),
        "intro": "off" if st.session_state.get(INTRO_OFF) else None,
    }
    return {k: v for k, v in want.items() if v is not None}


def _write_address(label: str) -> None:
    """Write the address in one update, and only when it changes (each write is a history
    entry of the browser)."""
    want = address(label)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def _active_data(label: str) -> Dataset | None:
    """The active dataset's train part, or None when it cannot be loaded (the page says why)."""
    try:
        return bundle(label)[1].train
    except MewoError:
        return None


def _choose_model(names: list[str], problems: dict[str, str], label: str) -> None:
    """Keep the model choice among ``names``: a pending choice (a just-saved artifact) wins; a
    model that does not fit the active data falls back to the baseline with one notice."""
    pending = st.session_state.pop(PENDING_MODEL, None)
    if pending in names:
        st.session_state["model"] = pending
    choice = st.session_state.get("model")
    if choice in names:
        return
    if choice is None:
        st.session_state["model"] = DEMO_MODEL if DEMO_MODEL in names else BASELINE
        return
    if choice in problems:
        flash("warning", f"Model {choice} cannot be used on {label} ({problems[choice]}): the "
                         "baseline is selected instead. The sidebar's Model list offers the "
                         "models that fit this data.")
    else:
        flash("warning", f"There is no model {choice} under {artifacts_root()}: the baseline is "
                         "selected instead.")
    st.session_state["model"] = BASELINE


def sidebar(pages: Sequence[tuple[Any, tuple[str, str, str]]] = ()) -> None:
    """The page links, then the dataset, model and split selectors (rendered by ``app.py`` on
    every page), restored from and written to the address; only the models that fit the active
    data are offered. Each page link carries the address, so a visit is one history entry."""
    _restore_from_address()
    links = st.sidebar.container(key="page_links")
    with st.sidebar:
        labels = list(sources())
        if st.session_state.get("dataset") not in labels:
            st.session_state["dataset"] = labels[0]
        label = st.selectbox("Dataset", labels, key="dataset",
                             help="Load folders or uploads on Data")
        data = _active_data(label)
        names, _ = model_choices(data)
        problems = model_problems(data) if data is not None else {}
        _choose_model(names, problems, label)
        st.selectbox("Model", names, key="model", help="Artifacts under " + str(
            artifacts_root()) + " that fit the active data")
        if problems:
            with st.expander(f"Models that do not fit this data ({len(problems)})"):
                st.markdown("\n".join(f"- **{n}**: {why}" for n, why in problems.items()))
        if "split" not in st.session_state:
            st.session_state["split"] = "validation"  # tune on validation, check on test
        st.radio("Split to show", list(SPLITS), key="split", horizontal=True)
        if len(names) == 1:
            st.caption(
                (f"No trained model under {artifacts_root()} yet: the baseline is shown. "
                 if not problems else "No saved model fits this data: the baseline is shown. ")
                + "Train one on the Models page."
            )
    query = address(label)
    with links:
        for page, (_, title, icon) in pages:  # titles from the spec: a bare run has no Page._title
            st.page_link(page, label=title, icon=icon, query_params=query)
    _write_address(label)


def intro_text(label: str) -> str:
    """The introduction, describing the dataset actually loaded."""
    if is_demo(label):
        data = DEMO_TEXT
    else:
        data = (f"The dataset loaded now is **{label}**: your data, not the synthetic demo "
                "catalogue (which stays available in the sidebar's Dataset list).")
    return INTRO_TEXT.format(data=data)


def intro() -> None:
    """A short introduction above every page until the user hides it (remembered in the
    address, so a reload keeps it hidden)."""
    if st.session_state.get(INTRO_OFF):
        return

    def hide() -> None:
        st.session_state[INTRO_OFF] = True

    label = st.session_state.get("dataset", DEMO_LABEL)
    with st.container(border=True, key="intro"):
        st.markdown(intro_text(label if label in sources() else DEMO_LABEL))
        st.button("Got it, hide this", on_click=hide, key="intro_hide")
