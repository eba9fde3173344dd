"""What the album context costs: streamed ``predict`` of the default model with a group context
(two passes: group sums, then blend and decide) beside the same model without one, and the
fixed-point group means beside pandas' ``groupby().transform("mean")``.

Run: ``python benchmarks/bench_context.py [--tracks 400000] [--root data/bench]``. Input: the
``x-N.parquet`` of ``bench_predict.py`` and its demo catalogue's ``groups.parquet`` (made on
first use). The demo has no album effect (its context is off: weight 0), so for timing only the
shipped model gets a context of weight 0.5 by hand; decisions are not scored here.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_predict import make_input  # noqa: E402

from mewo_core.artifacts import load_model  # noqa: E402
from mewo_core.models.context import GroupContext, forward, group_means  # noqa: E402
from mewo_core.predict import predict_stream  # noqa: E402


def with_context(model, logit_columns: np.ndarray, alpha: float = 0.5):  # noqa: ANN001, ANN201
    """A copy of ``model`` with an album context of weight ``alpha`` (timing only)."""
    ctx = GroupContext("album", (0.0, alpha))
    ctx.alpha_, ctx.cv_, ctx.logit_columns_ = alpha, np.array([np.nan, np.nan]), logit_columns
    out = copy.copy(model)
    out.context_ = ctx
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=400_000)
    parser.add_argument("--root", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import pyarrow.parquet as pq

    x = make_input(args.root, args.tracks)
    groups = args.root / f"demo-{args.tracks}" / "groups.parquet"
    plain = load_model(ROOT / "artifacts" / "demo-model")
    sample = pq.ParquetFile(x).read_row_group(0).to_pandas()[list(plain.feature_names_)]
    logit_columns = ((sample.min() >= 0) & (sample.max() <= 1)).to_numpy()
    ctx_model = with_context(plain, logit_columns)
    n_albums = len(pq.read_table(groups, columns=["album_id"]).column(0).unique())
    print(f"{args.tracks:,} tracks, {n_albums:,} albums, {len(plain.feature_names_)} features")
    best: dict[str, tuple[float, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            for name, model, extra in (
                ("no context (one pass)", plain, {}),
                ("album context (two passes)", ctx_model, {"groups": groups}),
            ):
                out = Path(tmp) / f"{r}-{len(extra)}.parquet"
                t0 = time.perf_counter()
                summary = predict_stream(model, x, out, **extra)
                seconds = time.perf_counter() - t0
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, summary.stages)
                out.unlink()
    print("\n| run | seconds | tracks/s | first pass (group sums) s |\n|---|---|---|---|")
    for name, (seconds, stages) in best.items():
        print(f"| {name} | {seconds:.1f} | {args.tracks / seconds:,.0f} | "
              f"{stages.get('context', 0.0):.1f} |")
    ratio = best["album context (two passes)"][0] / best["no context (one pass)"][0]
    print(f"\nthe context run takes {ratio:.2f}x the time of the one-pass run "
          f"(best of {args.repeat} each)")

    import pandas as pd

    n = min(args.tracks, 110_000)
    first = next(pq.ParquetFile(x).iter_batches(batch_size=n)).to_pandas()
    f = forward(first[list(plain.feature_names_)].to_numpy(np.float32), logit_columns)
    album = pq.read_table(groups).to_pandas().set_index("ChallengeID")["album_id"]
    labels = album.loc[first["ChallengeID"].to_numpy()].to_numpy()
    timings = {}
    for name, run in (
        ("group_means (fixed-point, exact)", lambda: group_means(f, labels)),
        ("pandas groupby().transform('mean')",
         lambda: pd.DataFrame(f).groupby(labels).transform("mean").to_numpy()),
    ):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        timings[name] = min(times)
    print(f"\ngroup means of {n:,} x {f.shape[1]} (best of 3):")
    for name, seconds in timings.items():
        print(f"- {name}: {seconds * 1000:.0f} ms")
    ours, peer = timings.values()
    print(f"- ratio: {peer / ours:.2f}x pandas' speed")


if __name__ == "__main__":
    main()
