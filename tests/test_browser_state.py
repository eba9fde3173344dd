"""The app's state in a real browser (``streamlit run app.py`` + Debian's Chromium).

- bug 2: after loading a dataset with other tags, the sidebar offers only the models that fit it
  (the chosen one falls back to the baseline with one notice; the others are listed with why);
- bug 3: a threshold set saved on the Thresholds page is in the sidebar's Model list at once;
- a reload of the address keeps the dataset, model, split and page.

One server per module with a small demo catalogue (1,500 tracks), a ``demo-model`` on it, and a
tiny data folder with other tags (inside ``MEWO_DATA_ROOTS``) with its own ``tiny-model``.
Skipped where no Chromium exists, unless ``MEWO_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import browser_harness as h
from tests.conftest import write_tiny_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACKS = 1500
FIRST_RENDER_MS = h.FIRST_RENDER_MS
STEP_MS = h.STEP_MS


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder

    folders = h.app_folders(tmp_path_factory, "state")
    folder = demo.ensure_demo_data(TRACKS, 0, root=folders.cache)
    train_and_save(demo.load_demo_bundle(folder), "global-threshold", {},
                   folders.artifacts / "demo-model")
    tiny = write_tiny_folder(folders.roots / "tiny", n=90)
    train_and_save(load_folder(tiny), "global-threshold", {}, folders.artifacts / "tiny-model")
    return folders.env(TRACKS, TINY=str(tiny.resolve()))


# --- helpers ------------------------------------------------------------------------------------


def _load_folder(page: Any, folder: str) -> None:
    page.get_by_text("Load a data folder or upload files").click()
    field = page.get_by_label("Folder path")
    field.fill(folder)
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Load folder").click()
    page.get_by_role("heading", name="Validation report: Folder tiny").wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)


def _alerts(page: Any, kind: str) -> list[str]:
    return page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts()


# --- first visit of a page's address ------------------------------------------------------------


def test_a_page_address_on_a_fresh_server_opens_that_page(
    server: h.StreamlitServer, page: Any
) -> None:
    """The server's very first run is a page's address with state (a bookmark, a reload after a
    restart): that page, with the app's sidebar and the address's split, not Streamlit's legacy
    pages-folder mode (which lists ``pages/*.py`` and runs the page alone). Keep this test first
    in the module: it needs the fresh server."""
    page.goto(f"{server.url}/compare?split=test")
    h.settled(page, server, "Compare with the baseline", FIRST_RENDER_MS)
    h.assert_clean(page, server, "Compare as the first page")
    nav = " ".join(page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
                   .all_inner_texts())
    assert "Track inspector" in nav and "shared" not in nav, nav
    assert h.sidebar_choice(page, "Dataset") == "Demo catalogue"
    assert page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="test").is_checked()
    assert "/compare?" in page.url and "split=test" in page.url


# --- bug 2 --------------------------------------------------------------------------------------


def test_another_dataset_offers_only_the_models_that_fit(
    server: h.StreamlitServer, page: Any, app_env: dict[str, str]
) -> None:
    page.goto(server.url)
    h.settled(page, server, "Data", FIRST_RENDER_MS)
    assert h.sidebar_choice(page, "Model") == "demo-model"
    assert "tiny-model" not in h.sidebar_options(page, "Model")
    _load_folder(page, app_env["TINY"])
    h.assert_clean(page, server, "Data after loading the tiny folder")
    assert h.sidebar_choice(page, "Dataset") == "Folder tiny"
    assert h.sidebar_choice(page, "Model").startswith("Baseline")
    options = h.sidebar_options(page, "Model")
    assert "tiny-model" in options and "demo-model" not in options, options
    notices = [w for w in _alerts(page, "Warning") if "demo-model" in w]
    assert len(notices) == 1 and "baseline is selected" in notices[0], notices
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Models that do not fit this data (1)").click()
    sidebar.get_by_text("its tags differ from the data's").wait_for()
    h.open_page(page, "Compare", "Compare with the baseline", STEP_MS)
    h.assert_clean(page, server, "Compare on the tiny folder")
    assert not [w for w in _alerts(page, "Warning") if "cannot be used" in w]


# --- bug 3 --------------------------------------------------------------------------------------


def test_a_saved_threshold_set_is_listed_at_once(server: h.StreamlitServer, page: Any) -> None:
    page.goto(f"{server.url}/thresholds")
    h.settled(page, server, "Thresholds", FIRST_RENDER_MS)
    thumb = h.slider(page, "Global offset")
    thumb.focus()
    thumb.press("End")
    h.after_click(page, STEP_MS)
    field = page.get_by_label("New artifact name")
    field.fill("thr-browser")
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Save threshold set as a new artifact").click()
    page.get_by_text("Saved ", exact=False).first.wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    h.assert_clean(page, server, "Thresholds after saving")
    assert h.sidebar_choice(page, "Model") == "thr-browser"  # no page change needed
    assert "thr-browser" in h.sidebar_options(page, "Model")


# --- a reload keeps the state -------------------------------------------------------------------


def test_a_reload_keeps_dataset_model_split_and_page(
    server: h.StreamlitServer, page: Any, app_env: dict[str, str]
) -> None:
    page.goto(server.url)
    h.settled(page, server, "Data", FIRST_RENDER_MS)
    _load_folder(page, app_env["TINY"])
    h.sidebar_choose(page, "Model", "tiny-model")
    page.locator('[data-testid="stSidebar"]').get_by_text("test", exact=True).click()
    h.wait_idle(page, STEP_MS)
    h.open_page(page, "Compare", "Compare with the baseline", STEP_MS)
    h.assert_clean(page, server, "Compare before the reload")
    page.wait_for_function("() => location.search.includes('split=test')", timeout=STEP_MS)
    url = page.url
    assert "/compare?" in url and "model=tiny-model" in url, url

    page.reload()
    h.settled(page, server, "Compare with the baseline")
    h.assert_clean(page, server, "Compare after the reload")
    assert h.sidebar_choice(page, "Dataset") == "Folder tiny"
    assert h.sidebar_choice(page, "Model") == "tiny-model"
    assert page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="test").is_checked()
    assert page.url == url

    fresh = page.context.new_page()  # the address in another tab: the same state
    fresh.goto(url)
    h.settled(fresh, server, "Compare with the baseline")
    assert h.sidebar_choice(fresh, "Model") == "tiny-model"
    fresh.close()


# --- training goes on when the page is left -----------------------------------------------------


def test_training_goes_on_when_the_page_is_left(server: h.StreamlitServer, page: Any) -> None:
    """A training job started on Models runs on while another page is shown; back on Models its
    progress is polled at the top until it is saved, then the sidebar lists the model."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/models")
    h.settled(page, server, "Models", FIRST_RENDER_MS)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("2")
    epochs.press("Tab")
    name = page.get_by_role("textbox", name="Artifact name")
    assert name.input_value().startswith("reservoir-transformer-demo-catalogue-")
    name.fill("rt-background")
    page.get_by_role("button", name="Train and save").click()
    page.get_by_text("Training reservoir-transformer on Demo catalogue").first.wait_for()
    h.assert_clean(page, server, "Models while training")
    h.open_page(page, "Data", "Data", STEP_MS)  # leave the page while it trains
    h.open_page(page, "Models", "Models", STEP_MS)
    done = page.get_by_text("saved it as rt-background", exact=False)
    expect(done).to_be_visible(timeout=240_000)  # polled: no click needed
    h.wait_idle(page, STEP_MS)
    h.assert_clean(page, server, "Models after training")
    assert "rt-background" in h.sidebar_options(page, "Model")
