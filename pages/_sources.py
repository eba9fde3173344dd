"""The datasets of one browser session: the demo catalogue, folders, uploads, and their loaders.

Uploads are held in memory by a server-wide :class:`~mewo_core.data.uploads.UploadStore`, each
owned by the browser that uploaded it (its session cookie, so a reload keeps it): an address
naming another browser's upload is refused like an expired one.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import streamlit as st

from mewo_core import demo
from mewo_core.data import DataBundle, load_folder
from mewo_core.data.uploads import UploadStore
from mewo_core.locations import check_data_folder

DEMO_LABEL = "Demo catalogue"
SOURCES = "mewo_sources"
OWNER = "mewo_owner"
UPLOADS_KEPT = 8
#: Streamlit's XSRF cookie: one per browser, kept across reloads, never shared between browsers.
OWNER_COOKIE = "_streamlit_xsrf"


@st.cache_resource(show_spinner=False, max_entries=4)
def _demo_bundle(folder: str) -> DataBundle:
    return demo.load_demo_bundle(folder)


@st.cache_resource(show_spinner="Loading the data folder…", max_entries=4)
def _folder_bundle(folder: str, stamp: str) -> DataBundle:
    return load_folder(folder)


@st.cache_resource(show_spinner=False)
def upload_store() -> UploadStore:
    """The server's uploads, by owner (the newest ``UPLOADS_KEPT`` per browser)."""
    return UploadStore(per_owner=UPLOADS_KEPT)


def _browser_token(cookie: str) -> str:
    """The browser's stable secret from Streamlit's XSRF cookie: Tornado writes it as
    ``2|mask|masked token|time`` with a new mask on every page load, so unmask it (XOR with the
    4-byte mask repeated); any other form is used as it is."""
    parts = cookie.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return cookie
        if mask:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex()
    return cookie


def owner() -> str:
    """Who this browser session's uploads and jobs belong to: a digest of the browser's session
    cookie (the same after a reload), or a random id of this session where there is none."""
    if OWNER not in st.session_state:
        token = ""
        try:
            token = st.context.cookies.get(OWNER_COOKIE) or ""
        except Exception:  # noqa: BLE001 - no request context (bare script run)
            token = ""
        if not isinstance(token, str) or not token:  # no cookie (AppTest): this session only
            token = "session:" + uuid.uuid4().hex
        else:
            token = "browser:" + _browser_token(token)
        st.session_state[OWNER] = hashlib.sha256(token.encode()).hexdigest()[:24]
    return st.session_state[OWNER]


def sources() -> dict[str, dict[str, Any]]:
    """The datasets of this session, by label (the demo catalogue always first)."""
    if SOURCES not in st.session_state:
        st.session_state[SOURCES] = {DEMO_LABEL: {"kind": "demo"}}
    return st.session_state[SOURCES]


def add_source(label: str, spec: dict[str, Any]) -> None:
    """Register a loaded dataset and make it the active one (call from a callback or before the
    sidebar's widgets exist). An upload's bundle is also held by the server for this browser,
    so that a reload of the page's address finds it again."""
    if spec.get("kind") == "upload" and "bundle" in spec:
        upload_store().put(owner(), spec["key"], label, spec["bundle"])
    sources()[label] = spec
    st.session_state["dataset"] = label


def source_ref(label: str) -> str:
    """How the address names a dataset: ``demo``, ``folder:<path>`` or ``upload:<key>``."""
    spec = sources().get(label, {"kind": "demo"})
    if spec["kind"] == "folder":
        return f"folder:{spec['path']}"
    if spec["kind"] == "upload":
        return f"upload:{spec['key']}"
    return "demo"


def source_from_ref(ref: str) -> str:
    """Register the dataset an address names (a :class:`MewoError` when it cannot be had:
    a folder outside the allowed roots, another browser's or an expired upload); its label."""
    kind, _, value = ref.partition(":")
    if kind == "folder":
        folder = check_data_folder(value)
        label = f"Folder {folder.name}"
        sources()[label] = {"kind": "folder", "path": str(folder)}
        return label
    if kind == "upload":
        label, bundle = upload_store().get(owner(), value)
        sources()[label] = {"kind": "upload", "key": value, "bundle": bundle}
        return label
    return DEMO_LABEL


def is_demo(label: str) -> bool:
    return sources().get(label, {"kind": "demo"})["kind"] == "demo"


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


def bundle(label: str) -> tuple[str, DataBundle]:
    """The data key and bundle of the dataset listed as ``label``."""
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
