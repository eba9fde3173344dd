"""Server memory and browser-seen latency of the dashboard on the full demo catalogue.

Usage: ``python benchmarks/bench_sessions.py [--tracks 110000] [--artifacts DIR]
[--model-type global-threshold] [--epochs N] [--sessions 4]``.

Starts ``streamlit run app.py`` (as the browser tests do) on the demo catalogue in the cache
(generated first if missing), with the models in ``--artifacts`` (default: a temporary folder
where a quick ``demo-model`` of ``--model-type`` is trained first; the sidebar picks
``demo-model``). One Chromium session visits every page from the sidebar, then moves the
Thresholds page's global-offset slider; then ``--sessions`` sessions open the Thresholds page at
once. Prints each page's first render as the browser sees it, the slider's press-to-new-metric
time, and the server process's resident memory (VmRSS) and peak (VmHWM) from /proc after each
step. Browser times include Streamlit's slider debounce, the websocket and the drawing, so they
are an upper bound on the server's time (``benchmarks/bench_app.py`` measures that).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import browser_harness as h  # noqa: E402

PAGES = (("Correlations", "Correlations"), ("Models", "Models"),
         ("Compare", "Compare with the baseline"), ("Thresholds", "Thresholds"),
         ("Track inspector", "Track inspector"), ("Data", "Data"))


def memory(pid: int) -> str:
    """The process's current and peak resident memory, from /proc/PID/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024**2  # kB -> GiB
    return f"RSS {fields['VmRSS']:.2f} GiB, peak {fields['VmHWM']:.2f} GiB"


def prepare(tracks: int, artifacts: Path, model_type: str, epochs: int | None) -> None:
    """The demo catalogue in the cache, and a ``demo-model`` in ``artifacts`` if none there."""
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import SplitSpec
    from mewo_core.models import model_class

    t0 = time.perf_counter()
    folder = demo.ensure_demo_data(tracks, 0)
    print(f"demo catalogue {folder} ready in {time.perf_counter() - t0:.1f} s")
    if not (artifacts / "demo-model").exists():
        t0 = time.perf_counter()
        takes_epochs = any(p.name == "epochs" for p in model_class(model_type).params)
        params = {"epochs": epochs} if epochs and takes_epochs else {}
        train_and_save(demo.load_demo_bundle(folder), model_type, params,
                       artifacts / "demo-model", spec=SplitSpec(seed=0))
        print(f"trained a {model_type} demo-model in {time.perf_counter() - t0:.1f} s")


def timed_slider(page, keys: list[str]) -> list[float]:
    """Seconds from each key press on the global offset to the new metric, run finished."""
    from playwright.sync_api import expect

    weighted = h.metric(page, "Weighted F1")
    thumb = h.slider(page, "Global offset")
    out = []
    for key in keys:
        before = weighted.inner_text()
        thumb.focus()
        t0 = time.perf_counter()
        thumb.press(key)
        expect(weighted).not_to_have_text(before, timeout=120_000)
        h.wait_idle(page, 120_000)
        out.append(time.perf_counter() - t0)
    return out


def run(server: h.StreamlitServer, chromium: str, sessions: int) -> None:
    from playwright.sync_api import sync_playwright

    pid = server.process.pid
    print(f"server up: {memory(pid)}")
    with sync_playwright() as playwright:
        browser = h.launch_chromium(playwright, chromium)
        page = browser.new_context(viewport=h.VIEWPORT).new_page()
        t0 = time.perf_counter()
        page.goto(server.url)
        h.wait_page(page, "Data", 600_000)
        print(f"first page (Data, cold server): {time.perf_counter() - t0:.1f} s; {memory(pid)}")
        for title, heading in PAGES:
            t0 = time.perf_counter()
            h.open_page(page, title, heading, 600_000)
            h.charts_drawn(page, 120_000)
            shown = h.failures(page)
            print(f"page {title}: {time.perf_counter() - t0:.1f} s"
                  + (f" ERRORS {shown}" if shown else "") + f"; {memory(pid)}")
        h.open_page(page, "Thresholds", "Thresholds", 600_000)
        print(page.get_by_text(re.compile(r" split \([\d,]+ tracks")).first.inner_text())
        times = timed_slider(page, ["End", "Home"] * 3)  # extremes: every press changes the metric
        print(f"slider press -> new metric in the browser: median "
              f"{1000 * statistics.median(times):.0f} ms (min {1000 * min(times):.0f}, "
              f"max {1000 * max(times):.0f}, n={len(times)}); {memory(pid)}")
        tabs = [browser.new_context(viewport=h.VIEWPORT).new_page() for _ in range(sessions)]
        t0 = time.perf_counter()
        for tab in tabs:
            tab.goto(f"{server.url}/thresholds", wait_until="commit")
        for tab in tabs:
            h.wait_page(tab, "Thresholds", 600_000)
        print(f"{sessions} more sessions on Thresholds at once: all rendered in "
              f"{time.perf_counter() - t0:.1f} s; {memory(pid)}")
        for i, tab in enumerate(tabs):
            timed_slider(tab, ["End" if i % 2 else "Home"])
        print(f"after a slider move in each: {memory(pid)}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=110_000)
    parser.add_argument("--artifacts", type=Path, default=None,
                        help="models folder (default: a temporary one with a quick demo-model)")
    parser.add_argument("--model-type", default="global-threshold")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the quick model, where its type trains by epochs")
    parser.add_argument("--sessions", type=int, default=4)
    args = parser.parse_args()
    chromium = h.find_chromium()
    if chromium is None:
        sys.exit("no Chromium executable found")
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        artifacts = args.artifacts or Path(tmp) / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        prepare(args.tracks, artifacts, args.model_type, args.epochs)
        env = {"MEWO_DEMO_TRACKS": str(args.tracks), "MEWO_ARTIFACTS_DIR": str(artifacts)}
        with h.StreamlitServer(env=env, log_path=Path(tmp) / "streamlit.log") as server:
            try:
                run(server, chromium, args.sessions)
            finally:
                print("server log tail:\n" + server.log_tail(1500))


if __name__ == "__main__":
    main()
