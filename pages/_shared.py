"""The app's state: the sidebar's choices and the cached sessions (the Streamlit side).

Pages call :func:`context` for the active dataset, split, model and baseline. Everything is
computed by a UI-free :class:`mewo_core.session.Session`; this module only caches sessions with
``st.cache_resource`` keyed by their ids (data key, model id), passing the objects themselves as
``_``-prefixed arguments, which Streamlit does not hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from mewo_core import demo
from mewo_core.artifacts import list_artifacts, model_fits_data, model_id
from mewo_core.data import DataBundle, Dataset, SplitSpec, load_folder
from mewo_core.errors import MewoError
from mewo_core.evaluation import Comparison
from mewo_core.locations import artifacts_root
from mewo_core.models import DecisionModel
from mewo_core.session import SPLITS, Session
from mewo_core.threshold_explorer import ThresholdExplorer

DEMO_LABEL = "Demo catalogue"
BASELINE = "Baseline (per-tag thresholds)"
DEMO_MODEL = "demo-model"
SOURCES = "mewo_sources"


# --- cached loaders -----------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _demo_bundle(folder: str) -> DataBundle:
    return demo.load_demo_bundle(folder)


@st.cache_resource(show_spinner="Loading the data folder…", max_entries=4)
def _folder_bundle(folder: str, stamp: str) -> DataBundle:
    return load_folder(folder)


@st.cache_resource(show_spinner=False, max_entries=8)
def _session(data_key: str, model_id: str, _bundle: DataBundle, _manifest: dict[str, Any] | None,
             _model_name: str, _model_path: str) -> Session:
    """One session per (data, model), shared by every browser session: it computes each value
    once (splits, baseline, scores, explorers, comparison)."""
    return Session(_bundle, data_key, model_path=_model_path or None, manifest=_manifest,
                   model_name=_model_name, cache_dir=demo.cache_root() / "scores")


# --- context ------------------------------------------------------------------------------------


@dataclass
class Context:
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


def sources() -> dict[str, dict[str, Any]]:
    """The datasets of this session, by label (the demo catalogue always first)."""
    if SOURCES not in st.session_state:
        st.session_state[SOURCES] = {DEMO_LABEL: {"kind": "demo"}}
    return st.session_state[SOURCES]


def add_source(label: str, spec: dict[str, Any]) -> None:
    """Register a loaded dataset and make it the active one (call from a callback or before the
    sidebar's widgets exist)."""
    sources()[label] = spec
    st.session_state["dataset"] = label


def model_choices() -> tuple[list[str], dict[str, Any]]:
    """The model labels (baseline first) and the usable artifacts by name."""
    infos = {i.name: i for i in list_artifacts(artifacts_root()) if i.error is None}
    return [BASELINE, *infos], infos


def sidebar() -> None:
    """Dataset, model and split selectors (rendered by ``app.py`` on every page)."""
    with st.sidebar:
        labels = list(sources())
        if st.session_state.get("dataset") not in labels:
            st.session_state["dataset"] = labels[0]
        st.selectbox("Dataset", labels, key="dataset", help="Load folders or uploads on Data")
        names, _ = model_choices()
        if st.session_state.get("model") not in names:
            st.session_state["model"] = DEMO_MODEL if DEMO_MODEL in names else BASELINE
        st.selectbox("Model", names, key="model", help="Artifacts under " + str(
            artifacts_root()))
        if "split" not in st.session_state:
            st.session_state["split"] = "validation"  # tune on validation, check on test
        st.radio("Split to show", list(SPLITS), key="split", horizontal=True)
        if len(names) == 1:
            st.caption(
                f"No trained model under {artifacts_root()} yet: the baseline is shown. "
                "Train one on the Models page."
            )


def _ensure_demo() -> str:
    tracks, seed = demo.demo_size()
    folder = demo.demo_folder(tracks, seed)
    if not (folder / demo.BUNDLE_FILE).exists():
        bar = st.progress(0.0, text="Preparing the demo catalogue…")

        def show(event: Any) -> None:
            bar.progress(min(1.0, event.step / max(1, event.total)), text=event.message)

        demo.ensure_demo_data(tracks, seed, progress=show)
        bar.empty()
    return str(folder)


def _bundle(label: str) -> tuple[str, DataBundle]:
    spec = sources()[label]
    if spec["kind"] == "demo":
        folder = _ensure_demo()
        return f"demo:{Path(folder).name}", _demo_bundle(folder)
    if spec["kind"] == "folder":
        return folder_bundle(Path(spec["path"]))
    return f"upload:{spec['key']}", spec["bundle"]


def folder_bundle(folder: Path) -> tuple[str, DataBundle]:
    """A data folder's key and bundle, reloaded when one of its files changes."""
    stamp = ",".join(
        f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}"
        for p in sorted(folder.iterdir())
        if p.is_file()
    )
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:12]
    return f"folder:{folder}:{digest}", _folder_bundle(str(folder), stamp)


def context() -> Context:
    """The active dataset, split and model; user errors stop the page with a message."""
    try:
        label = st.session_state.get("dataset", DEMO_LABEL)
        label = label if label in sources() else DEMO_LABEL
        data_key, bundle = _bundle(label)
        _, infos = model_choices()
        choice = st.session_state.get("model", BASELINE)
        manifest, name, path = None, "baseline", ""
        if choice in infos:
            candidate = infos[choice].manifest or {}
            problem = model_fits_data(candidate, bundle.train)
            if problem:
                st.warning(f"Model {choice} cannot be used on this data ({problem}); showing "
                           "the baseline instead.")
            else:
                manifest, name, path = candidate, choice, str(infos[choice].path)
        mid = "baseline" if manifest is None else model_id(name, manifest)
        session = _session(data_key, mid, bundle, manifest, name, path)
        return Context(
            session=session,
            split=st.session_state.get("split", "validation"),
            data_label=label,
            model_label=BASELINE if manifest is None else name,
        )
    except MewoError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


def show_error(exc: BaseException) -> None:
    """A user error as a message (never a traceback)."""
    st.error(str(exc))


# --- explanations (mewo_core.explain) ----------------------------------------------------------


def explainer(ctx: Context) -> Any:
    """The :class:`mewo_core.explain.path.Explainer` of the active model (computed once)."""
    with st.spinner("Preparing explanations…"):
        return ctx.session.explainer()


def threshold_sources(ctx: Context) -> Any:
    """Per tag, where the active model's threshold came from (computed once)."""
    with st.spinner("Tracing thresholds…"):
        return ctx.session.threshold_sources()


# --- other models on the active data (Compare: model vs model) ---------------------------------


def session_for(ctx: Context, choice: str) -> tuple[Session | None, str]:
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
