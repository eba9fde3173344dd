"""Models: train a model with live progress, list the saved artifacts, pick one to use.

CLI equivalents: ``python -m mewo_core train --data FOLDER --model TYPE --out artifacts/NAME``,
``python -m mewo_core list``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from mewo_core.artifacts import check_name, list_artifacts, next_free_name
from mewo_core.data import SplitSpec
from mewo_core.errors import MewoError
from mewo_core.locations import artifacts_root
from mewo_core.models import MODEL_TYPES, model_class
from mewo_core.models.base import ProgressEvent
from mewo_core.models.params import Param
from mewo_core.training import train_and_save, train_params
from pages import _shared

st.title("Models")
root = artifacts_root()
message = st.session_state.pop("models_message", None)
if message:
    st.success(message)


def _widget(param: Param, key: str, where: Any) -> Any:
    """The form widget of one exposed model option, with the spec's default."""
    allowed = param.allowed()
    if allowed is not None:
        return where.selectbox(
            param.label, allowed, index=allowed.index(param.default), help=param.help, key=key
        )
    if param.kind in (int, float):
        cast = param.kind
        low = None if param.low is None else cast(param.low)
        high = None if param.high is None else cast(param.high)
        step = 1 if cast is int else None
        return where.number_input(
            param.label, low, high, cast(param.default), step=step, help=param.help, key=key
        )
    return where.text_input(param.label, value=str(param.default), help=param.help, key=key)


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
types = list(MODEL_TYPES)
model_type = st.selectbox("Model type", types, index=types.index("reservoir-transformer"))
options = model_class(model_type).exposed_params()
with st.form("train_form"):
    columns = st.columns(len(options) + 1)
    values = {p.name: _widget(p, f"train_{model_type}_{p.name}", c)
              for p, c in zip(options, columns, strict=False)}  # fmt: skip
    seed = columns[-1].number_input("Seed", 0, 10_000, 0, help="seed of the splits and the model")
    name = st.text_input("Artifact name", value=next_free_name(root, "my-model"))
    submitted = st.form_submit_button("Train and save")

if submitted:
    try:
        out = root / check_name(name.strip())  # a name, never a path out of the artifacts folder
        params = train_params(model_type, values, seed=int(seed))
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
