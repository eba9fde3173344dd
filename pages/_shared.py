"""The app's state: the sidebar's choices and the cached sessions (the Streamlit side).

Pages call :func:`context` for the active dataset, split, model and baseline. Everything is
computed by a UI-free :class:`mewo_core.session.Session`; this module only caches sessions with
``st.cache_resource`` keyed by their ids (data key, model id), passing the objects themselves as
``_``-prefixed arguments, which Streamlit does not hash.

The sidebar offers only the models that fit the active data (the others listed with the reason);
the dataset, model and split live in the address's query parameters (``data``, ``model``,
``split``; ``intro=off`` once the introduction is hidden), read once per browser session and
written on change, so a reload restores them. :func:`notify_saved` is what a page calls after
saving an artifact; :func:`flash` notices show at the top of the next run.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from mewo_core import demo
from mewo_core.artifacts import (
    ArtifactInfo,
    artifact_problems,
    list_artifacts,
    model_fits_data,
    model_id,
)
from mewo_core.data import DataBundle, Dataset, SplitSpec, load_folder
from mewo_core.errors import DataError, MewoError
from mewo_core.evaluation import Comparison
from mewo_core.locations import artifacts_root, check_data_folder
from mewo_core.models import DecisionModel
from mewo_core.session import SPLITS, Session
from mewo_core.threshold_explorer import ThresholdExplorer


def _leave_legacy_pages_mode() -> None:
    """A fresh server treats ``pages/`` as Streamlit's legacy pages folder until ``st.navigation``
    first runs, so the first visit of a page's address (a bookmark, a reload after a restart)
    would run that page alone, without ``app.py``'s sidebar. Every page imports this module: on
    that first run, switch the legacy mode off and rerun through ``app.py``."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()

DEMO_LABEL = "Demo catalogue"
BASELINE = "Baseline (per-tag thresholds)"
DEMO_MODEL = "demo-model"
SOURCES = "mewo_sources"
FLASH = "mewo_flash"
PENDING_MODEL = "mewo_pending_model"
RESTORED = "mewo_restored"
INTRO_OFF = "mewo_intro_off"
UPLOADS_KEPT = 8
INTRO_TEXT = """\
**Mewo Tag Lab** turns a music auto-tagger's per-tag scores into yes/no tags, and shows how
good those decisions are against a per-tag-threshold baseline.

- The **demo catalogue** loaded now is *synthetic*: generated tracks, albums and artists in the
  shape of the MediaEval / Mewo challenge data, so that everything works without real data.
- **Real data**: on **Data**, load a folder with `x_train.csv` / `y_train.csv` (scores and 0/1
  labels by `ChallengeID`, Parquet too) or upload the files.
- **Where to start**: *Data* for the catalogue, *Thresholds* to move thresholds and see F1 change,
  *Compare* for a model against the baseline, *Models* to train and save one.
"""


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
    return Session.open(_bundle, data_key, _model_path or None, manifest=_manifest,
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
    sidebar's widgets exist). An upload's bundle is also kept server-wide under its content key,
    so that a reload of the page's address finds it again."""
    if spec.get("kind") == "upload" and "bundle" in spec:
        _remember_upload(spec["key"], label, spec["bundle"])
    sources()[label] = spec
    st.session_state["dataset"] = label


@st.cache_resource(show_spinner=False)
def _upload_store() -> OrderedDict[str, tuple[str, DataBundle]]:
    """Uploaded datasets of this server by content key (the newest ``UPLOADS_KEPT``)."""
    return OrderedDict()


def _remember_upload(key: str, label: str, bundle: DataBundle) -> None:
    store = _upload_store()
    store[key] = (label, bundle)
    store.move_to_end(key)
    while len(store) > UPLOADS_KEPT:
        store.popitem(last=False)


def source_ref(label: str) -> str:
    """How the address names a dataset: ``demo``, ``folder:<path>`` or ``upload:<key>``."""
    spec = sources().get(label, {"kind": "demo"})
    if spec["kind"] == "folder":
        return f"folder:{spec['path']}"
    if spec["kind"] == "upload":
        return f"upload:{spec['key']}"
    return "demo"


def _source_from_ref(ref: str) -> str:
    """Register the dataset an address names (a :class:`MewoError` when it cannot be had);
    its label."""
    kind, _, value = ref.partition(":")
    if kind == "folder":
        folder = check_data_folder(value)
        label = f"Folder {folder.name}"
        sources()[label] = {"kind": "folder", "path": str(folder)}
        return label
    if kind == "upload":
        held = _upload_store().get(value)
        if held is None:
            raise DataError("this server no longer holds that upload; upload the files again")
        label, bundle = held
        sources()[label] = {"kind": "upload", "key": value, "bundle": bundle}
        return label
    return DEMO_LABEL


# --- artifacts ----------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _listing(root: str, stamp: str) -> list[ArtifactInfo]:
    return list_artifacts(root)


def artifacts() -> list[ArtifactInfo]:
    """Every artifact under the artifacts folder (re-read when a manifest appears or changes)."""
    root = artifacts_root()
    stamp = ""
    if root.is_dir():
        stamp = ",".join(
            f"{p.name}:{m.stat().st_mtime_ns}" if (m := p / "manifest.json").exists() else p.name
            for p in sorted(root.iterdir())
        )
    return _listing(str(root), stamp)


def model_choices(data: Dataset | None = None) -> tuple[list[str], dict[str, ArtifactInfo]]:
    """The model labels (baseline first) and the usable artifacts by name: readable ones, and
    with ``data`` only those that fit it (see :func:`model_problems`)."""
    infos = artifacts()
    problems = artifact_problems(infos, data) if data is not None else {}
    usable = {i.name: i for i in infos if i.error is None and i.name not in problems}
    return [BASELINE, *usable], usable


def model_problems(data: Dataset) -> dict[str, str]:
    """Per artifact that cannot be used on ``data``, why."""
    return artifact_problems(artifacts(), data)


def notify_saved(name: str, message: str, *, select: bool = True) -> None:
    """After a new artifact ``name`` is saved: re-read the listing, select it in the sidebar (with
    ``select``) and rerun, so that the sidebar lists it at once; ``message`` shows after the
    rerun. Call it in place of the page's own success message."""
    _listing.clear()
    if select:
        st.session_state[PENDING_MODEL] = name
    flash("success", message)
    st.rerun()


# --- notices that survive a rerun ----------------------------------------------------------------


def flash(kind: str, text: str) -> None:
    """A message (``success``, ``info``, ``warning`` or ``error``) shown once, at the top of the
    next run's page (:func:`show_flash`)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    """Show and forget the pending :func:`flash` messages (``app.py``, above every page)."""
    for kind, text in st.session_state.pop(FLASH, []):
        getattr(st, kind)(text)


# --- the sidebar and the address ----------------------------------------------------------------


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
            st.session_state["dataset"] = _source_from_ref(ref)
        except MewoError as exc:
            flash("warning", f"The dataset in the address ({ref}) was not loaded: {exc}. "
                             "Showing the demo catalogue.")
    if params.get("model"):
        st.session_state["model"] = params["model"]
    if params.get("split") in SPLITS:
        st.session_state["split"] = params["split"]
    if params.get("intro") == "off":
        st.session_state[INTRO_OFF] = True


def _write_address(label: str) -> None:
    """The address's query parameters: the active dataset, model and split (a reload restores
    them); only those that changed are written."""
    model = st.session_state.get("model", BASELINE)
    want = {
        "data": source_ref(label),
        "model": None if model == BASELINE else model,
        "split": st.session_state.get("split", "validation"),
        "intro": "off" if st.session_state.get(INTRO_OFF) else None,
    }
    for key, value in want.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


def _active_data(label: str) -> Dataset | None:
    """The active dataset's train part, or None when it cannot be loaded (the page says why)."""
    try:
        return _bundle(label)[1].train
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


def sidebar() -> None:
    """Dataset, model and split selectors (rendered by ``app.py`` on every page), restored from
    and written to the address; only the models that fit the active data are offered."""
    _restore_from_address()
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
    _write_address(label)


def intro() -> None:
    """A short introduction above every page until the user hides it (remembered in the
    address, so a reload keeps it hidden)."""
    if st.session_state.get(INTRO_OFF):
        return

    def hide() -> None:
        st.session_state[INTRO_OFF] = True

    with st.container(border=True, key="intro"):
        st.markdown(INTRO_TEXT)
        st.button("Got it, hide this", on_click=hide, key="intro_hide")


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
