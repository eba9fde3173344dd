"""Streaming ``predict`` end to end (read, validate, decide, write) at growing sizes, beside the
path a user writes by hand (pandas ``read_csv`` -> ``model.predict`` -> ``to_csv``).

Run: ``python benchmarks/bench_predict.py [--sizes 400000,1600000,8000000] [--root data/bench]``
(``--sizes 400000`` for a quick run). Inputs are demo catalogues (``demo-data --format parquet
--tracks N``: x_train and x_test joined into one ``x-N.parquet`` of exactly N rows), generated
into ``--root`` (ignored by git) on first use; 8M tracks take many minutes to generate.

Each measurement runs in its own process (a fresh wrapper around it, so that
``getrusage(RUSAGE_CHILDREN)`` gives that run's peak RSS and CPU seconds alone). Reported:
wall seconds and tracks/s of the pass (model loaded; imports excluded) and of the whole process,
peak RSS, CPU seconds per track, and the pass's stages (read + validate, ids, decide: the
workers' summed time, wait, write). ``--profile`` times the default model's own steps on one
score block (transform, token inputs, network, blend, thresholds).
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


# --- inputs -------------------------------------------------------------------------------------
def make_input(root: Path, n: int) -> Path:
    """``root/x-N.parquet``: N demo tracks (x_train + x_test of ``demo-data --tracks N``)."""
    import pyarrow.parquet as pq

    target = root / f"x-{n}.parquet"
    if target.exists():
        return target
    demo = demo_catalogue(root, n)
    files = [pq.ParquetFile(demo / "x_train.parquet"), pq.ParquetFile(demo / "x_test.parquet")]
    tmp = target.with_name(f".{target.name}.tmp")
    with pq.ParquetWriter(tmp, files[0].schema_arrow) as writer:
        for f in files:
            for i in range(f.num_row_groups):
                writer.write_table(f.read_row_group(i))
    tmp.replace(target)
    return target


def make_csv(parquet: Path) -> Path:
    """The same rows as CSV (pyarrow's writer, streamed by row group)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    target = parquet.with_suffix(".csv")
    if target.exists():
        return target
    tmp = target.with_name(f".{target.name}.tmp")
    f = pq.ParquetFile(parquet)
    options = pacsv.WriteOptions(quoting_style="none")
    with pacsv.CSVWriter(tmp, f.schema_arrow, write_options=options) as writer:
        for i in range(f.num_row_groups):
            writer.write_table(f.read_row_group(i))
    tmp.replace(target)
    return target


# --- one measured run (in a child process) ---------------------------------------------
def child(kind: str, model_path: str, x: str, out: str, chunk_rows: int, workers: int) -> None:
    """Run one pass and print its numbers as JSON (the parent measures RSS and CPU)."""
    import numpy as np

    from mewo_core.artifacts import load_model

    model = load_model(model_path)
    start = time.perf_counter()
    if kind == "stream":
        from mewo_core.predict import predict_stream

        s = predict_stream(model, x, out, chunk_rows=chunk_rows, force=True, workers=workers)
        result = {"tracks": s.tracks, "positives": s.positives, "stages": s.stages}
    else:  # the peer: what a user writes by hand with pandas
        import pandas as pd

        from mewo_core.data import Dataset, Taxonomy

        frame = pd.read_csv(x)
        names = tuple(model.feature_names_)
        data = Dataset(
            X=frame[list(names)].to_numpy(dtype=np.float32),
            Y=None,
            ids=frame["ChallengeID"].to_numpy(),
            feature_names=names,
            tag_names=names,
            taxonomy=Taxonomy.infer(list(names)),
        )
        decisions = model.predict(data)
        table = pd.DataFrame(decisions, columns=list(model.tag_names_))
        table.insert(0, "ChallengeID", data.ids)
        table.to_csv(out, index=False)
        result = {"tracks": len(table), "positives": int(decisions.sum()), "stages": {}}
    result["seconds"] = time.perf_counter() - start
    print("RESULT " + json.dumps(result))


def measure(kind: str, model: str, x: Path, out: Path, chunk_rows: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--model", model, "--x", str(x), "--out",
           str(out), "--chunk-rows", str(chunk_rows), "--workers", str(workers)]  # fmt: skip
    info, result = measure_child(cmd, f"{kind} on {x}")
    info.update(result)
    out.unlink(missing_ok=True)
    return info


def row(label: str, info: dict) -> str:
    n = info["tracks"]
    stages = ", ".join(f"{k} {v:.1f}" for k, v in info["stages"].items())
    return (
        f"| {label} | {n:,} | {info['seconds']:.1f} | {n / info['seconds']:,.0f} | "
        f"{info['wall']:.1f} | {info['maxrss_mb']:,.0f} | {1e6 * info['cpu'] / n:.1f} | {stages} |"
    )


# --- the default model's own steps ------------------------------------------------------
def profile(model_path: str, x: Path, repeat: int = 3) -> None:
    """CPU µs per track (this thread's CPU time: robust to other load) of each step of the
    network's ``_scores`` on one score block."""
    import numpy as np
    import pyarrow.parquet as pq

    from mewo_core.artifacts import load_model
    from mewo_core.data import columns_or_neg_inf
    from mewo_core.scoring.space import sigmoid

    model = load_model(model_path)
    block = model.score_block or 16384
    table = pq.ParquetFile(x).iter_batches(batch_size=block, columns=list(model.feature_names_))
    X = np.column_stack([c.to_numpy() for c in next(table).columns]).astype(np.float32)
    times: dict[str, float] = {}
    for _ in range(repeat):
        t = time.thread_time()
        Z = model.transform_.transform(X)
        times["transform"] = times.get("transform", 0) + time.thread_time() - t
        t = time.thread_time()
        u, z = model._inputs(Z), model._own(Z)
        times["token inputs"] = times.get("token inputs", 0) + time.thread_time() - t
        t = time.thread_time()
        own, corr = model._parts(u, z)
        times["network"] = times.get("network", 0) + time.thread_time() - t
        t = time.thread_time()
        kept, fallback = (
            np.flatnonzero(model.blend_weights_ > 0),
            np.flatnonzero(model.blend_weights_ <= 0),
        )
        scores = np.empty(own.shape)
        scores[:, fallback] = columns_or_neg_inf(X, model.tag_score_index_[fallback])
        scores[:, kept] = sigmoid(own[:, kept] + model.blend_weights_[kept] * corr[:, kept])
        times["blend"] = times.get("blend", 0) + time.thread_time() - t
        t = time.thread_time()
        model.decide(scores)
        times["thresholds"] = times.get("thresholds", 0) + time.thread_time() - t
    total = sum(times.values())
    print(f"\nDefault model, one block of {X.shape[0]:,} tracks (CPU µs per track, one thread):")
    for k, v in times.items():
        print(f"  {k:13s} {1e6 * v / repeat / X.shape[0]:7.2f}  ({100 * v / total:4.1f} %)")
    print(f"  {'total':13s} {1e6 * total / repeat / X.shape[0]:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400000,1600000,8000000")
    parser.add_argument("--root", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--model", default=str(ROOT / "artifacts" / "demo-model"))
    parser.add_argument("--chunk-rows", type=int, default=16_384)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--csv-size", type=int, default=400_000, help="CSV and peer runs (0: none)")
    parser.add_argument("--profile", action="store_true", help="time the model's own steps")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--x", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.x, args.out, args.chunk_rows, args.workers)
        return
    args.root.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    header = (
        "| run | tracks | pass s | tracks/s | process s | peak RSS MB | CPU µs/track "
        "| stages (s) |\n|---|---|---|---|---|---|---|---|"
    )
    lines = []
    for n in sizes:
        x = make_input(args.root, n)
        info = measure(
            "stream", args.model, x, args.root / "out.parquet", args.chunk_rows, args.workers
        )
        lines.append(row(f"Parquet -> Parquet, {n:,}", info))
        print(lines[-1], flush=True)
    if args.csv_size:
        x = make_csv(make_input(args.root, args.csv_size))
        for label, kind, out in (
            ("CSV -> Parquet", "stream", "out.parquet"),
            ("CSV -> CSV", "stream", "out.csv"),
            ("peer: pandas read_csv -> predict -> to_csv", "peer", "out.csv"),
        ):
            info = measure(kind, args.model, x, args.root / out, args.chunk_rows, args.workers)
            lines.append(row(f"{label}, {args.csv_size:,}", info))
            print(lines[-1], flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    print(header)
    print("\n".join(lines))
    if args.profile:
        profile(args.model, make_input(args.root, sizes[0] if sizes else 400_000))


if __name__ == "__main__":
    main()
