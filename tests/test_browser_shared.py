"""One server, several users, in a real browser (``streamlit run app.py`` + Debian's Chromium):
each browser context is a user with its own cookies.

- an upload belongs to the browser that made it: a reload keeps it, another browser opening its
  address is refused like an expired upload, with the demo catalogue shown instead;
- a user's training job is theirs: another user's Models page shows none of it; while it runs
  Train is disabled with the reason, and Cancel stops it with no artifact folder created;
- each page visit adds one entry to the browser's history;
- eight quick clicks on a download give eight files.

Skipped where no Chromium exists, unless ``MEWO_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import browser_harness as h
from tests.conftest import write_tiny_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACKS = 1500
STEP_MS = h.STEP_MS
FIRST_RENDER_MS = h.FIRST_RENDER_MS


@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from mewo_core import demo

    folders = h.app_folders(tmp_path_factory, "shared")
    demo.ensure_demo_data(TRACKS, 0, root=folders.cache)
    upload = write_tiny_folder(folders.roots / "upload-files", n=120, with_test=False)
    return folders.env(TRACKS, UPLOAD=str(upload), ARTIFACTS=str(folders.artifacts))


def _user(browser: Any) -> Any:
    context = browser.new_context(viewport=h.VIEWPORT, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    return context.new_page()


@pytest.fixture
def two(browser: Any):
    a, b = _user(browser), _user(browser)
    yield a, b
    a.context.close()
    b.context.close()


def _alerts(page: Any, kind: str) -> str:
    return " ".join(page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts())


def _upload(page: Any, server: h.StreamlitServer, folder: str, name: str) -> None:
    page.goto(server.url)
    h.settled(page, server, "Data", FIRST_RENDER_MS)
    page.get_by_text("Load a data folder or upload files").click()
    for label, file in (("Scores (x) CSV", "x_train.csv"), ("Labels (y) CSV", "y_train.csv")):
        box = page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
        box.locator('input[type="file"]').set_input_files(str(Path(folder) / file))
        h.wait_idle(page, STEP_MS)
    field = page.get_by_role("textbox", name="Name of the upload (optional)")
    field.fill(name)
    field.press("Enter")
    h.wait_idle(page, STEP_MS)
    page.get_by_role("button", name="Load uploaded files").click()
    page.get_by_role("heading", name=f"Validation report: Upload {name}").wait_for()
    h.wait_idle(page, STEP_MS)


def test_another_browser_cannot_open_an_upload_by_its_address(
    server: h.StreamlitServer, two: tuple[Any, Any], app_env: dict[str, str]
) -> None:
    a, b = two
    _upload(a, server, app_env["UPLOAD"], "ux-upload-A")
    assert h.sidebar_choice(a, "Dataset") == "Upload ux-upload-A"
    address = a.url
    assert "data=upload%3A" in address or "data=upload:" in address, address
    a.reload()  # the same browser keeps its upload across a reload
    h.settled(a, server, "Data", FIRST_RENDER_MS)
    assert h.sidebar_choice(a, "Dataset") == "Upload ux-upload-A"

    b.goto(address)
    h.settled(b, server, "Data", FIRST_RENDER_MS)
    warning = _alerts(b, "Warning")
    assert "was not loaded" in warning and "not held for this browser session" in warning
    assert h.sidebar_choice(b, "Dataset") == "Demo catalogue"
    assert "ux-upload-A" not in " ".join(h.sidebar_options(b, "Dataset"))
    h.assert_clean(b, server, "B after A's upload address")


def test_a_users_training_is_theirs_and_can_be_cancelled(
    server: h.StreamlitServer, two: tuple[Any, Any], app_env: dict[str, str]
) -> None:
    from playwright.sync_api import expect

    a, b = two
    a.goto(f"{server.url}/models")
    h.settled(a, server, "Models", FIRST_RENDER_MS)
    epochs = a.get_by_role("spinbutton", name="Epochs")
    epochs.fill("500")  # long enough to be cancelled mid-way
    epochs.press("Tab")
    name = a.get_by_role("textbox", name="Artifact name")
    name.fill("never-saved")
    a.get_by_role("button", name="Train and save").click()
    a.get_by_role("button", name="Cancel").wait_for(timeout=FIRST_RENDER_MS)
    # the panel at the top shows before the rerun reaches the form: wait for the form's state
    expect(a.get_by_role("button", name="Train and save")).to_be_disabled(timeout=STEP_MS)

    b.goto(f"{server.url}/models")
    h.settled(b, server, "Models", FIRST_RENDER_MS)
    assert not b.get_by_text("Training reservoir-transformer").count()  # none of A's job
    expect(b.get_by_role("button", name="Train and save")).to_be_disabled()
    assert b.get_by_text("Another user's training is running").count()

    a.get_by_role("button", name="Cancel").click()
    a.get_by_text("was cancelled").first.wait_for(timeout=FIRST_RENDER_MS)
    h.wait_idle(a, STEP_MS)
    assert not (Path(app_env["ARTIFACTS"]) / "never-saved").exists()
    assert not any(p.name.startswith(".never-saved") for p in Path(app_env["ARTIFACTS"]).iterdir())
    a.get_by_role("button", name="Dismiss").first.click()
    h.after_click(a, STEP_MS)
    assert not a.get_by_text("was cancelled").count()
    b.reload()
    h.settled(b, server, "Models", FIRST_RENDER_MS)
    assert not b.get_by_text("was cancelled").count()
    expect(b.get_by_role("button", name="Train and save")).to_be_enabled()


def test_each_page_visit_adds_one_history_entry(
    server: h.StreamlitServer, two: tuple[Any, Any]
) -> None:
    a, _ = two
    a.goto(server.url)
    h.settled(a, server, "Data", FIRST_RENDER_MS)
    lengths = [a.evaluate("history.length")]
    for title, heading in (("Correlations", "Correlations"), ("Models", "Models"),
                           ("Compare", "Compare with the baseline")):  # fmt: skip
        h.open_page(a, title, heading, FIRST_RENDER_MS)
        h.wait_idle(a, STEP_MS)
        lengths.append(a.evaluate("history.length"))
    assert [y - x for x, y in zip(lengths, lengths[1:], strict=False)] == [1, 1, 1], lengths
    a.go_back()
    h.wait_page(a, "Models", STEP_MS)
    a.go_back()
    h.wait_page(a, "Correlations", STEP_MS)


def test_quick_download_clicks_each_give_a_file(
    server: h.StreamlitServer, two: tuple[Any, Any]
) -> None:
    a, _ = two
    a.goto(f"{server.url}/compare")
    h.settled(a, server, "Compare with the baseline", FIRST_RENDER_MS)
    a.get_by_role("tab", name="Export").click()
    button = a.get_by_role("button", name="Per-tag table (CSV)")
    button.wait_for()
    got: list[Any] = []
    a.on("download", lambda download: got.append(download))
    for _ in range(8):
        button.click()
    for _ in range(120):  # until the eighth download arrives (at most a minute)
        if len(got) >= 8:
            break
        a.wait_for_timeout(500)
    assert len(got) == 8, f"{len(got)} of 8 clicks downloaded\n{server.log_tail()}"
    for download in got:
        assert download.failure() is None
        assert Path(download.path()).read_text().startswith("tag,")
    assert "MediaFileStorageError" not in server.log_tail(20_000)
