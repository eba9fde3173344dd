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
Prints the median, p90 and max per kind; ``--server-only`` instead times the script runs
alone under AppTest (wall and CPU time), the server's share of those times.
"""

from __future__ import annotations

import argparse
import os
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
# done: a run started after t0 and the last state seen is "notRunning"; returns the times
# from t0 to the run's start and to its end
DONE = """(t0) => {
  const s = window.__mewoStates.filter(([t]) => t >= t0);
  const start = s.find(([, v]) => v !== 'notRunning');
  if (!start) return null;
  const [t, v] = s[s.length - 1];
  return v === 'notRunning' ? [start[0] - t0, t - t0] : null;
}"""


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _busy_ms(cdp: Any) -> dict[str, float]:
    """The page's renderer main-thread time so far (Chrome's Performance metrics), in ms."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: 1000 * metrics[k] for k in ("TaskDuration", "ScriptDuration", "LayoutDuration")}


def timed_presses(page: Any, cdp: Any, thumb: Any, presses: int,
                  key: str = "ArrowRight") -> list[tuple[float, float, float]]:
    """Per key press on ``thumb``: milliseconds to the start and to the end of the rerun it
    caused, and the renderer's main-thread busy time meanwhile."""
    out = []
    thumb.focus()
    for _ in range(presses):
        h.wait_idle(page, 120_000)
        time.sleep(0.3)  # nothing left in flight
        busy = _busy_ms(cdp)
        t0 = page.evaluate("performance.now()")
        page.keyboard.press(key)
        handle = page.wait_for_function(DONE, arg=t0, timeout=120_000, polling=20)
        start, end = handle.json_value()
        task = _busy_ms(cdp)["TaskDuration"] - busy["TaskDuration"]
        out.append((float(start), float(end), task))
    return out


def expander_thumb(page: Any, title: str) -> Any:
    """The first slider thumb inside the expander titled ``title`` (opened first: a rerun
    draws its sliders)."""
    box = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    box.locator("summary").click()
    h.wait_idle(page, 120_000)
    thumb = box.locator('input[type="range"]').first
    thumb.wait_for(timeout=60_000)
    return thumb


def run(server: h.StreamlitServer, chromium: str, presses: int, split: str,
        chosen: list[str]) -> None:
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
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        kinds = {
            "global": lambda: h.slider(page, "Global offset"),
            "class": lambda: expander_thumb(page, "Offsets per class"),
            "category": lambda: expander_thumb(page, "Offsets per category"),
            "tag": lambda: h.slider(page, "Threshold of the chosen tag"),
        }
        for kind, thumb in kinds.items():
            if kind not in chosen:
                continue
            triples = timed_presses(page, cdp, thumb(), presses)
            starts, times, tasks = (list(column) for column in zip(*triples, strict=True))
            shown = h.failures(page)
            print(f"{kind:>8}: press to idle median {statistics.median(times):.0f} ms, p90 "
                  f"{percentile(times, 0.9):.0f} ms, max {max(times):.0f} ms (n={len(times)}); "
                  f"press to run start median {statistics.median(starts):.0f} ms; browser "
                  f"main-thread busy median {statistics.median(tasks):.0f} ms"
                  + (f" ERRORS {shown}" if shown else ""))
        browser.close()


def server_times(presses: int) -> None:
    """The server's share: the script run of each slider kind under AppTest (wall and CPU time
    of the run, as ``app.py`` records them in ``_run_seconds`` / ``_run_cpu_seconds``)."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.testing.v1 import AppTest

    from pages._legacy import NavigationPagesManager

    app_test_module.PagesManager = NavigationPagesManager  # every run through app.py
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.run()
    at.switch_page("pages/thresholds.py").run()
    prefix = next(s.key for s in at.slider if s.label == "Global offset").removesuffix(":global")
    for kind in ("class", "cat"):  # the offsets' expanders open (their sliders drawn)
        at.session_state[f"{prefix}:open:{kind}"] = True
    at.run()
    labels = {"global": "Global offset",
              "class": next(s.label for s in at.slider if s.label.startswith("Class ")),
              "category": next(s.label for s in at.slider if s.label.startswith("Category ")),
              "tag": "Threshold of the chosen tag"}
    for kind, label in labels.items():
        wall, cpu = [], []
        for i in range(presses):
            slider = next(s for s in at.slider if s.label == label)
            slider.set_value(min(slider.max, slider.value + (i + 1) * slider.step)).run()
            assert not at.exception, [e.value for e in at.exception]
            wall.append(1000 * at.session_state["_run_seconds"])
            cpu.append(1000 * at.session_state["_run_cpu_seconds"])
        print(f"{kind:>8} script run: median {statistics.median(wall):.0f} ms, p90 "
              f"{percentile(wall, 0.9):.0f} ms; its CPU time median "
              f"{statistics.median(cpu):.0f} ms, p90 {percentile(cpu, 0.9):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=110_000)
    parser.add_argument("--presses", type=int, default=10)
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts",
                        help="models folder (its demo-model is the sidebar's default)")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--kinds", default="global,class,category,tag",
                        help="slider kinds to time, comma-separated")
    parser.add_argument("--server-only", action="store_true",
                        help="only the script runs under AppTest, no browser")
    args = parser.parse_args()
    if args.server_only:
        os.environ.update(MEWO_DEMO_TRACKS=str(args.tracks),
                          MEWO_ARTIFACTS_DIR=str(args.artifacts))
        server_times(args.presses)
        return
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
                run(server, chromium, args.presses, args.split, args.kinds.split(","))
            finally:
                print("server log tail:\n" + server.log_tail(800))


if __name__ == "__main__":
    main()
