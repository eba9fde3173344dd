"""Shared helpers for the dashboard under Streamlit's AppTest: the app's environment (temporary
cache and artifacts folders, demo size), opening the app, switching pages, finding widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.testing.v1 import AppTest

from pages._legacy import NavigationPagesManager

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120


def set_app_env(
    mp: pytest.MonkeyPatch, factory: pytest.TempPathFactory, tracks: int, **extra: str
) -> tuple[Path, Path]:
    """Point the app (through ``mp``) at fresh cache and artifacts folders and a demo catalogue
    of ``tracks`` tracks (seed 0), set the ``extra`` env variables, keep AppTest on the
    ``st.navigation`` path; return ``(cache, artifacts)``."""
    cache = factory.mktemp("cache")
    artifacts = factory.mktemp("artifacts")
    mp.setenv("MEWO_CACHE_DIR", str(cache))
    mp.setenv("MEWO_DEMO_TRACKS", str(tracks))
    mp.setenv("MEWO_DEMO_SEED", "0")
    mp.setenv("MEWO_ARTIFACTS_DIR", str(artifacts))
    for key, value in extra.items():
        mp.setenv(key, value)
    mp.setattr(app_test_module, "PagesManager", NavigationPagesManager)
    return cache, artifacts


def open_app(query: dict[str, str] | None = None, timeout: float = TIMEOUT) -> AppTest:
    """The app, run once (with the address's ``query`` parameters, if any)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def switch_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``page`` (a path such as ``pages/models.py``) and run."""
    at.switch_page(page)
    at.run()
    return at


def one(widgets, label: str):
    """The first of ``widgets`` labelled ``label`` (fails listing the labels there are)."""
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r}: {[w.label for w in widgets]}"
    return found[0]


def no_exception(at: AppTest) -> None:
    """The last run raised no exception."""
    assert not at.exception, [e.value for e in at.exception]
