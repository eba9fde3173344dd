"""The dashboard in a real browser: ``streamlit run app.py`` driven by Debian's Chromium.

One server per module on a free localhost port, with a small demo catalogue (1,500 tracks, all
columns) and a quick ``demo-model`` artifact in temporary folders. Every page renders without an
exception or error box (screenshots in ``test-artifacts/screenshots/``), a slider moved with
the keyboard changes the shown metric, and four sessions at once keep their own thresholds and
uploads. Skipped only where no Chromium executable exists, unless ``MEWO_REQUIRE_BROWSER=1``
(CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import browser_harness as h
from tests.helpers import SMALL_RT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACKS = 1500
FIRST_RENDER_MS = h.FIRST_RENDER_MS
STEP_MS = h.STEP_MS
# Screenshots go to test-artifacts/screenshots/ (git-ignored); MEWO_SCREENSHOTS=docs/screenshots
# refreshes the README's pictures.
SCREENSHOTS = Path(__file__).resolve().parents[1] / os.environ.get(
    "MEWO_SCREENSHOTS", "test-artifacts/screenshots"
)


@dataclass(frozen=True)
class PageSpec:
    """A dashboard page: its sidebar title, URL path, heading and screenshot name."""

    title: str
    path: str
    heading: str

    @property
    def shot(self) -> str:
        return (self.path or "data") + ".png"


PAGES = (
    PageSpec("Data", "", "Data"),  # the default page lives at the root URL
    PageSpec("Correlations", "correlations", "Correlations"),
    PageSpec("Models", "models", "Models"),
    PageSpec("Compare", "compare", "Compare with the baseline"),
    PageSpec("Thresholds", "thresholds", "Thresholds"),
    PageSpec("Track inspector", "track_inspector", "Track inspector"),
    PageSpec("Relations", "relations", "Relations"),
)
# A small network, so that the Why view and the relation map have a learned correction.
RT_OPTIONS = {**SMALL_RT, "variant": "tokens"}


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Temporary cache and artifacts folders holding a small demo catalogue and a quick model
    named ``demo-model`` (the sidebar's default choice)."""
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    folders = h.app_folders(tmp_path_factory, "browser", roots=False)
    folder = demo.ensure_demo_data(TRACKS, 0, root=folders.cache)
    bundle = demo.load_demo_bundle(folder)
    train_and_save(bundle, "global-threshold", {}, folders.artifacts / "demo-model")
    train_and_save(bundle, "reservoir-transformer", RT_OPTIONS, folders.artifacts / "rt-small")
    return folders.env(TRACKS, DEMO_FOLDER=str(folder))


# --- every page ---------------------------------------------------------------------------------


def test_every_page_renders_without_errors(server: h.StreamlitServer, page: Any) -> None:
    """Each page, reached from the sidebar in one session: a heading, content, drawn charts,
    no exception or error box; its URL path derives from the page file's name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server.url)
    h.settled(page, server, PAGES[0].heading, FIRST_RENDER_MS)
    for i, spec in enumerate(PAGES):
        if i:
            h.open_page(page, spec.title, spec.heading, STEP_MS)
        path = urlsplit(page.url).path  # the address also holds the state's query parameters
        assert path.rstrip("/").endswith(f"/{spec.path}".rstrip("/")), page.url
        h.charts_drawn(page)
        h.assert_clean(page, server, spec.title)
        assert page.locator('[data-testid="stMain"]').inner_text().strip(), "empty page"
        page.screenshot(path=str(SCREENSHOTS / spec.shot))


# --- thresholds ---------------------------------------------------------------------------------


def _open_thresholds(page: Any, server: h.StreamlitServer, *, go: bool = True) -> None:
    if go:
        page.goto(f"{server.url}/thresholds")
    h.settled(page, server, "Thresholds", FIRST_RENDER_MS)
    h.assert_clean(page, server, "Thresholds")


def _move(page: Any, label: str, *keys: str) -> None:
    """Focus a slider's thumb and press keys; the value commits after Streamlit's debounce."""
    thumb = h.slider(page, label)
    thumb.focus()
    for key in keys:
        thumb.press(key)


def _changed(page: Any, locator: Any, before: str) -> str:
    """Wait until ``locator``'s text differs from ``before`` and the rerun has finished."""
    from playwright.sync_api import expect

    expect(locator).not_to_have_text(before, timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    return locator.inner_text()


def test_threshold_slider_changes_the_metric(server: h.StreamlitServer, page: Any) -> None:
    _open_thresholds(page, server)
    weighted = h.metric(page, "Weighted F1")
    tuned = weighted.inner_text()
    offset = h.slider(page, "Global offset")
    assert offset.get_attribute("aria-valuetext") == "0.0000"

    _move(page, "Global offset", "End")
    moved = _changed(page, weighted, tuned)
    assert float(moved) != pytest.approx(float(tuned), abs=5e-5), (tuned, moved)
    top = page.locator('[data-testid="stSlider"]').filter(has_text="Global offset")
    assert float(offset.get_attribute("aria-valuetext")) > 0, top.inner_text()
    delta = page.locator('[data-testid="stMetric"]').filter(has_text="Weighted F1").locator(
        '[data-testid="stMetricDelta"]'
    )
    assert delta.inner_text().strip().lstrip("↑↓ ") not in ("+0.0000", "-0.0000", "0.0000")
    h.assert_clean(page, server, "Thresholds after moving the global offset")

    # the chosen tag's own slider moves its threshold in the caption under the curves
    caption = page.get_by_text(re.compile(r": threshold -?\d+\.\d{4} \(tuned ")).first
    before = caption.inner_text()
    _move(page, "Threshold of the chosen tag", "Home")
    after = _changed(page, caption, before)
    assert after.split(": threshold ")[1] != before.split(": threshold ")[1]
    h.assert_clean(page, server, "Thresholds after moving the chosen tag's threshold")


def test_reset_to_tuned_resets_the_sliders(server: h.StreamlitServer, page: Any) -> None:
    from playwright.sync_api import expect

    _open_thresholds(page, server)
    weighted = h.metric(page, "Weighted F1")
    tuned = weighted.inner_text()
    offset = h.slider(page, "Global offset")
    _move(page, "Global offset", "End")
    _changed(page, weighted, tuned)

    page.get_by_role("button", name="Reset to tuned").click()
    expect(weighted).to_have_text(tuned, timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    h.assert_clean(page, server, "Thresholds after reset")
    assert offset.get_attribute("aria-valuetext") == "0.0000", "the slider still shows the offset"
    page.get_by_role("heading", level=1).click()  # focus off the widgets, then rerun ("r")
    page.keyboard.press("r")
    h.after_click(page, STEP_MS)
    assert weighted.inner_text() == tuned, "the next rerun brought the offset back"


# --- explanations ------------------------------------------------------------------------------


def test_why_view(server: h.StreamlitServer, page: Any) -> None:
    """With a network: the Why view names the path and draws the waterfall."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/track_inspector")
    h.settled(page, server, "Track inspector", FIRST_RENDER_MS)
    h.sidebar_choose(page, "Model", "rt-small")
    page.get_by_role("heading", name="Why").wait_for(timeout=STEP_MS)
    path = page.get_by_text(re.compile(r"^Path \((logit|raw) space\): own score"))
    expect(path).to_be_visible(timeout=STEP_MS)
    h.charts_drawn(page)
    h.assert_clean(page, server, "Why view")


def test_what_if_edit_in_the_browser(server: h.StreamlitServer, page: Any) -> None:
    """Editing the top contributor and applying it recomputes the explanation."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/track_inspector")
    h.settled(page, server, "Track inspector", FIRST_RENDER_MS)
    h.sidebar_choose(page, "Model", "rt-small")
    path = page.get_by_text(re.compile(r"^Path \((logit|raw) space\): own score"))
    expect(path).to_be_visible(timeout=STEP_MS)
    before = path.inner_text()
    page.get_by_text("What if: edit input scores").click()  # the toggle's label
    what_if = page.locator('[class*="st-key-"][class*="whatif"][class*="-panel"]')
    field = what_if.locator('[data-testid="stNumberInput"] input').first  # not the track id
    field.wait_for(timeout=STEP_MS)
    value = float(field.input_value())
    field.fill(f"{min(value + 0.5, 0.9999) if value < 0.5 else max(value - 0.5, 0.0):.4f}")
    field.press("Enter")
    h.after_click(page, STEP_MS)  # the commit's rerun must finish before Apply reads the value
    apply = page.get_by_role("button", name="Apply what-if")
    expect(apply).to_be_visible(timeout=STEP_MS)  # the editor stays open across the rerun
    apply.click()
    h.after_click(page, STEP_MS)
    page.get_by_text(re.compile(r"^What-if edits:")).wait_for(timeout=STEP_MS)
    h.assert_clean(page, server, "Why view after a what-if edit")
    assert path.inner_text() != before, "the explanation did not change with the edit"
    page.screenshot(path=str(SCREENSHOTS / "why_view.png"), full_page=True)


def test_relation_map_of_a_network(server: h.StreamlitServer, page: Any) -> None:
    page.goto(f"{server.url}/relations")
    h.settled(page, server, "Relations", FIRST_RENDER_MS)
    h.sidebar_choose(page, "Model", "rt-small")
    h.metric(page, "Tags keeping a correction").wait_for(timeout=STEP_MS)
    h.charts_drawn(page)
    h.assert_clean(page, server, "Relations")
    page.screenshot(path=str(SCREENSHOTS / "relations.png"), full_page=True)


# --- four sessions at once ----------------------------------------------------------------------


def _data_label(page: Any) -> str:
    return page.get_by_role("heading", name=re.compile("^Validation report: ")).inner_text()


def _upload_demo_test_part(page: Any, folder: Path) -> None:
    """Upload the catalogue's test files as a new dataset on the Data page."""
    page.get_by_text("Load a data folder or upload files").click()
    for label, name in (("Scores (x) CSV", "x_test.csv"), ("Labels (y) CSV", "y_test.csv"),
                        ("Taxonomy CSV (optional)", "taxonomy.csv")):
        uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
        uploader.locator('input[type="file"]').set_input_files(str(folder / name))
        uploader.get_by_text(name).wait_for()
        h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Load uploaded files").click()
    page.get_by_role("heading", name=re.compile(r"^Validation report: Upload x_test\.csv")) \
        .wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)


def test_four_sessions_at_once_keep_their_own_state(
    server: h.StreamlitServer, browser: Any, app_env: dict[str, str]
) -> None:
    sessions = [h.new_session(browser) for _ in range(4)]
    try:
        for tab in sessions:  # all four requested before any is waited for
            tab.goto(f"{server.url}/thresholds", wait_until="commit")
        for tab in sessions:
            _open_thresholds(tab, server, go=False)
        tuned = {h.metric(tab, "Weighted F1").inner_text() for tab in sessions}
        assert len(tuned) == 1, f"sessions disagree before any change: {tuned}"
        tuned_value = tuned.pop()

        # each session sets its own global offset (the last only reruns); each rerun happens
        # after the others' changes, so shared state would show up in the later sessions
        keys = (("End",), ("Home",), ("PageUp",), ())
        shown: list[tuple[str, str]] = []
        for tab, pressed in zip(sessions, keys, strict=True):
            weighted = h.metric(tab, "Weighted F1")
            if pressed:
                _move(tab, "Global offset", *pressed)
                _changed(tab, weighted, tuned_value)
            else:
                tab.get_by_role("button", name="Reset to tuned").click()
                h.after_click(tab, STEP_MS)
            shown.append((h.slider(tab, "Global offset").get_attribute("aria-valuetext"),
                          weighted.inner_text()))
            h.assert_clean(tab, server, "Thresholds (parallel sessions)")
        offsets = [float(value) for value, _ in shown]
        assert offsets[0] > 0 > offsets[1], shown
        assert 0 < offsets[2] < offsets[0], shown
        assert shown[3] == ("0.0000", tuned_value), shown
        assert len({value for value, _ in shown}) == 4, shown

        # the first session uploads a dataset; the others still see only the demo catalogue
        first, *others = sessions
        h.open_page(first, "Data", "Data", STEP_MS)
        _upload_demo_test_part(first, Path(app_env["DEMO_FOLDER"]))
        h.assert_clean(first, server, "Data after an upload")
        chosen, options = h.sidebar_choice(first, "Dataset"), h.sidebar_options(first, "Dataset")
        assert chosen.startswith("Upload x_test.csv") and chosen in options, (chosen, options)
        for tab in others:
            h.open_page(tab, "Data", "Data", STEP_MS)
            assert _data_label(tab) == "Validation report: Demo catalogue"
            assert h.sidebar_choice(tab, "Dataset") == "Demo catalogue"
            assert h.sidebar_options(tab, "Dataset") == ["Demo catalogue"]
            h.assert_clean(tab, server, "Data (another session)")
    finally:
        for tab in sessions:
            tab.context.close()
