"""End-to-end helpers: a ``streamlit run app.py`` server on a free port and Debian's Chromium.

Used by the browser tests (their shared fixtures are in ``tests/conftest.py``) and
``benchmarks/bench_sessions.py``. The server runs as a subprocess with its own cache and
artifacts folders (``MEWO_CACHE_DIR``, ``MEWO_ARTIFACTS_DIR``) and demo catalogue size
(``MEWO_DEMO_TRACKS``); Chromium is the system binary driven through Playwright's Python package
(never a Playwright browser download).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serve import command as serve_command
from serve import server_env

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# ``stApp``'s ``data-test-script-state`` once a script run has finished
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BUSY = '[data-testid="stApp"]:not([data-test-script-state="notRunning"])'
FIRST_RENDER_MS = 180_000  # cold server: loads the catalogue, fits the baseline, scores
STEP_MS = 60_000


def find_chromium() -> str | None:
    """The system Chromium's path (``chromium`` on PATH, else /usr/bin/chromium), or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if fallback.exists() else None


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StreamlitServer:
    """``streamlit run app.py`` headless on a free localhost port; use as a context manager."""

    env: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    startup_timeout: float = 90.0
    app_dir: Path = ROOT
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StreamlitServer:
        self.port = self.port or free_port()
        # the command and environment ``make run`` gives the server (python serve.py)
        env = server_env({**os.environ, **self.env, "PYTHONUNBUFFERED": "1"})
        command = serve_command([
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",  # others edit pages while tests run
            "--browser.gatherUsageStats", "false",
        ], app=self.app_dir / "app.py")
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                command, cwd=self.app_dir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            if self.log_path:
                log.close()
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {self.startup_timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class AppFolders:
    """A module server's own folders: cache, artifacts and, when given, the data roots it may
    read (else the app's default roots)."""

    cache: Path
    artifacts: Path
    roots: Path | None = None

    def env(self, tracks: int, **extra: str) -> dict[str, str]:
        """The server's environment: these folders, a demo catalogue of ``tracks`` (seed 0)."""
        env = {
            "MEWO_CACHE_DIR": str(self.cache),
            "MEWO_ARTIFACTS_DIR": str(self.artifacts),
            "MEWO_DEMO_TRACKS": str(tracks),
            "MEWO_DEMO_SEED": "0",
        }
        if self.roots is not None:
            env["MEWO_DATA_ROOTS"] = str(self.roots)
        return {**env, **extra}


def app_folders(factory: Any, prefix: str, roots: bool = True) -> AppFolders:
    """Fresh folders from a ``tmp_path_factory``, named ``<prefix>-cache`` etc."""
    names = ("cache", "artifacts", "roots") if roots else ("cache", "artifacts")
    return AppFolders(*(factory.mktemp(f"{prefix}-{n}") for n in names))


def launch_chromium(playwright: Any, executable: str) -> Any:
    """Debian's Chromium through Playwright (headless, no sandbox, no background traffic)."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)


def new_session(browser: Any, timeout_ms: float = STEP_MS) -> Any:
    """A new browser context (own cookies and storage) with one page; ``timeout_ms`` is its
    default timeout."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


# --- page helpers -------------------------------------------------------------------------------


def wait_idle(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until the session's script run has finished and the status widget is gone."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)


def after_click(page: Any, timeout_ms: float = 60_000) -> None:
    """After an action that reruns the script without a visible change: let the run start
    (up to 2 s), then wait for it to finish."""
    with contextlib.suppress(Exception):  # already finished, or never started
        page.wait_for_selector(BUSY, timeout=2_000)
    wait_idle(page, timeout_ms)


def wait_page(page: Any, heading: str, timeout_ms: float = 60_000) -> None:
    """Wait for a page whose title is ``heading`` to be fully rendered (run finished)."""
    page.get_by_role("heading", level=1, name=heading).wait_for(timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def open_page(page: Any, nav_title: str, heading: str, timeout_ms: float = 60_000) -> None:
    """Follow the sidebar link titled ``nav_title`` and wait for the page to render."""
    nav = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
    nav.get_by_text(nav_title, exact=True).click()
    wait_page(page, heading, timeout_ms)


def settled(page: Any, server: StreamlitServer, heading: str, timeout_ms: float = STEP_MS) -> None:
    """``wait_page``, failing with what the page and the server said."""
    try:
        wait_page(page, heading, timeout_ms)
    except Exception as exc:
        raise AssertionError(
            f"page {heading!r} did not render: {exc}\nshown errors: {failures(page)}\n"
            f"server log:\n{server.log_tail()}"
        ) from exc


def assert_clean(page: Any, server: StreamlitServer, where: str) -> None:
    """No exception or error box on the page (else fail with them and the server log)."""
    found = failures(page)
    assert not found, f"{where}: error shown: {found}\nserver log:\n{server.log_tail()}"


def failures(page: Any, *, errors: bool = True) -> list[str]:
    """Texts of exception boxes (and of error alerts, when ``errors``) on the page."""
    selectors = ['[data-testid="stException"]']
    if errors:
        selectors.append('[data-testid="stAlertContentError"]')
    found = [text for sel in selectors for text in page.locator(sel).all_inner_texts()]
    return list(dict.fromkeys(found))  # an exception box holds an error alert too


def metric(page: Any, label: str) -> Any:
    """The value element of the metric labelled ``label``."""
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    return box.locator('[data-testid="stMetricValue"]').first


def slider(page: Any, label: str) -> Any:
    """The thumb of the slider labelled ``label``: its (visually hidden) range input, which
    takes the keyboard (ArrowRight, End…) and carries the shown value in ``aria-valuetext``."""
    box = page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True)
    )
    return box.locator('input[type="range"]').first


def sidebar_select(page: Any, label: str) -> Any:
    """The sidebar's selectbox labelled ``label``."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has=page.get_by_role("combobox", name=label)
    )


def sidebar_choice(page: Any, label: str) -> str:
    """The value shown by the sidebar's selectbox ``label``."""
    return sidebar_select(page, label).get_by_role("combobox").input_value()


def sidebar_options(page: Any, label: str) -> list[str]:
    """All choices of the sidebar's selectbox ``label`` (read from its open dropdown)."""
    sidebar_select(page, label).get_by_role("button", name="Open").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    options.first.wait_for(state="detached")
    return texts


def sidebar_choose(page: Any, label: str, value: str, timeout_ms: float = STEP_MS) -> None:
    """Pick ``value`` in the sidebar's selectbox ``label`` and wait for the rerun."""
    sidebar_select(page, label).get_by_role("combobox").click()
    page.get_by_role("option", name=value, exact=True).click()
    wait_idle(page, timeout_ms)


def charts_drawn(page: Any, timeout_ms: float = 30_000) -> None:
    """Wait until no lazy-loading skeleton is left and every Plotly chart has drawn its SVG."""
    page.locator('[data-testid="stSkeleton"]').first.wait_for(state="detached",
                                                                 timeout=timeout_ms)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every(c => c.querySelector('.main-svg'))""",
        timeout=timeout_ms,
    )
