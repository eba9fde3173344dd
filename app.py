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

#: (file, title, icon) of every page: the navigation and the sidebar's links are built from it.
PAGE_SPECS = (
    ("pages/data.py", "Data", ":material/dataset:"),
    ("pages/correlations.py", "Correlations", ":material/hub:"),
    ("pages/models.py", "Models", ":material/model_training:"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/thresholds.py", "Thresholds", ":material/tune:"),
    ("pages/track_inspector.py", "Track inspector", ":material/search:"),
    ("pages/relations.py", "Relations", ":material/account_tree:"),
    ("pages/review.py", "Review", ":material/fact_check:"),
)
PAGES = [st.Page(path, title=title, icon=icon, default=k == 0)
         for k, (path, title, icon) in enumerate(PAGE_SPECS)]  # fmt: skip

started, started_cpu = time.perf_counter(), time.thread_time()
# The sidebar draws the page links itself: each link carries the address's dataset, model and
# split, so a page visit is one history entry (Streamlit's own links drop the query string,
# which the page would then write back as a second entry).
navigation = st.navigation(PAGES, position="hidden")
# the sidebar restores the dataset, model and split from the address and writes them back
_sidebar.sidebar(list(zip(PAGES, PAGE_SPECS, strict=True)))
_notices.show_flash()  # notices of the previous run (a saved artifact, a model that no longer fits)
_sidebar.intro()  # the first-run introduction, until hidden
try:
    navigation.run()
except MewoError as exc:  # a user error anywhere in a page: a message, never a traceback
    st.error(str(exc))
# server time of this run, wall and CPU (read by benchmarks/bench_app.py through AppTest)
st.session_state["_run_seconds"] = time.perf_counter() - started
st.session_state["_run_cpu_seconds"] = time.thread_time() - started_cpu
