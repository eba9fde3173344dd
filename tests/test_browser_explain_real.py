"""The Why view on the real MediaEval folder in a real browser (``streamlit run app.py`` +
Debian's Chromium), with the default model (every tag falls back, album context on): the chart
of a fallback tag ends on its decision's side of the threshold, the album step is shown, and
the outcome filter's tag is the one explained.

Skipped where the real folder or Chromium is missing (``MEWO_REQUIRE_BROWSER=1``: Chromium).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import browser_harness as h

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mediaeval2019-vggish"
REAL = REAL if REAL.is_dir() else Path("/work/shared/data/mediaeval2019-vggish")
STEP_MS = h.STEP_MS

if not REAL.is_dir():
    pytest.skip("the real MediaEval folder is not here", allow_module_level=True)

#: End of the last waterfall and its threshold line, read from the drawn Plotly figure.
DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  const fig = charts[charts.length - 1];
  const t = fig.data[0];
  let end = 0;
  t.y.forEach((y, i) => { const m = t.measure[i];
    end = m === 'absolute' ? y : end + (m === 'relative' ? y : 0); });
  return [t.type, end, fig.layout.shapes[0].y0];
}"""


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder

    folders = h.app_folders(tmp_path_factory, "real", roots=False)
    train_and_save(load_folder(REAL), "reservoir-transformer", {}, folders.artifacts / "rt-real")
    return folders.env(1500, MEWO_DATA_ROOTS=str(REAL.parent.resolve()))


def _choose(page: Any, label: re.Pattern[str] | str, value: str) -> None:
    """Pick ``value`` in the main area's selectbox ``label`` and wait for the rerun."""
    main = page.locator('[data-testid="stMain"]')
    box = main.get_by_role("combobox", name=label, exact=isinstance(label, str) or None)
    box.click()
    page.keyboard.type(value)  # the list is virtualised: filter it to the option
    page.get_by_role("option", name=value, exact=True).click()
    h.wait_idle(page, STEP_MS)


WHY = re.compile(r"^Tag to explain")


def test_real_folder_why_agrees_with_the_decision(server: h.StreamlitServer, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    h.settled(page, server, "Data", h.FIRST_RENDER_MS)
    page.get_by_text("Load a data folder or upload files").click()
    field = page.get_by_label("Folder path")
    field.fill(str(REAL.resolve()))
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Load folder").click()
    page.get_by_role("heading", name=re.compile("^Validation report")).wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    h.sidebar_choose(page, "Model", "rt-real")
    h.open_page(page, "Track inspector", "Track inspector", STEP_MS)
    page.get_by_role("heading", name="Why").wait_for(timeout=STEP_MS)
    # the case: track 387516, moods-children (no; the album blend flips it)
    page.get_by_text("By id", exact=True).click()
    h.wait_idle(page, STEP_MS)
    track = page.get_by_label("ChallengeID")
    track.fill("387516")
    track.press("Enter")
    h.wait_idle(page, STEP_MS)
    _choose(page, WHY, "moods-children")
    h.charts_drawn(page)
    h.assert_clean(page, server, "Why of moods-children")
    expect(h.metric(page, "Model")).to_have_text("no")
    score = h.metric(page, "Score (album-blended)").inner_text()
    threshold = h.metric(page, "Threshold").inner_text()
    assert score != threshold and float(score) < float(threshold)
    path = page.get_by_text(re.compile(r"^Path \(logit space\): own score"))
    expect(path).to_be_visible(timeout=STEP_MS)
    assert "album context" in path.inner_text() and "→ no" in path.inner_text()
    expect(page.get_by_text(re.compile("nothing but its album-blended score"))).to_be_visible()
    kind, end, line = page.evaluate(DRAWN)
    assert kind == "waterfall" and end < line, (end, line)
    # the outcome filter's tag is the one explained
    page.get_by_text("From a list", exact=True).click()
    h.wait_idle(page, STEP_MS)
    _choose(page, "Outcome", "False positives of a tag")
    _choose(page, re.compile(r"^Tag \(type to search\)"), "moods-dark")
    h.charts_drawn(page)
    h.assert_clean(page, server, "Why of a false positive of moods-dark")
    why = page.locator('[data-testid="stMain"]').get_by_role("combobox", name=WHY)
    assert why.input_value() == "moods-dark"
    expect(h.metric(page, "Model")).to_have_text("yes")
    kind, end, line = page.evaluate(DRAWN)
    assert kind == "waterfall" and end >= line, (end, line)
