"""Mewo Tag Lab dashboard: ``streamlit run app.py``.

Navigation over the pages in ``pages/`` with a shared sidebar (dataset, model, split); the
pages only arrange what ``mewo_core`` computes.
"""

from __future__ import annotations

import streamlit as st

from pages import _shared

st.set_page_config(page_title="Mewo Tag Lab", page_icon="🏷️", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon="📂", default=True),
    st.Page("pages/correlations.py", title="Correlations", icon="🔗"),
    st.Page("pages/models.py", title="Models", icon="🧠"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("pages/thresholds.py", title="Thresholds", icon="🎚️"),
    st.Page("pages/track_inspector.py", title="Track inspector", icon="🔎"),
]

navigation = st.navigation(PAGES)
_shared.sidebar()
navigation.run()
