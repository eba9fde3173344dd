"""The saved models the app lists: every artifact under the artifacts folder, which fit the data."""

from __future__ import annotations

import streamlit as st

from mewo_core.artifacts import ArtifactInfo, artifact_problems, list_artifacts
from mewo_core.data import Dataset
from mewo_core.locations import artifacts_root

from ._notices import flash

BASELINE = "Baseline (per-tag thresholds)"
DEMO_MODEL = "demo-model"
PENDING_MODEL = "mewo_pending_model"


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
