"""Mewo Tag Lab dashboard: ``streamlit run app.py``.

Navigation (``st.navigation`` over the ``st.Page`` files in ``pages/``, its links drawn in the
shared sidebar) and the sidebar's dataset, model and split, kept in the address's query
parameters, so a reload restores them; the pages only arrange what ``mewo_core`` computes.
"""

from __future__ import annotations

import time

import streamlit as st

from mewo_core.errors import MewoError
from pages import _notices, _sidebar

st.set_page_config(page_title="Mewo Tag Lab", page_icon=":material/sell:", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/dataset:", default=True),
    st.Page("pages/correlations.py", title="Correlations", icon=":material/hub:"),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/thresholds.py", title="Thresholds", icon=":material/tune:"),
    st.Page("pages/track_inspector.py", title="Track inspector", icon=":material/search:"),
    st.Page("pages/relations.py", title="Relations", icon=":material/account_tree:"),
    st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
]

started, started_cpu = time.perf_counter(), time.thread_time()
# The sidebar draws the page links itself: each link carries the address's dataset, model and
# split, so a page visit is one history entry (Streamlit's own links drop the query string,
# which the page would then write back as a second entry).
navigation = st.navigation(PAGES, position="hidden")
_sidebar.sidebar(PAGES)  # restores the dataset, model and split from the address, writes them
_notices.show_flash()  # notices of the previous run (a saved artifact, a model that no longer fits)
_sidebar.intro()  # the first-run introduction, until hidden
try:
    navigation.run()
except MewoError as exc:  # a user error anywhere in a page: a message, never a traceback
    st.error(str(exc))
# server time of this run, wall and CPU (read by benchmarks/bench_app.py through AppTest)
st.session_state["_run_seconds"] = time.perf_counter() - started
st.session_state["_run_cpu_seconds"] = time.thread_time() - started_cpu
