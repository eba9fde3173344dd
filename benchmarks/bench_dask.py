"""``predict --engine dask`` on a 2-worker LocalCluster against the single process, on the same
Parquet partitions (Parquet out), end to end.

Run: ``python benchmarks/bench_dask.py [--tracks 400000] [--parts 8] [--workers 2] [--root DIR]``.
The input is a demo catalogue (``demo-data --format parquet --tracks N``, x_train then x_test)
cut into ``--parts`` Parquet partitions of equal size, generated into ``--root`` (default
``data/bench``, ignored by git) on first use.

Each run is its own process (``getrusage(RUSAGE_CHILDREN)`` of a wrapper gives its CPU seconds,
workers included, and the peak RSS of its largest process). Reported per run: the pass's wall
seconds and tracks/s (model loaded in the parent; imports excluded), the whole process's wall,
peak RSS and CPU µs per track. The Dask runs: ``cold`` starts the LocalCluster and loads the
artifact in each worker inside the pass (what one CLI call pays), ``warm`` is a second pass on
the same cluster (workers started, artifact cached: what each further batch on a long-lived
cluster pays).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _inputs import demo_catalogue, measure_child  # noqa: E402

DEMO_MODEL = ROOT / "artifacts" / "demo-model"


def make_parts(root: Path, n: int, parts: int) -> Path:
    """``root/parts-N-P/part-i.parquet``: N demo tracks in P partitions of equal size."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = root / f"parts-{n}-{parts}"
    if target.is_dir():
        return target
    demo = demo_catalogue(root, n)
    table = pa.concat_tables(
        [pq.read_table(demo / "x_train.parquet"), pq.read_table(demo / "x_test.parquet")]
    )
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        pq.write_table(table.slice(a, b - a), tmp / f"part-{i:03d}.parquet", row_group_size=65536)
    tmp.rename(target)
    return target


def child(kind: str, model_path: str, x: str, out: str, workers: int) -> None:
    """One pass (or two for ``dask``: cold then warm), printed as JSON."""
    import shutil

    results = []
    if kind == "single":
        from mewo_core.artifacts import load_model
        from mewo_core.predict import predict_stream

        model = load_model(model_path)
        start = time.perf_counter()
        s = predict_stream(model, x, out, fmt="parquet", force=True)
        results.append({"run": "single process", "seconds": time.perf_counter() - start,
                        "tracks": s.tracks, "positives": s.positives})  # fmt: skip
    else:
        import logging

        from distributed import LocalCluster

        from mewo_core.predict.dask_engine import predict_dask

        start = time.perf_counter()
        s = predict_dask(model_path, x, out, fmt="parquet", force=True, n_workers=workers)
        results.append({"run": f"dask, {workers} workers, cold (cluster start + artifact load)",
                        "seconds": time.perf_counter() - start, "tracks": s.tracks,
                        "positives": s.positives, "tasks": s.stages["tasks"]})  # fmt: skip
        shutil.rmtree(out)
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster:  # fmt: skip
            address = cluster.scheduler_address
            predict_dask(model_path, x, out, fmt="parquet", force=True, scheduler=address)
            shutil.rmtree(out)  # that pass loaded the artifact in the workers
            start = time.perf_counter()
            s = predict_dask(model_path, x, out, fmt="parquet", force=True, scheduler=address)
            results.append({"run": f"dask, {workers} workers, warm (cluster up, artifact cached)",
                            "seconds": time.perf_counter() - start, "tracks": s.tracks,
                            "positives": s.positives, "tasks": s.stages["tasks"]})  # fmt: skip
        shutil.rmtree(out)
    print("RESULT " + json.dumps(results))


def measure(kind: str, model: str, x: Path, out: Path, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--model", model, "--x", str(x),
           "--out", str(out), "--workers", str(workers)]  # fmt: skip
    info, runs = measure_child(cmd, f"{kind} on {x}")
    info["runs"] = runs
    if out.is_file():
        out.unlink()
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=400_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default=str(DEMO_MODEL))
    parser.add_argument("--root", default=str(ROOT / "data" / "bench"))
    parser.add_argument("--child", choices=["single", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--x", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.x, args.out, args.workers)
        return 0
    root = Path(args.root)
    parts = make_parts(root, args.tracks, args.parts)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.tracks:,} tracks in {args.parts} Parquet partitions, model {args.model}, "
          f"{os.cpu_count()} CPUs; load average (1 min) before the run: {load:.2f}")  # fmt: skip
    single = measure("single", args.model, parts, root / "out-single.parquet", args.workers)
    dask = measure("dask", args.model, parts, root / "out-dask", args.workers)
    base = single["runs"][0]["tracks"] / single["runs"][0]["seconds"]
    print(
        "\n| run | tracks | pass (s) | tracks/s | vs single | task s (sum) | process wall (s) "
        "| peak RSS, largest process (MB) | CPU µs/track (all processes) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for info in (single, dask):
        for r in info["runs"]:
            rate = r["tracks"] / r["seconds"]
            tasks = f"{r['tasks']:.1f}" if "tasks" in r else ""
            print(f"| {r['run']} | {r['tracks']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
                  f"{rate / base:.2f}x | {tasks} | {info['wall']:.1f} | {info['maxrss_mb']:,.0f} "
                  f"| {1e6 * info['cpu'] / r['tracks']:.1f} |")  # fmt: skip
    same = {r["positives"] for info in (single, dask) for r in info["runs"]}
    print(f"\nsame positives in every run: {len(same) == 1}")
    print("The dask process's CPU counts both of its passes and the extra warm-up pass.")
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
