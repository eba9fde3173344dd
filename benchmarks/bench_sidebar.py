"""What the sidebar adds to every rerun: the artifact listing and which models fit the data.

Usage: ``python benchmarks/bench_sidebar.py [--tracks 3000] [--artifacts 10]``. Saves one
``global-threshold`` model on the demo catalogue (cache, generated if missing) and copies it
``--artifacts`` times into a temporary folder, then times (1) reading the listing (every
manifest; the app caches it until a manifest changes) and (2) what each rerun does anyway: the
listing's change stamp and :func:`mewo_core.artifacts.artifact_problems` against the data.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from mewo_core import demo
    from mewo_core.artifacts import artifact_problems, list_artifacts
    from mewo_core.artifacts.training import train_and_save

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--artifacts", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    bundle = demo.load_demo_bundle(demo.ensure_demo_data(args.tracks, 0))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train_and_save(bundle, "global-threshold", {}, root / "m0")
        for k in range(1, args.artifacts):
            shutil.copytree(root / "m0", root / f"m{k}")

        def stamp() -> str:
            return ",".join(f"{p.name}:{(p / 'manifest.json').stat().st_mtime_ns}"
                            for p in sorted(root.iterdir()))

        listing, per_run = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            infos = list_artifacts(root)
            listing.append(time.perf_counter() - t)
            t = time.perf_counter()
            stamp()
            artifact_problems(infos, bundle.train)
            per_run.append(time.perf_counter() - t)
    tags = bundle.train.n_tags
    print(f"{args.artifacts} artifacts, {tags} tags: listing (on a change) median "
          f"{1000 * statistics.median(listing):.2f} ms; per rerun (stamp + fit check) median "
          f"{1000 * statistics.median(per_run):.2f} ms")


if __name__ == "__main__":
    main()
