"""Mewo Tag Lab dashboard: ``streamlit run app.py``.

Navigation over the pages in ``app_pages/`` with a shared sidebar (dataset, model, split); the
pages only arrange what ``mewo_core`` computes. The folder is not called ``pages/`` on purpose:
Streamlit treats a ``pages/`` folder beside the entry script as the legacy multipage layout
until ``st.navigation`` has run (and ``AppTest`` then skips this script on reruns).
"""

from __future__ import annotations

import time

import streamlit as st

from app_pages import _shared

st.set_page_config(page_title="Mewo Tag Lab", page_icon="🏷️", layout="wide")

PAGES = [
    st.Page("app_pages/data.py", title="Data", icon="📂", default=True),
    st.Page("app_pages/correlations.py", title="Correlations", icon="🔗"),
    st.Page("app_pages/models.py", title="Models", icon="🧠"),
    st.Page("app_pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("app_pages/thresholds.py", title="Thresholds", icon="🎚️"),
    st.Page("app_pages/track_inspector.py", title="Track inspector", icon="🔎"),
]

started = time.perf_counter()
navigation = st.navigation(PAGES)
_shared.sidebar()
navigation.run()
# server time of this run (read by benchmarks/bench_app.py through AppTest's session state)
st.session_state["_run_seconds"] = time.perf_counter() - started
