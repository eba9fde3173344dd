"""Models: train a model with live progress, list the saved artifacts, pick one to use.

CLI equivalents: ``python -m mewo_core train --data FOLDER --model TYPE --out artifacts/NAME``,
``python -m mewo_core list``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pandas as pd
import streamlit as st

from mewo_core.artifacts import check_name, list_artifacts, next_free_name
from mewo_core.data import SplitSpec
from mewo_core.errors import MewoError
from mewo_core.locations import artifacts_root
from mewo_core.models import MODEL_TYPES
from mewo_core.models.base import ProgressEvent
from mewo_core.training import accepted_params, train_and_save
from pages import _shared

st.title("Models")
root = artifacts_root()
message = st.session_state.pop("models_message", None)
if message:
    st.success(message)


def _available_types() -> list[str]:
    """Model types whose code is present (others are still being written)."""
    out = []
    for name, target in MODEL_TYPES.items():
        try:
            found = importlib.util.find_spec(target.split(":")[0]) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            out.append(name)
    return out


def _variants() -> list[str]:
    try:
        from mewo_core.models.token_layout import VARIANTS
    except ImportError:
        return ["default"]
    return list(VARIANTS)


def _use(name: str) -> None:
    st.session_state["model"] = name


# --- the list -----------------------------------------------------------------------------------
st.subheader("Saved models")
infos = list_artifacts(root)
rows: list[dict[str, Any]] = []
for info in infos:
    m = info.manifest or {}
    metrics = m.get("metrics", {})
    rows.append({
        "name": info.name,
        "type": m.get("model_type", "unusable"),
        "variant": m.get("config", {}).get("variant", ""),
        "test weighted F1": metrics.get("test", {}).get("weighted"),
        "test micro F1": metrics.get("test", {}).get("micro"),
        "validation weighted F1": metrics.get("validation", {}).get("weighted"),
        "created": m.get("created", ""),
        "problem": info.error or "",
    })
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="artifact_table")
    usable = [i.name for i in infos if i.error is None]
    if usable:
        pick = st.selectbox("Artifact", usable, key="artifact_pick")
        st.button("Use this model", on_click=_use, args=(pick,))
else:
    st.info(f"No model under {root} yet: the app uses the per-tag-threshold baseline. "
            "Train one below.")

# --- training -----------------------------------------------------------------------------------
st.subheader("Train a model")
ctx = _shared.context()
st.caption(
    f"Trains on {ctx.data_label} (grouped validation split of its train part; test untouched) "
    "and saves under a new name, never over an existing artifact. Training runs with this page: "
    "leaving the page stops it and saves nothing."
)
types = _available_types()
if not types:
    st.error("No model type is available.")
    st.stop()
default_type = "reservoir-transformer" if "reservoir-transformer" in types else types[0]
with st.form("train_form"):
    model_type = st.selectbox("Model type", types, index=types.index(default_type))
    c1, c2, c3, c4 = st.columns(4)
    variant = c1.text_input("Variant (if the model has variants)", value="",
                            help="reservoir-transformer: " + ", ".join(_variants()))
    epochs = c2.number_input("Epochs (if the model trains by epochs)", 1, 500, 10)
    metric = c3.selectbox("Target metric (if the model takes one)",
                          ["weighted", "micro", "macro", "samples"])
    seed = c4.number_input("Seed", 0, 10_000, 0)
    name = st.text_input("Artifact name", value=next_free_name(root, "my-model"))
    submitted = st.form_submit_button("Train and save")

if submitted:
    try:
        out = root / check_name(name.strip())  # a name, never a path out of the artifacts folder
        accepted = accepted_params(model_type)
        params: dict[str, Any] = {}
        if "variant" in accepted and variant.strip():
            params["variant"] = variant.strip()
        if "epochs" in accepted:
            params["epochs"] = int(epochs)
        if "metric" in accepted:
            params["metric"] = metric
        if "seed" in accepted:
            params["seed"] = int(seed)
        bars: dict[str, Any] = {}
        box = st.container()

        def progress(event: ProgressEvent) -> None:
            bar = bars.get(event.stage)
            if bar is None:
                bar = bars[event.stage] = box.progress(0.0, text=event.stage)
            share = min(1.0, event.step / max(1, event.total))
            extra = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items())
            text = f"{event.stage}: {event.step}/{event.total} {event.message} {extra}".strip()
            bar.progress(share, text=text)

        with st.spinner(f"Training {model_type} on {ctx.data_label}…"):
            result = train_and_save(
                ctx.bundle, model_type, params, out, spec=SplitSpec(seed=int(seed)),
                progress=progress,
            )
        test = result.metrics.get("test", {})
        st.session_state["models_message"] = (
            f"Saved {result.path}: test weighted F1 {test.get('weighted', float('nan')):.4f}. "
            "It is now in the list and the sidebar's Model choices."
        )
    except MewoError as exc:
        st.error(f"Training stopped: {exc}. Existing artifacts are untouched.")
    except (ImportError, ValueError, RuntimeError, MemoryError) as exc:
        st.error(
            f"Training failed ({type(exc).__name__}: {exc}). Nothing was saved; existing "
            "artifacts are untouched."
        )
    if "models_message" in st.session_state:
        st.rerun()
