"""What a page works on: the active dataset, split and model as one :class:`PageContext`.

Everything is computed by a UI-free :class:`mewo_core.session.Session`; this module only caches
sessions with ``st.cache_resource`` keyed by their ids (data key, model id), passing the objects
themselves as ``_``-prefixed arguments, which Streamlit does not hash. Every page imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from mewo_core import demo
from mewo_core.artifacts import model_fits_data, model_id
from mewo_core.compare.evaluation import Comparison
from mewo_core.data import DataBundle, Dataset, SplitSpec
from mewo_core.errors import MewoError
from mewo_core.models import DecisionModel
from mewo_core.scoring.explorer import ThresholdExplorer
from mewo_core.session import SPLITS, Session
from mewo_core.session.preparation import Preparation

from ._artifacts import BASELINE, model_choices
from ._legacy import leave_legacy_pages_mode
from ._sources import DEMO_LABEL, bundle, sources

leave_legacy_pages_mode()


@st.cache_resource(show_spinner=False, max_entries=8)
def _session(data_key: str, model_id: str, _bundle: DataBundle, _manifest: dict[str, Any] | None,
             _model_name: str, _model_path: str) -> Session:
    """One session per (data, model), shared by every browser session: it computes each value
    once (splits, baseline, scores, explorers, comparison)."""
    return Session.open(_bundle, data_key, _model_path or None, manifest=_manifest,
                        model_name=_model_name, cache_dir=demo.cache_root() / "scores")


# --- context ------------------------------------------------------------------------------------


@dataclass
class PageContext:
    """What one page run shows: a :class:`~mewo_core.session.Session` and the split chosen."""

    session: Session
    split: str
    data_label: str
    model_label: str

    # identity and parts, as the pages name them
    @property
    def data_key(self) -> str:
        return self.session.data_key

    @property
    def model_id(self) -> str:
        return self.session.model_id

    @property
    def key_id(self) -> str:
        """Identity of the session's computations (data, model, split spec): for caches."""
        return self.session.key

    @property
    def bundle(self) -> DataBundle:
        return self.session.bundle

    @property
    def manifest(self) -> dict[str, Any] | None:
        return self.session.manifest

    @property
    def spec(self) -> SplitSpec:
        return self.session.spec

    @property
    def is_baseline(self) -> bool:
        return self.session.is_baseline

    @property
    def baseline(self) -> DecisionModel:
        with st.spinner("Fitting the per-tag-threshold baseline…"):
            return self.session.baseline

    @property
    def model(self) -> DecisionModel:
        with st.spinner("Loading the model…"):
            return self.session.model

    @property
    def data(self) -> Dataset:
        return self.session.data(self.split)

    def split_data(self, split: str) -> Dataset:
        return self.session.data(split)

    def thresholds(self, which: str) -> np.ndarray:
        return self.session.thresholds(which)

    def model_scores(self, split: str | None = None) -> np.ndarray:
        with st.spinner("Scoring the tracks (once; kept on disk)…"):
            return self.session.scores("model", split or self.split)

    def baseline_scores(self, split: str | None = None) -> np.ndarray:
        return self.session.scores("baseline", split or self.split)

    def tuning(self, which: str) -> tuple[Dataset, np.ndarray]:
        """The data ``"model"`` or ``"baseline"`` tunes thresholds on, with its scores there."""
        return self.session.tuning_data(which), self.session.scores(which, "tuning")

    def explorer(self, which: str) -> ThresholdExplorer:
        with st.spinner("Indexing scores for live thresholds…"):
            return self.session.explorer(which, self.split)

    def comparison(self) -> Comparison:
        with st.spinner("Evaluating…"):
            return self.session.comparison(self.split)

    def key(self, *parts: str) -> str:
        """A widget key scoped to this dataset and model."""
        return ":".join((self.data_key, self.model_id, *parts))


def context(*, wait: bool = True) -> PageContext:
    """The active dataset, split and model; user errors stop the page with a message. The
    split's preparation (the model's first scoring, the baseline's fit) runs in the background;
    ``wait``: the page shows model output and waits for it, with a progress bar."""
    try:
        label = st.session_state.get("dataset", DEMO_LABEL)
        label = label if label in sources() else DEMO_LABEL
        data_key, data = bundle(label)
        _, infos = model_choices()
        choice = st.session_state.get("model", BASELINE)
        manifest, name, path = None, "baseline", ""
        if choice in infos:
            candidate = infos[choice].manifest or {}
            problem = model_fits_data(candidate, data.train)
            if problem:
                st.warning(f"Model {choice} cannot be used on this data ({problem}); showing "
                           "the baseline instead.")
            else:
                manifest, name, path = candidate, choice, str(infos[choice].path)
        mid = "baseline" if manifest is None else model_id(name, manifest)
        session = _session(data_key, mid, data, manifest, name, path)
        split = st.session_state.get("split", "validation")
        if split in SPLITS and not session.prepared(split):
            preparation = session.prepare(split)
            if wait:
                _wait_for(preparation)
            elif not preparation.finished:
                st.info(f"{_preparing(preparation)}. The pages with model figures open once it "
                        "is done; this one does not need it.")  # fmt: skip
        return PageContext(
            session=session,
            split=split,
            data_label=label,
            model_label=BASELINE if manifest is None else name,
        )
    except MewoError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


def _preparing(preparation: Preparation) -> str:
    """Where ``preparation`` is, in words."""
    split, name = preparation.split, preparation.model_name
    if preparation.stage == "loading":
        return f"Loading {name} to score the {split} split (once for every page and session)"
    if preparation.stage == "baseline":
        return f"Fitting the baseline's thresholds on the train part (for the {split} split)"
    text = f"Scoring the {preparation.rows:,} tracks of the {split} split with {name}"
    if preparation.done_rows and preparation.seconds_left is not None:
        text += (f": {preparation.done_rows:,} done, about {preparation.seconds_left:.0f} s "
                 "left")  # fmt: skip
    return text + " (once for every page and session; kept on disk)"


def _wait_for(preparation: Preparation) -> None:
    """Wait for the split's preparation with a progress bar (then shared by every page and
    session); its error, if it failed, is raised here."""
    bar = st.progress(preparation.progress, text=_preparing(preparation) + "…")
    while not preparation.wait(0.2):
        bar.progress(preparation.progress, text=_preparing(preparation) + "…")
    bar.empty()
    if preparation.error is not None:
        raise preparation.error


def show_error(exc: BaseException) -> None:
    """A user error as a message (never a traceback)."""
    st.error(str(exc))


# --- explanations (mewo_core.explain) ----------------------------------------------------------


def explainer(ctx: PageContext) -> Any:
    """The :class:`mewo_core.explain.path.Explainer` of the active model (computed once)."""
    with st.spinner("Preparing explanations…"):
        return ctx.session.explainer()


def threshold_sources(ctx: PageContext) -> Any:
    """Per tag, where the active model's threshold came from (computed once)."""
    with st.spinner("Tracing thresholds…"):
        return ctx.session.threshold_sources()


# --- other models on the active data (Compare: model vs model) ---------------------------------


def session_for(ctx: PageContext, choice: str) -> tuple[Session | None, str]:
    """The session of model ``choice`` (an artifact name, or :data:`BASELINE`) on the active
    data, and "" ; or (None, why it cannot be used here)."""
    if choice == BASELINE:
        return _session(ctx.data_key, "baseline", ctx.bundle, None, "baseline", ""), ""
    _, infos = model_choices()
    if choice not in infos:
        return None, f"no usable artifact named {choice}"
    manifest = infos[choice].manifest or {}
    problem = model_fits_data(manifest, ctx.bundle.train)
    if problem:
        return None, problem
    mid = model_id(choice, manifest)
    return _session(ctx.data_key, mid, ctx.bundle, manifest, choice, str(infos[choice].path)), ""


ROW_PX, HEADER_PX = 35, 38  # st.dataframe's row and header heights


def table_height(rows: int, cap: int) -> int:
    """A table's height in pixels: its rows, up to ``cap`` (then it scrolls), so that a
    one-row table is not padded with empty rows."""
    return min(cap, HEADER_PX + ROW_PX * max(1, rows) + 2)
