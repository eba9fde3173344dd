"""Screenshots of every dashboard page on the default demo catalogue with the shipped demo model.

Run from the checkout: ``.venv/bin/python docs/take_screenshots.py`` (needs Debian's chromium;
the first run generates the 110,000-track catalogue and scores it with the model, ~1 minute).
Writes ``docs/screenshots/<page>.png`` and ``why_view.png`` (the Track inspector's Why view).

``--data FOLDER --suffix moods`` takes them on a data folder instead (e.g. the mood-only
MediaEval folder, with the baseline), as ``<page>-moods.png``; ``--pages Data,Compare`` limits
the pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_harness import (  # noqa: E402
    StreamlitServer,
    charts_drawn,
    failures,
    find_chromium,
    launch_chromium,
    open_page,
    wait_page,
)

PAGES = (
    ("Data", "Data", "data"),
    ("Correlations", "Correlations", "correlations"),
    ("Models", "Models", "models"),
    ("Compare", "Compare with the baseline", "compare"),
    ("Thresholds", "Thresholds", "thresholds"),
    ("Track inspector", "Track inspector", "track_inspector"),
    ("Relations", "Relations", "relations"),  # the shipped model's relation map (minutes once)
)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os
    import urllib.parse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", help="a data folder to show instead of the demo catalogue")
    parser.add_argument("--suffix", default="", help="file name suffix, e.g. moods")
    parser.add_argument("--pages", default="", help="comma-separated page titles (default all)")
    args = parser.parse_args(argv)
    wanted = {t.strip() for t in args.pages.split(",") if t.strip()}
    query = "?intro=off"
    env: dict[str, str] = {}
    if args.data:
        folder = Path(args.data).resolve()
        query += "&data=" + urllib.parse.quote(f"folder:{folder}")
        env["MEWO_DATA_ROOTS"] = os.pathsep.join([str(folder.parent), str(ROOT.parent)])
    tail = f"-{args.suffix}" if args.suffix else ""

    chromium = find_chromium()
    if chromium is None:
        print("no chromium executable found", file=sys.stderr)
        return 1
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with StreamlitServer(env=env, startup_timeout=300) as server, sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + query)  # the first-run introduction hidden
        wait_page(page, "Data", timeout_ms=300_000)
        for title, heading, name in PAGES:
            if wanted and title not in wanted:
                continue
            open_page(page, title, heading, timeout_ms=900_000)
            charts_drawn(page, timeout_ms=120_000)
            problems = failures(page)
            if problems:
                print(f"{title}: {problems}", file=sys.stderr)
                return 1
            page.screenshot(path=str(out / f"{name}{tail}.png"))
            print(f"wrote {out / (name + tail + '.png')}")
            if name == "track_inspector":  # the Why view of the first tag explained
                page.get_by_role("heading", name="Why").scroll_into_view_if_needed()
                page.mouse.move(700, 500)
                page.mouse.wheel(0, 420)  # the path, its words and the waterfall in view
                page.wait_for_timeout(1000)
                charts_drawn(page, timeout_ms=120_000)
                page.screenshot(path=str(out / f"why_view{tail}.png"))
                print(f"wrote {out / f'why_view{tail}.png'}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
