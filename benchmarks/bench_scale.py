"""The dashboard at scale: every page's first visit, a Thresholds slider rerun and the server's
memory, on the demo catalogue of ``--tracks`` tracks, for this checkout and (optionally) another.

Usage::

    MEWO_CACHE_DIR=/tmp/scale python benchmarks/bench_scale.py --tracks 200000 \\
        [--peer /path/to/a/checkout/of/main] [--profile] [--malloc server|system]

Each checkout runs in a fresh process (``--worker``) with its own ``sys.path``, one after the
other (never at once: the machine has 2 cores), on the same cached catalogue (generated first if
missing, once); the scores cache (``$MEWO_CACHE_DIR/scores``) is emptied before each run, so the
first visit of a page that needs the model's scores pays for the scoring, as on a fresh server,
and the catalogue's files are read once before each run (in the page cache for every checkout).
The pages run in Streamlit's AppTest (the server's script run, no browser): the visit order is
the issue's (Data first, then Correlations, Compare, Thresholds, Track inspector, Models), back to
back or with ``--think`` seconds of reading between pages (work in the background goes on). Times
are AppTest wall-clock (script run plus AppTest's element tree), an upper bound on the server's
time; ``script`` is the app's own measured run (``st.session_state["_run_seconds"]``). Memory is
the worker's resident set (VmRSS) after each step and its peak (VmHWM): AppTest runs the server
in the worker, so that is the server's memory. ``--profile`` adds, per page, the functions with
the most cumulative time (cProfile) and the top allocation sites (tracemalloc: slower).
Workers run with the allocator settings ``make run`` gives the server (``serve.py``),
``--malloc system`` with the environment as it is (to measure what those settings change).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PAGES = ("data", "correlations", "compare", "thresholds", "track_inspector", "models")
MODEL = "demo-model"  # the sidebar's default: the shipped reservoir-transformer


def _mem() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in GiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024**2
    return fields["VmRSS"], fields["VmHWM"]


def _emit(**row: object) -> None:
    print(json.dumps(row), flush=True)


def _profiled(run, profile: bool):  # noqa: ANN001, ANN202 - a thunk and its stats
    if not profile:
        t0 = time.perf_counter()
        run()
        return time.perf_counter() - t0, None
    import cProfile
    import io
    import pstats
    import tracemalloc

    from streamlit.runtime.scriptrunner import script_runner

    prof = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script

    def profiled(self, rerun_data):  # noqa: ANN001, ANN202 - AppTest runs pages in this thread
        prof.enable()
        try:
            return original(self, rerun_data)
        finally:
            prof.disable()

    script_runner.ScriptRunner._run_script = profiled
    tracemalloc.start(8)
    t0 = time.perf_counter()
    run()
    script_runner.ScriptRunner._run_script = original
    took = time.perf_counter() - t0
    snap = tracemalloc.take_snapshot()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(r"mewo_core|wt-scale/pages|main-wt/pages", 30)
    top = [
        f"{st.size / 2**20:.0f} MiB {'/'.join(st.traceback[0].filename.split('/')[-2:])}:"
        f"{st.traceback[0].lineno}"
        for st in snap.statistics("lineno")[:8]
    ]
    return took, {"cprofile": out.getvalue()[-6000:], "alloc_top": top,
                  "traced_peak_gib": traced_peak / 2**30}


def _check_model(at, step: str) -> None:  # noqa: ANN001 - an AppTest
    """The step ran with the model the figures are for (the sidebar's choice kept)."""
    model = [w.value for w in at.sidebar.selectbox if w.label == "Model"]
    assert model == [MODEL], f"{step} ran with model {model}, not {MODEL}"


def worker(root: Path, tracks: int, repeats: int, profile: bool, think: float = 0.0) -> None:
    """Visit every page of the app in ``root`` once and print one JSON line per step, reading
    each page for ``think`` seconds before the next (background work goes on meanwhile)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    os.environ["MEWO_DEMO_TRACKS"] = str(tracks)
    import streamlit  # noqa: F401 - import time is not page time
    from streamlit.testing.v1 import AppTest, app_test

    # as the tests do: every run goes through app.py (its sidebar keeps the model chosen), not
    # Streamlit's legacy pages-folder path, which AppTest would take after a switch_page
    from pages._legacy import NavigationPagesManager

    app_test.PagesManager = NavigationPagesManager
    at = AppTest.from_file(str(root / "app.py"), default_timeout=1800)
    for i, page in enumerate(PAGES):
        if i:
            time.sleep(think)
            at.switch_page(f"pages/{page}.py")
        took, stats = _profiled(at.run, profile)
        assert not at.exception, [e.value for e in at.exception]
        _check_model(at, page)
        t0 = time.perf_counter()
        at.run()
        again = time.perf_counter() - t0
        rss, peak = _mem()
        _emit(step=page, first_s=round(took, 2),
              rerun_s=round(again, 2), rss_gib=round(rss, 2), peak_gib=round(peak, 2),
              **({"profile": stats} if stats else {}))
    # a second browser session, as a new tab: everything should come from the shared caches
    other = AppTest.from_file(str(root / "app.py"), default_timeout=1800)
    other.run()
    other.switch_page("pages/thresholds.py")
    t0 = time.perf_counter()
    other.run()
    _check_model(other, "thresholds (second session)")
    _emit(step="thresholds (second session)", first_s=round(time.perf_counter() - t0, 2))
    at.switch_page("pages/thresholds.py").run()
    wall, server = [], []
    for i in range(repeats):
        slider = next(s for s in at.slider if s.label == "Global offset")
        span = slider.max - slider.min
        slider.set_value(slider.min + span * (0.45 + 0.02 * i * (-1) ** i))
        t0 = time.perf_counter()
        at.run()
        wall.append(time.perf_counter() - t0)
        server.append(at.session_state["_run_seconds"])
        assert not at.exception
        _check_model(at, "slider")
    rss, peak = _mem()
    wall.sort()
    server.sort()
    _emit(step="slider", first_s=round(wall[len(wall) // 2], 3),
          script_s=round(server[len(server) // 2], 3), rss_gib=round(rss, 2),
          peak_gib=round(peak, 2))


def warm(folder: Path) -> float:
    """Read the catalogue's files once (seconds taken), so that every checkout starts with them
    in the page cache: the machine may evict them between runs (a first read from disk would
    favour whichever checkout runs second)."""
    t0 = time.perf_counter()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                while fh.read(1 << 24):
                    pass
    return time.perf_counter() - t0


def run_checkout(label: str, root: Path, tracks: int, repeats: int, profile: bool,
                 think: float = 0.0, malloc: str = "server") -> list[dict]:
    from mewo_core import demo  # this checkout's cache layout (the same on main)
    from serve import server_env

    scores = demo.cache_root() / "scores"
    shutil.rmtree(scores, ignore_errors=True)
    took = warm(demo.ensure_demo_data(tracks, 0))
    print(f"catalogue read into the page cache in {took:.1f} s")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--root", str(root),
           "--tracks", str(tracks), "--repeats", str(repeats), "--think", str(think)]
    cmd += ["--profile"] if profile else []
    t0 = time.perf_counter()
    # the worker is the server (AppTest runs the app in it): the same allocator settings for
    # every checkout, those of ``make run`` unless ``--malloc system``
    env = server_env() if malloc == "server" else dict(os.environ)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode:
        print(f"{label}: worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    print(f"\n== {label} ({root}), {tracks:,} tracks, {time.perf_counter() - t0:.0f} s in all, "
          f"allocator: {malloc}")
    for r in rows:
        mem = (f"  RSS {r['rss_gib']:.2f} GiB, peak {r['peak_gib']:.2f} GiB"
               if "rss_gib" in r else "")
        script = f" (script run {r['script_s']:.3f} s)" if "script_s" in r else ""
        again = f", rerun {r['rerun_s']:.2f} s" if "rerun_s" in r else ""
        print(f"{r['step']:>28}: {r['first_s']:7.2f} s {script}{again}{mem}")
        if "profile" in r:
            peak = r["profile"]["traced_peak_gib"]
            print(f"   traced peak {peak:.2f} GiB; top allocations:")
            for line in r["profile"]["alloc_top"]:
                print("     ", line)
            print(r["profile"]["cprofile"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer", type=Path, help="another checkout (e.g. a worktree of main)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a user reads each page before the next (default 0: none)")
    parser.add_argument("--peer-only", action="store_true", help="run the peer checkout only")
    parser.add_argument("--malloc", choices=("server", "system"), default="server",
                        help="the workers' allocator settings: the server's (serve.py, "
                        "what make run uses) or the environment's as it is")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, default=HERE, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.root.resolve(), args.tracks, args.repeats, args.profile, args.think)
        return
    sys.path.insert(0, str(HERE))
    from mewo_core import demo

    t0 = time.perf_counter()
    folder = demo.ensure_demo_data(args.tracks, 0)
    print(f"catalogue {folder} ready in {time.perf_counter() - t0:.1f} s")
    results = {}
    if args.peer:
        results["peer"] = run_checkout("peer", args.peer.resolve(), args.tracks, args.repeats,
                                       args.profile, args.think, args.malloc)
    if args.peer_only:
        return
    results["this"] = run_checkout("this checkout", HERE, args.tracks, args.repeats, args.profile,
                                   args.think, args.malloc)
    if args.peer:
        print("\nratio this / peer (first visit):")
        peer = {r["step"]: r for r in results["peer"]}
        for r in results["this"]:
            if r["step"] in peer and peer[r["step"]]["first_s"] > 0:
                print(f"{r['step']:>28}: {r['first_s'] / peer[r['step']]['first_s']:.2f}")


if __name__ == "__main__":
    main()
