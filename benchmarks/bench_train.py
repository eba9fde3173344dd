"""Training time and peak memory of the default reservoir-transformer, and its predict time.

Trains the default config exactly as ``python -m mewo_core train`` does (grouped validation split
of the train files: 88,000 tracks of the default 110,000-track demo catalogue go to fit +
validation), then times ``predict`` on all 110,000 tracks. Peak memory is the process's maximum
resident set size (``getrusage``; also measurable with ``/usr/bin/time -v``).

    .venv/bin/python benchmarks/bench_train.py [--demo data/demo] [--variant V] [--epochs N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.data import SplitSpec, load_folder  # noqa: E402
from mewo_core.models import create_model  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(folder: Path, params: dict) -> None:
    t0 = time.perf_counter()
    bundle = load_folder(folder)
    parts = SplitSpec().split(bundle)
    fit, validation, test = parts.fit, parts.validation, parts.test
    loaded = time.perf_counter()
    print(
        f"loaded {bundle.train.n_tracks + test.n_tracks} tracks in {loaded - t0:.1f}s; "
        f"fit {fit.n_tracks}, validation {validation.n_tracks}; RSS {peak_rss_mb():.0f} MB"
    )
    model = create_model("reservoir-transformer", **params)
    model.fit(fit, validation)
    trained = time.perf_counter()
    print(
        f"train ({model.variant}, {len(model.history_.loss)} epochs): {trained - loaded:.1f}s; "
        f"peak RSS so far {peak_rss_mb():.0f} MB; kept {len(model.kept_tags)}/{fit.n_tags}"
    )
    everything = replace(
        bundle.train,
        X=np.vstack([bundle.train.X, test.X]),
        Y=None,
        ids=np.concatenate([bundle.train.ids, test.ids]),
        groups=None,
    )
    start = time.perf_counter()
    decisions = model.predict(everything)
    took = time.perf_counter() - start
    print(f"predict {decisions.shape[0]} tracks: {took:.1f}s")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", type=Path, help="demo data folder (default: generate 110,000)")
    ap.add_argument("--variant")
    ap.add_argument("--epochs", type=int)
    args = ap.parse_args(argv)
    params = {k: v for k, v in (("variant", args.variant), ("epochs", args.epochs)) if v}
    if args.demo is not None:
        run(args.demo, params)
        return 0
    from mewo_core.demo import write_demo_data

    with tempfile.TemporaryDirectory() as tmp:
        write_demo_data(tmp)
        run(Path(tmp), params)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
