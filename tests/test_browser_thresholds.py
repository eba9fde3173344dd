"""The Thresholds page in a real browser: keyboard bursts never create a per-tag override.

``streamlit run app.py`` on a small demo catalogue (1,500 tracks) with a quick ``demo-model``,
driven by Debian's Chromium (``tests/browser_harness.py``). The global offset is moved with the
arrow keys in two bursts with a pause between them (each press commits a value; later commits
interrupt the reruns of earlier ones): the tag on screen must follow the final offset, never be
marked "set individually", and the saved threshold set and the downloaded decisions must use the
final offset for every tag. A real edit of the chosen tag's slider, by contrast, is kept and later
offsets do not move it (what the page's help says). Skipped where no Chromium exists, unless
``MEWO_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests import browser_harness as h

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACKS = 1500
FIRST_RENDER_MS = 180_000
STEP_MS = 60_000
CAPTION = re.compile(r"^(\S+): threshold (-?\d+\.\d{4}) \(tuned (-?\d+\.\d{4})\)")
TOL = 1.5e-4  # values are shown with 4 decimals


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Temporary cache and artifacts folders: a small demo catalogue and a quick demo-model."""
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    folders = h.app_folders(tmp_path_factory, "thr-browser", roots=False)
    folder = demo.ensure_demo_data(TRACKS, 0, root=folders.cache)
    train_and_save(demo.load_demo_bundle(folder), "global-threshold", {},
                   folders.artifacts / "demo-model")
    return folders.env(TRACKS, DEMO_FOLDER=str(folder))


@pytest.fixture
def page(browser: Any, server: h.StreamlitServer) -> Iterator[Any]:
    context = browser.new_context(viewport=h.VIEWPORT, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    tab = context.new_page()
    tab.goto(server.url)  # the app's root first: its navigation owns the page URLs
    try:
        h.wait_page(tab, "Data", FIRST_RENDER_MS)
        h.open_page(tab, "Thresholds", "Thresholds", FIRST_RENDER_MS)
    except Exception as exc:
        raise AssertionError(f"Thresholds did not render: {exc}\n{server.log_tail()}") from exc
    _clean(tab, server)
    yield tab
    context.close()


# --- helpers ------------------------------------------------------------------------------------


def _clean(page: Any, server: h.StreamlitServer) -> None:
    found = h.failures(page)
    assert not found, f"error shown: {found}\nserver log:\n{server.log_tail()}"


def _caption(page: Any) -> dict[str, Any]:
    text = page.get_by_text(CAPTION).first.inner_text()
    found = CAPTION.match(text)
    assert found, text
    return {"tag": found[1], "used": float(found[2]), "tuned": float(found[3])}


def _value(page: Any, label: str) -> float:
    return float(h.slider(page, label).get_attribute("aria-valuetext"))


def _individual(page: Any) -> str:
    found = page.get_by_text(re.compile(r"tag\(s\) set individually")).all_inner_texts()
    return " ".join(found)


def _settle(page: Any) -> None:
    """Wait until every committed value has been run: idle, and still idle with the same
    caption and offset a while later (a debounced commit may start one more run)."""
    snapshot = None
    for _ in range(30):
        h.wait_idle(page, STEP_MS)
        now = (page.get_by_text(CAPTION).first.inner_text(), _value(page, "Global offset"))
        if now == snapshot:
            return
        snapshot = now
        time.sleep(0.8)
    raise AssertionError("the page kept rerunning")


def _press(page: Any, label: str, key: str, times: int) -> None:
    thumb = h.slider(page, label)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)


def _bursts(page: Any, pause: float) -> None:
    """Five ArrowRight presses on the global offset, a pause, five more."""
    _press(page, "Global offset", "ArrowRight", 5)
    time.sleep(pause)
    _press(page, "Global offset", "ArrowRight", 5)
    time.sleep(0.3)
    _settle(page)


def _reset(page: Any) -> None:
    page.get_by_role("button", name="Reset to tuned").click()
    h.after_click(page, STEP_MS)
    _settle(page)
    assert _value(page, "Global offset") == 0.0
    assert not _individual(page)


def _save(page: Any, name: str, artifacts: Path) -> Path:
    field = page.get_by_label("New artifact name")
    field.fill(name)
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Save threshold set as a new artifact").click()
    page.get_by_text(re.compile(r"^Saved ")).wait_for(timeout=STEP_MS)
    h.wait_idle(page, STEP_MS)
    return artifacts / name


def _download(page: Any) -> pd.DataFrame:
    with page.expect_download(timeout=STEP_MS) as info:
        page.get_by_role("button", name="Download test decisions (CSV)").click()
    return pd.read_csv(io.BytesIO(Path(info.value.path()).read_bytes()))


def _test_decisions(app_env: dict[str, str], saved: Path) -> pd.DataFrame:
    """The saved threshold set's decisions on the test split, as the downloaded CSV holds."""
    from mewo_core import demo
    from mewo_core.artifacts import load_model, read_manifest
    from mewo_core.session import Session

    bundle = demo.load_demo_bundle(app_env["DEMO_FOLDER"])
    session = Session(bundle, "check", model_path=saved, manifest=read_manifest(saved),
                      model_name=saved.name)
    test = session.data("test")
    return test.labels_frame(load_model(saved).predict(test))


def _tuned(app_env: dict[str, str]) -> np.ndarray:
    from mewo_core.artifacts import artifact_thresholds

    return artifact_thresholds(Path(app_env["MEWO_ARTIFACTS_DIR"]) / "demo-model")


# --- tests --------------------------------------------------------------------------------------


def test_keyboard_bursts_on_the_global_offset_never_pin_a_tag(
    page: Any, server: h.StreamlitServer, app_env: dict[str, str]
) -> None:
    tuned = _tuned(app_env)
    for i, pause in enumerate((0.3, 1.0)):
        if i:
            _reset(page)
        start = _caption(page)
        _bursts(page, pause)
        _clean(page, server)
        offset = _value(page, "Global offset")
        shown = _caption(page)
        where = f"try {i} (pause {pause} s): offset {offset}, caption {shown}"
        assert offset > 0, where
        assert not _individual(page), f"{where}: {_individual(page)}"
        assert shown["tuned"] == start["tuned"], where
        assert shown["used"] == pytest.approx(shown["tuned"] + offset, abs=TOL), where
        assert _value(page, "Threshold of the chosen tag") == pytest.approx(shown["used"],
                                                                            abs=TOL), where

    # what is saved and downloaded uses the final offset for every tag
    saved = _save(page, "after-bursts", Path(app_env["MEWO_ARTIFACTS_DIR"]))
    from mewo_core.artifacts import artifact_thresholds

    shift = (artifact_thresholds(saved) - tuned)[np.isfinite(tuned)]
    assert np.ptp(shift) < 1e-9, "some tags did not take the global offset"
    assert shift[0] == pytest.approx(offset, abs=TOL)
    downloaded = _download(page)
    expected = _test_decisions(app_env, saved)
    assert list(downloaded.columns) == list(expected.columns)
    assert np.array_equal(downloaded.to_numpy(), expected.to_numpy())


def test_an_edit_of_the_chosen_tag_is_kept_and_offsets_leave_it(
    page: Any, server: h.StreamlitServer, app_env: dict[str, str]
) -> None:
    tuned = _tuned(app_env)
    start = _caption(page)
    _press(page, "Threshold of the chosen tag", "ArrowLeft", 3)
    time.sleep(0.3)
    _settle(page)
    own = _value(page, "Threshold of the chosen tag")
    edited = _caption(page)
    assert own < start["used"]
    assert edited["used"] == pytest.approx(own, abs=TOL)
    assert start["tag"] in _individual(page)

    _bursts(page, 0.5)  # the offset moves the other tags, not this one
    _clean(page, server)
    offset = _value(page, "Global offset")
    assert offset > 0
    after = _caption(page)
    assert after["used"] == edited["used"], (edited, after)
    assert _value(page, "Threshold of the chosen tag") == pytest.approx(own, abs=TOL)
    assert start["tag"] in _individual(page)

    from mewo_core.artifacts import artifact_thresholds

    saved = artifact_thresholds(_save(page, "tag-edit", Path(app_env["MEWO_ARTIFACTS_DIR"])))
    from mewo_core import demo

    t = demo.load_demo_bundle(app_env["DEMO_FOLDER"]).train.tag_names.index(start["tag"])
    assert saved[t] == pytest.approx(own, abs=TOL)
    others = np.isfinite(tuned) & (np.arange(tuned.size) != t)
    shift = (saved - tuned)[others]
    assert np.ptp(shift) < 1e-9 and shift[0] == pytest.approx(offset, abs=TOL)

    # Saving selects the new set as the model (it is listed at once), so its tuned value for
    # the tag is the edit: Reset drops the offsets and the override, and the tag keeps the edit.
    _reset(page)
    assert _caption(page)["used"] == pytest.approx(own, abs=TOL)
    assert _value(page, "Threshold of the chosen tag") == pytest.approx(own, abs=TOL)
