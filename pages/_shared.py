"""The dashboard's shared sidebar state and cached loaders (the Streamlit side).

Pages call :func:`context` for the active dataset, split, model and baseline. Every cached
function takes explicit string keys (dataset key, model id, split, seed); large objects are
passed as ``_``-prefixed arguments, which Streamlit does not hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from mewo_core import demo, training, workspace
from mewo_core.artifacts import list_artifacts, load_model
from mewo_core.data import DataBundle, Dataset, load_folder
from mewo_core.errors import MewoError
from mewo_core.evaluation import Comparison, evaluate_decisions
from mewo_core.models import DecisionModel
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
def _splits(data_key: str, seed: int, _bundle: DataBundle) -> dict[str, Dataset]:
    return workspace.evaluation_splits(_bundle, seed)


@st.cache_resource(show_spinner=False, max_entries=4)
def _tuning_data(data_key: str, seed: int, baseline: bool, _bundle: DataBundle) -> Dataset:
    return workspace.tuning_data(_bundle, seed, baseline=baseline)


@st.cache_resource(show_spinner="Fitting the per-tag-threshold baseline…", max_entries=4)
def _baseline(data_key: str, seed: int, _bundle: DataBundle) -> DecisionModel:
    return training.fit_baseline(_bundle, seed)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _model(model_id: str, path: str) -> DecisionModel:
    return load_model(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def _artifact_thresholds(model_id: str, path: str) -> np.ndarray:
    return workspace.artifact_thresholds(path)


@st.cache_resource(show_spinner="Scoring the tracks (once; kept on disk)…", max_entries=8)
def _scores(data_key: str, model_id: str, split: str, seed: int, _load: Callable[[], Any],
            _data: Dataset) -> np.ndarray:
    if model_id == "baseline":  # the tagger's own scores: nothing to compute
        return _load().predict_proba(_data)
    return workspace.cached_scores(_load, model_id, _data, demo.cache_root() / "scores")


@st.cache_resource(show_spinner="Indexing scores for live thresholds…", max_entries=6)
def _explorer(data_key: str, model_id: str, split: str, seed: int, _scores: np.ndarray,
              _data: Dataset) -> ThresholdExplorer:
    return ThresholdExplorer(
        _scores, _data.require_labels(), _data.tag_names, _data.tag_classes, _data.tag_categories
    )


@st.cache_resource(show_spinner="Evaluating…", max_entries=6)
def _comparison(data_key: str, model_id: str, split: str, seed: int, _ctx: Context) -> Comparison:
    data = _ctx.data
    model = evaluate_decisions(data, _ctx.model_scores() >= _ctx.thresholds("model"))
    base = evaluate_decisions(data, _ctx.baseline_scores() >= _ctx.thresholds("baseline"))
    return Comparison(model=model, baseline=base)


# --- context ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What the pages show: a dataset's split, the active model and the baseline.

    The model and the baseline are only loaded / fitted when a page needs them; a saved model's
    scores come from the disk cache when there, so most pages never load (or import) torch.
    """

    data_key: str
    data_label: str
    bundle: DataBundle
    split: str
    seed: int
    model_label: str
    model_id: str
    manifest: dict[str, Any] | None
    model_path: str = ""

    @property
    def baseline(self) -> DecisionModel:
        return _baseline(self.data_key, self.seed, self.bundle)

    @property
    def model(self) -> DecisionModel:
        """The active model (the baseline when none is chosen), loaded on first use."""
        if self.manifest is None:
            return self.baseline
        return _model(self.model_id, self.model_path)

    def thresholds(self, which: str) -> np.ndarray:
        """The tuned thresholds of ``"model"`` or ``"baseline"``."""
        if which == "baseline" or self.manifest is None:
            return np.asarray(self.baseline.thresholds_, dtype=np.float64)
        return _artifact_thresholds(self.model_id, self.model_path)

    @property
    def is_baseline(self) -> bool:
        return self.manifest is None

    @property
    def splits(self) -> dict[str, Dataset]:
        return _splits(self.data_key, self.seed, self.bundle)

    @property
    def data(self) -> Dataset:
        return self.splits[self.split]

    def split_data(self, split: str) -> Dataset:
        return self.splits[split]

    def model_scores(self, split: str | None = None) -> np.ndarray:
        split = split or self.split
        return _scores(
            self.data_key, self.model_id, split, self.seed, lambda: self.model,
            self.split_data(split),
        )

    def baseline_scores(self, split: str | None = None) -> np.ndarray:
        split = split or self.split
        return _scores(
            self.data_key, "baseline", split, self.seed, lambda: self.baseline,
            self.split_data(split),
        )

    def tuning(self, which: str) -> tuple[Dataset, np.ndarray]:
        """The data ``"model"`` or ``"baseline"`` tunes thresholds on, with its scores there."""
        baseline = which == "baseline" or self.is_baseline
        data = _tuning_data(self.data_key, self.seed, baseline, self.bundle)
        model_id = "baseline" if baseline else self.model_id
        load = (lambda: self.baseline) if baseline else (lambda: self.model)
        return data, _scores(self.data_key, model_id, "tuning", self.seed, load, data)

    def explorer(self, which: str) -> ThresholdExplorer:
        """The threshold explorer of ``"model"`` or ``"baseline"`` on the shown split."""
        if which == "model":
            return _explorer(
                self.data_key, self.model_id, self.split, self.seed, self.model_scores(), self.data
            )
        return _explorer(
            self.data_key, "baseline", self.split, self.seed, self.baseline_scores(), self.data
        )

    def comparison(self) -> Comparison:
        return _comparison(self.data_key, self.model_id, self.split, self.seed, self)

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
    infos = {i.name: i for i in list_artifacts(workspace.artifacts_root()) if i.error is None}
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
            workspace.artifacts_root()))
        if "split" not in st.session_state:
            st.session_state["split"] = "validation"  # tune on validation, check on test
        st.radio("Split to show", list(workspace.SPLITS), key="split", horizontal=True)
        if len(names) == 1:
            st.caption(
                f"No trained model under {workspace.artifacts_root()} yet: the baseline is shown. "
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
        data_key, bundle = _bundle(label if label in sources() else DEMO_LABEL)
        _, infos = model_choices()
        choice = st.session_state.get("model", BASELINE)
        ctx = Context(
            data_key=data_key,
            data_label=label,
            bundle=bundle,
            split=st.session_state.get("split", "test"),
            seed=0,
            model_label=BASELINE,
            model_id="baseline",
            manifest=None,
        )
        if choice in infos:
            manifest = infos[choice].manifest or {}
            problem = workspace.model_fits_data(manifest, bundle.train)
            if problem:
                st.warning(f"Model {choice} cannot be used on this data ({problem}); showing "
                           "the baseline instead.")
            else:
                ctx.seed = workspace.manifest_seed(manifest)
                ctx.model_label = choice
                ctx.model_id = workspace.model_id(choice, manifest)
                ctx.manifest = manifest
                ctx.model_path = str(infos[choice].path)
        return ctx
    except MewoError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


def show_error(exc: BaseException) -> None:
    """A user error as a message (never a traceback)."""
    st.error(str(exc))


# --- explanations (mewo_core.explain) ----------------------------------------------------------


@st.cache_resource(show_spinner="Preparing explanations…", max_entries=4)
def _explainer(data_key: str, model_id: str, seed: int, _ctx: Context) -> Any:
    from mewo_core.explain.path import Explainer, reference_track

    train = _ctx.bundle.holdout(training.HOLDOUT_FRACTION, seed)[0]
    return Explainer(_ctx.model, _ctx.baseline, reference_track(_ctx.model, train))


def explainer(ctx: Context) -> Any:
    """The :class:`mewo_core.explain.path.Explainer` of the active model (cached)."""
    return _explainer(ctx.data_key, ctx.model_id, ctx.seed, ctx)


@st.cache_resource(show_spinner="Tracing thresholds…", max_entries=4)
def _threshold_sources(data_key: str, model_id: str, seed: int, _ctx: Context) -> Any:
    from mewo_core.explain.adapter import has_correction
    from mewo_core.explain.path import threshold_sources

    train = _ctx.bundle.holdout(training.HOLDOUT_FRACTION, seed)[0]
    model = _ctx.model
    if has_correction(model):
        validation, scores = _ctx.tuning("model")
        return threshold_sources(model, train, validation, scores)
    return threshold_sources(model, train)


def threshold_sources(ctx: Context) -> Any:
    """Per tag, where the active model's threshold came from (cached)."""
    return _threshold_sources(ctx.data_key, ctx.model_id, ctx.seed, ctx)
