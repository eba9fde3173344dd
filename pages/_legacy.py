"""Streamlit's legacy pages-folder mode, and the one place that knows its private flag.

A fresh server treats ``pages/`` as Streamlit's legacy pages folder until ``st.navigation``
first runs, so the first visit of a page's address (a bookmark, a reload after a restart) would
run that page alone, without ``app.py``'s sidebar. ``tests/test_architecture_app.py`` fails if
Streamlit renames or drops the flag this relies on.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import pages_manager

#: The private class attribute that is True while the legacy pages-folder mode is on.
FLAG = "uses_pages_directory"


def legacy_mode_on() -> bool:
    return bool(getattr(pages_manager.PagesManager, FLAG))


def turn_legacy_mode_off() -> None:
    setattr(pages_manager.PagesManager, FLAG, False)


def leave_legacy_pages_mode() -> None:
    """On a page's first run through the legacy path, switch the mode off and rerun through
    ``app.py`` (every page imports :mod:`pages._context`, which calls this)."""
    if legacy_mode_on():
        turn_legacy_mode_off()
        st.rerun()


class NavigationPagesManager(pages_manager.PagesManager):
    """For Streamlit's AppTest, which resets the flag before every run: since ``pages/`` exists
    it would turn True and reruns would take the legacy path until ``st.navigation`` runs again.
    A real server clears the flag for good at the first ``st.navigation`` call (the browser
    tests check that); this mirrors it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        turn_legacy_mode_off()
