"""Thresholds page: browser-seen rerun time of each slider kind (global, class, category, tag).

Usage: ``python benchmarks/bench_thresholds_page.py [--tracks 110000] [--presses 10]
[--artifacts DIR] [--split validation]``.

Starts ``streamlit run app.py`` (as the browser tests do) on the demo catalogue in the cache
(generated if missing; 110,000 tracks gives a validation split of about 17,400) with the models
in ``--artifacts`` (default: the repository's ``artifacts/``, whose ``demo-model`` the sidebar
picks). One Chromium session opens the Thresholds page from the sidebar; for each slider kind it
focuses the slider and presses ArrowRight ``--presses`` times, one press at a time. Each time is
from the key press to the end of the rerun it caused, both read in the page from a
MutationObserver on the app's script state (``data-test-script-state``), so it covers the
slider's commit, the websocket, the server's script run and the drawing of the new elements.
Prints the median, p90 and max per kind, and the server-side share is in ``bench_app.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import browser_harness as h  # noqa: E402

WATCH = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__mewoStates = [];
  new MutationObserver(() => window.__mewoStates.push(
      [performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# done: a run started after t0 and the last state seen is "notRunning"; returns its time
DONE = """(t0) => {
  const s = window.__mewoStates.filter(([t]) => t >= t0);
  if (!s.length || !s.some(([, v]) => v !== 'notRunning')) return null;
  const [t, v] = s[s.length - 1];
  return v === 'notRunning' ? t - t0 : null;
}"""


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def timed_presses(page: Any, thumb: Any, presses: int, key: str = "ArrowRight") -> list[float]:
    """Milliseconds from each key press on ``thumb`` to the end of the rerun it caused."""
    out = []
    thumb.focus()
    for _ in range(presses):
        h.wait_idle(page, 120_000)
        time.sleep(0.3)  # nothing left in flight
        t0 = page.evaluate("performance.now()")
        page.keyboard.press(key)
        handle = page.wait_for_function(DONE, arg=t0, timeout=120_000, polling=20)
        out.append(float(handle.json_value()))
    return out


def expander_thumb(page: Any, title: str) -> Any:
    """The first slider thumb inside the expander titled ``title`` (opened first)."""
    box = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    box.locator("summary").click()
    thumb = box.locator('input[type="range"]').first
    thumb.wait_for(timeout=60_000)
    return thumb


def run(server: h.StreamlitServer, chromium: str, presses: int, split: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = h.launch_chromium(playwright, chromium)
        page = browser.new_context(viewport=h.VIEWPORT).new_page()
        page.goto(server.url)
        h.wait_page(page, "Data", 900_000)
        if split != "validation":
            page.locator('[data-testid="stSidebar"]').get_by_text(split, exact=True).click()
            h.after_click(page, 900_000)
        t0 = time.perf_counter()
        h.open_page(page, "Thresholds", "Thresholds", 900_000)
        h.charts_drawn(page, 120_000)
        print(f"Thresholds page first render: {time.perf_counter() - t0:.1f} s")
        caption = page.get_by_text(" split (").first.inner_text()
        print(caption)
        page.evaluate(WATCH)
        kinds = {
            "global": lambda: h.slider(page, "Global offset"),
            "class": lambda: expander_thumb(page, "Offsets per class"),
            "category": lambda: expander_thumb(page, "Offsets per category"),
            "tag": lambda: h.slider(page, "Threshold of the chosen tag"),
        }
        for kind, thumb in kinds.items():
            times = timed_presses(page, thumb(), presses)
            shown = h.failures(page)
            print(f"{kind:>8}: median {statistics.median(times):.0f} ms, p90 "
                  f"{percentile(times, 0.9):.0f} ms, max {max(times):.0f} ms (n={len(times)})"
                  + (f" ERRORS {shown}" if shown else ""))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=110_000)
    parser.add_argument("--presses", type=int, default=10)
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts",
                        help="models folder (its demo-model is the sidebar's default)")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    args = parser.parse_args()
    chromium = h.find_chromium()
    if chromium is None:
        sys.exit("no Chromium executable found")
    from mewo_core import demo

    t0 = time.perf_counter()
    folder = demo.ensure_demo_data(args.tracks, 0)
    print(f"demo catalogue {folder} ready in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory(prefix="bench-thresholds-") as tmp:
        env = {"MEWO_DEMO_TRACKS": str(args.tracks), "MEWO_ARTIFACTS_DIR": str(args.artifacts)}
        with h.StreamlitServer(env=env, log_path=Path(tmp) / "streamlit.log",
                               startup_timeout=300) as server:
            try:
                run(server, chromium, args.presses, args.split)
            finally:
                print("server log tail:\n" + server.log_tail(800))


if __name__ == "__main__":
    main()
