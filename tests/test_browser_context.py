"""An album-context model in a real browser (``streamlit run app.py`` + Debian's Chromium): load
a folder with albums, pick the model, and the Track inspector explains the blended scores.

Skipped where no Chromium exists, unless ``MEWO_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from tests import browser_harness as h
from tests.test_context import _albums
from tests.test_context_app import _write

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACKS = 1500
STEP_MS = h.STEP_MS


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder

    folders = h.app_folders(tmp_path_factory, "ctx")
    data = _albums(240, 6, 8, effect=1.0, seed=3)
    test = data.groups["artist_id"].to_numpy() % 4 == 0
    parts = {"train": data.subset(np.flatnonzero(~test)), "test": data.subset(np.flatnonzero(test))}
    albums = _write(folders.roots / "albums", parts, with_groups=True)
    train_and_save(load_folder(albums), "robust-thresholds", {"context": "album"},
                   folders.artifacts / "ctx-model")
    return folders.env(TRACKS, ALBUMS=str(albums.resolve()))


def test_context_model_explains_the_album_blend(server: h.StreamlitServer, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    h.settled(page, server, "Data", h.FIRST_RENDER_MS)
    page.get_by_text("Load a data folder or upload files").click()
    field = page.get_by_label("Folder path")
    field.fill(server.env["ALBUMS"])
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Load folder").click()
    page.get_by_role("heading", name="Validation report: Folder albums").wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    h.sidebar_choose(page, "Model", "ctx-model")
    h.open_page(page, "Track inspector", "Track inspector", STEP_MS)
    page.get_by_role("heading", name="Why").wait_for(timeout=STEP_MS)
    blend = re.compile(r"blends each track's scores with its album's \(\d+ other tracks here")
    caption = page.get_by_text(blend)
    expect(caption).to_be_visible(timeout=STEP_MS)
    h.assert_clean(page, server, "Track inspector with an album context")
