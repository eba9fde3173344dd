"""Models: train a model in the background with live progress, list the saved artifacts, pick one.

Training runs in a job of this server (:mod:`mewo_core.session.jobs`): it goes on, and saves the
model, when the user leaves the page; the page shows where it is on return. A browser session
sees only the jobs it started (saved artifacts are visible to all, as files are), can cancel a
running one (nothing is saved) and dismiss a finished one's banner.

CLI equivalents: ``python -m mewo_core train --data FOLDER --model TYPE --out artifacts/NAME``,
``python -m mewo_core list``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from mewo_core.artifacts import check_name, default_name
from mewo_core.artifacts.training import train_and_save, train_params
from mewo_core.data import SplitSpec
from mewo_core.errors import MewoError
from mewo_core.locations import artifacts_root
from mewo_core.models import MODEL_TYPES, model_class
from mewo_core.models.base import ProgressCallback
from mewo_core.models.params import Param
from mewo_core.session import jobs
from pages import _artifacts, _context, _sources

SHOWN_JOBS = 3  # the newest training jobs shown at the top
POLL_SECONDS = 1.0

DISMISSED = "mewo_dismissed_jobs"

st.title("Models")
root = artifacts_root()
registry = jobs.registry()
me = _sources.owner()
dismissed: set[str] = st.session_state.setdefault(DISMISSED, set())


def _progress_text(event: Any) -> str:
    extra = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items())
    return f"{event.stage}: {event.step}/{event.total} {event.message} {extra}".strip()


def _show_job(job: jobs.Job) -> None:
    """One job: a bar per stage while it runs, then where it saved or why it failed."""
    with st.container(border=True):
        if job.running:
            head, button = st.columns([5, 1])
            head.markdown(f"**Training {job.label}** · running for {job.elapsed:.0f} s "
                          "(it goes on if you leave this page)")
            if job.cancel_requested.is_set():
                button.caption("cancelling…")
            else:
                button.button("Cancel", key=f"cancel_{job.id}", on_click=registry.cancel,
                              args=(job.id, me), help="Stop this training; nothing is saved")
            events = job.events()
            if not events:
                st.progress(0.0, text="preparing the splits…")
            for event in events:
                st.progress(min(1.0, event.step / max(1, event.total)), text=_progress_text(event))
            if any("val_weighted_f1" in e.metrics for e in events):
                st.caption(
                    "val_weighted_f1 during training: the network's weighted F1 on the validation "
                    "split with each tag's threshold chosen on those same rows (in-sample, so "
                    "optimistic). The saved model's figures use its tuned thresholds: usually "
                    "lower."
                )
        elif job.status == "cancelled":
            st.info(f"Training {job.label} was cancelled after {job.elapsed:.0f} s: nothing was "
                    "saved; existing artifacts are untouched.")
        elif job.status == "failed":
            st.error(f"Training {job.label} failed after {job.elapsed:.0f} s: {job.error}. "
                     "Nothing was saved; existing artifacts are untouched.")
        else:
            result = job.result or {}
            metrics = result.get("metrics", {})
            test = metrics.get("test", {}).get("weighted", float("nan"))
            val = metrics.get("validation", {}).get("weighted")
            renamed = result.get("name") != job.info.get("asked")
            st.success(
                f"Trained {job.label} in {job.elapsed:.0f} s and saved it as "
                f"**{result.get('name')}**"
                + (f" ({job.info.get('asked')} was taken)" if renamed else "")
                + f": test weighted F1 {test:.4f}"
                + (f", validation {val:.4f} (its thresholds were tuned there)" if val else "")
                + ". It is in the list below and in the sidebar's Model choices (if it fits the "
                "active data)."
            )
        if not job.running:
            st.button("Dismiss", key=f"dismiss_{job.id}", on_click=dismissed.add, args=(job.id,))


def _jobs_panel(polling: bool = False) -> None:
    """The newest training jobs; while ``polling`` (a job runs), a full rerun once none runs, so
    that the new artifact is listed here and in the sidebar."""
    mine = [j for j in registry.jobs("training", owner=me) if j.id not in dismissed]
    for job in mine[-SHOWN_JOBS:][::-1]:
        _show_job(job)
    if polling and not registry.running("training"):
        st.rerun(scope="app")


def _polled_panel() -> None:
    _jobs_panel(polling=True)


# --- progress of the training jobs, at the top (polled while one runs) ---------------------------
if registry.running("training"):
    st.fragment(run_every=POLL_SECONDS)(_polled_panel)()
else:
    _jobs_panel()

ctx = _context.context(wait=False)
problems = _artifacts.model_problems(ctx.bundle.train)


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
infos = _artifacts.artifacts()
rows: list[dict[str, Any]] = []
for info in infos:
    rows.append({**info.row(), "usable here": "no" if info.name in problems else "yes"})
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="artifact_table")
    st.caption(f"\"usable here\": whether the model can decide the active data "
               f"({ctx.data_label}); the sidebar offers only those. \"album context\": whether the "
               "model blends each track's scores with its album's (chosen by grouped CV on its "
               "training rows).")
    if problems:
        st.markdown(f"**Not usable on {ctx.data_label}:**\n" + "\n".join(
            f"- **{n}**: {why}" for n, why in problems.items()))
    usable = [i.name for i in infos if i.name not in problems]
    if usable:
        pick = st.selectbox("Artifact", usable, key="artifact_pick")
        st.button("Use this model", on_click=_use, args=(pick,))
else:
    st.info(f"No model under {root} yet: the app uses the per-tag-threshold baseline. "
            "Train one below.")

# --- training -----------------------------------------------------------------------------------
st.subheader("Train a model")
st.caption(
    f"Trains on {ctx.data_label} (grouped validation split of its train part; test untouched) "
    "and saves under a new name, never over an existing artifact (a taken name gets the next "
    "free '-vN'). Training runs in the background on the server: it goes on, and saves the "
    "model, when you leave this page; its progress is shown at the top of this page."
)
types = list(MODEL_TYPES)
model_type = st.selectbox("Model type", types, index=types.index("reservoir-transformer"))
options = model_class(model_type).exposed_params()
data_name = ctx.data_label.removeprefix("Folder ").removeprefix("Upload ")
with st.form("train_form"):
    columns = st.columns(len(options) + 1)
    values = {p.name: _widget(p, f"train_{model_type}_{p.name}", c)
              for p, c in zip(options, columns, strict=False)}  # fmt: skip
    seed = columns[-1].number_input("Seed", 0, 10_000, 0, help="seed of the splits and the model")
    name = st.text_input(
        "Artifact name", value=default_name(root, model_type, data_name),
        help="Letters, digits, '.', '_' or '-'; a taken name gets the next free '-vN'",
    )
    busy = registry.running("training")
    reason = ""
    if busy:
        reason = (f"Your training of {busy[0].label} is running: wait for it or cancel it above."
                  if busy[0].owner == me else "Another user's training is running on this server "
                  "(one at a time): try again when it has finished.")  # fmt: skip
    submitted = st.form_submit_button("Train and save", disabled=bool(busy), help=reason or None)
    if reason:
        st.caption(reason)


def _job(bundle: Any, kind: str, params: dict[str, Any], out: Path,
         seed: int) -> Any:
    def run(progress: ProgressCallback) -> dict[str, Any]:
        result = train_and_save(bundle, kind, params, out, spec=SplitSpec(seed=seed),
                                free_name=True, progress=progress)
        path = result.path or out
        return {"name": path.name, "path": str(path), "metrics": result.metrics}

    return run


if submitted:
    try:
        asked = check_name(name.strip())  # a name, never a path out of the artifacts folder
        params = train_params(model_type, values, seed=int(seed))
        registry.start(
            f"{model_type} on {ctx.data_label}",
            _job(ctx.bundle, model_type, params, root / asked, int(seed)),
            info={"asked": asked, "model_type": model_type}, owner=me,
        )
        time.sleep(0.2)  # the first progress event, usually
        st.rerun()
    except MewoError as exc:
        st.error(f"Training not started: {exc}. Existing artifacts are untouched.")
