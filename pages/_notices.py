"""Notices that survive a rerun: shown once, at the top of the next run's page."""

from __future__ import annotations

import streamlit as st

FLASH = "mewo_flash"


def flash(kind: str, text: str) -> None:
    """A message (``success``, ``info``, ``warning`` or ``error``) shown once, at the top of the
    next run's page (:func:`show_flash`)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    """Show and forget the pending :func:`flash` messages (``app.py``, above every page)."""
    for kind, text in st.session_state.pop(FLASH, []):
        getattr(st, kind)(text)
