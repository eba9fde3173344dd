"""Dashboard speed: the threshold explorer and AppTest page runs on the demo catalogue.

Usage: ``python benchmarks/bench_app.py [--tracks 110000] [--repeats 5]``. Uses the demo catalogue
in the cache (generated if missing) and the models under ``artifacts/`` (``demo-model`` if there,
else the baseline). AppTest times include AppTest's own overhead (building and reading the
element tree), so they are an upper bound on the server's time for a rerun.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> str:
    return f"median {1000 * statistics.median(samples):.1f} ms (min {1000 * min(samples):.1f})"


def bench_explorer(tracks: int, repeats: int) -> None:
    from mewo_core import demo
    from mewo_core.scoring.explorer import ThresholdExplorer
    from mewo_core.session import Session

    session = Session(demo.load_demo_bundle(demo.ensure_demo_data(tracks, 0)), "demo")
    test = session.data("test")
    model = session.baseline
    scores = model.decision_scores(test)
    t0 = time.perf_counter()
    ex = ThresholdExplorer(scores, test.Y, test.tag_names, test.tag_classes, test.tag_categories)
    build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    overall, full = [], []
    for _ in range(repeats):
        thr = model.thresholds_ + rng.normal(0, 0.02, test.n_tags)
        t0 = time.perf_counter()
        ex.overall(thr)
        overall.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ex.evaluate(thr)
        full.append(time.perf_counter() - t0)
    print(f"explorer on test split {test.n_tracks} x {test.n_tags}: build {build:.2f} s")
    print(f"  overall F1s (incl. samples) for a new threshold vector: {_ms(overall)}")
    print(f"  overall + per-tag/class/category tables: {_ms(full)}")


def bench_pages(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest, app_test

    from pages._legacy import NavigationPagesManager

    # every run through app.py, as the tests do: AppTest would otherwise take the legacy
    # pages-folder path after a switch, without the sidebar, and drop the model chosen there
    app_test.PagesManager = NavigationPagesManager

    pages = ["data", "correlations", "models", "compare", "thresholds", "track_inspector"]
    for i, page in enumerate(pages):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        t0 = time.perf_counter()
        at.run()  # app shell and default page: loads data and model into the process caches
        if i == 0:
            print(f"cold start (data page, loads the demo data): {time.perf_counter() - t0:.2f} s "
                  f"(script CPU {at.session_state['_run_cpu_seconds']:.2f} s)")
        at.switch_page(f"pages/{page}.py")
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        first_cpu = at.session_state["_run_cpu_seconds"]
        assert not at.exception, [e.value for e in at.exception]
        t0 = time.perf_counter()
        at.run()
        again = time.perf_counter() - t0
        print(f"page {page}: first run {first:.2f} s (script CPU {first_cpu:.2f} s), "
              f"rerun {1000 * again:.0f} ms (script CPU "
              f"{1000 * at.session_state['_run_cpu_seconds']:.0f} ms)")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/thresholds.py").run()
    slider = next(s for s in at.slider if s.label == "Global offset")
    for label in ("Global offset", "Threshold of the chosen tag"):
        wall, server, cpu = [], [], []
        for i in range(repeats):
            slider = next(s for s in at.slider if s.label == label)
            span = slider.max - slider.min
            slider.set_value(slider.min + span * (0.45 + 0.02 * i * (-1) ** i))
            t0 = time.perf_counter()
            at.run()
            wall.append(time.perf_counter() - t0)
            server.append(at.session_state["_run_seconds"])
            cpu.append(at.session_state["_run_cpu_seconds"])
            assert not at.exception
        metric = next(m for m in at.metric if m.label == "Weighted F1")
        print(f"thresholds page, '{label}' slider change: script run {_ms(server)}, its CPU "
              f"time {_ms(cpu)}; AppTest wall {_ms(wall)} (Weighted F1 now {metric.value})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=110_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    os.environ["MEWO_DEMO_TRACKS"] = str(args.tracks)
    t0 = time.perf_counter()
    import streamlit  # noqa: F401  (import time is not page time)

    print(f"import streamlit: {time.perf_counter() - t0:.2f} s")
    bench_explorer(args.tracks, args.repeats)
    if not args.skip_pages:
        bench_pages(args.repeats)


if __name__ == "__main__":
    main()
