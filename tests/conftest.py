"""Shared fixtures: small data folders written on the fly; the browser tests' Chromium, server
and pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests import browser_harness as h

TAGS = ["genres-rock", "genres-punk", "instruments-guitar", "moods-happy"]
EXTRA = ["category-genres-band"]


@pytest.fixture(autouse=True)
def _fresh_job_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own background-job registry (the app's is one per process)."""
    from mewo_core.session import jobs

    monkeypatch.setattr(jobs, "_REGISTRY", None)


def write_tiny_folder(folder: Path, n: int = 60, seed: int = 0, with_test: bool = True) -> Path:
    """A small valid data folder: x/y train (and test), taxonomy, groups (albums of 3 tracks)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = n * 2 if with_test else n
    ids = rng.permutation(np.arange(1000, 1000 + total))
    Y = (rng.random((total, len(TAGS))) < 0.3).astype(np.uint8)
    Y[:, 0] |= Y[:, 1]  # punk implies rock
    X = np.clip(0.6 * Y + 0.4 * rng.random((total, len(TAGS))), 0.001, 0.999)
    extra = X[:, :2].mean(axis=1, keepdims=True)
    x = pd.DataFrame(np.hstack([X, extra]).round(6), columns=TAGS + EXTRA)
    x.insert(0, "ChallengeID", ids)
    y = pd.DataFrame(Y, columns=TAGS)
    y.insert(0, "ChallengeID", ids)
    parts = {"train": slice(0, n)} | ({"test": slice(n, total)} if with_test else {})
    for part, rows in parts.items():
        x.iloc[rows].to_csv(folder / f"x_{part}.csv", index=False)
        y.iloc[rows].to_csv(folder / f"y_{part}.csv", index=False)
    pd.DataFrame(
        {"ChallengeID": ids, "album_id": np.arange(total) // 3, "artist_id": np.arange(total) // 9}
    ).to_csv(folder / "groups.csv", index=False)
    pd.DataFrame(
        {
            "column": TAGS + EXTRA,
            "class": ["genres", "genres", "instruments", "moods", "genres"],
            "category": [
                "genres-band",
                "genres-band",
                "instruments-guitars",
                "moods-happy",
                "genres-band",
            ],
        }
    ).to_csv(folder / "taxonomy.csv", index=False)
    return folder


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    return write_tiny_folder(tmp_path / "data")


# --- browser tests (a module that uses ``server`` defines its own ``app_env`` fixture) ---------


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; skips without it (or without Playwright's Python package), unless
    ``MEWO_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure."""
    path = h.find_chromium()
    reason = "no Chromium executable (install Debian's `chromium` to run the browser tests)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path, reason = None, "the `playwright` Python package is not installed"
    if path is None:
        if os.environ.get("MEWO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MEWO_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def server(
    chromium: str, app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[h.StreamlitServer]:
    """``streamlit run app.py`` with the module's ``app_env``, its log in a temporary folder."""
    log = tmp_path_factory.mktemp("browser-server") / "streamlit.log"
    with h.StreamlitServer(env=app_env, log_path=log) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Chromium through Playwright, one per module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = h.launch_chromium(playwright, chromium)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh session (own browser context) with one tab."""
    tab = h.new_session(browser)
    yield tab
    tab.context.close()
