"""Who was tuned on what, and how sure a delta is: a model vs the baseline on validation and test.

Usage: ``python benchmarks/compare_honesty.py --data DIR --model ARTIFACT [--replicates 1000]``
(without ``--data``: the demo catalogue from the cache, generated if missing). Prints, per split,
the model and the baseline tuned on all of train (the benchmark) and on the fit part (train minus
validation), each with its paired group-bootstrap interval of the delta; then the bootstrap's
time on the validation split: with the split's groups and with one group per track.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from mewo_core import demo
    from mewo_core.artifacts import read_manifest
    from mewo_core.compare.evaluation import bootstrap_groups
    from mewo_core.data import load_folder
    from mewo_core.scoring import bootstrap as bs
    from mewo_core.session import Session

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data")
    p.add_argument("--model", default=str(ROOT / "artifacts" / "demo-model"))
    p.add_argument("--replicates", type=int, default=1000)
    args = p.parse_args()
    bundle = load_folder(args.data) if args.data else demo.load_demo_bundle(
        demo.ensure_demo_data())  # fmt: skip
    session = Session(bundle, "bench", model_path=args.model, manifest=read_manifest(args.model),
                      model_name=Path(args.model).name)  # fmt: skip
    for split in ("validation", "test"):
        for part in ("train", "fit"):
            c = session.comparison(split, baseline_part=part, replicates=args.replicates)
            print(f"\n{split}, baseline tuned on {part}:")
            print("\n".join("  " + line for line in c.captions()))
            o = c.overall
            for row in o.itertuples():
                mark = "clear" if row.clear else "contains 0"
                print(f"  {row.average:8s} model {row.model:.4f}  baseline {row.baseline:.4f}  "
                      f"delta {row.delta:+.4f} [{row.delta_low:+.4f}, {row.delta_high:+.4f}] "
                      f"({mark})")  # fmt: skip
            tags = c.per_tag
            print(f"  tags with a clear delta: {int(tags['clear'].sum())} of {len(tags)}; "
                  f"tags with < 20 positives: {int((tags['support'] < 20).sum())}")  # fmt: skip
    data = session.data("validation")
    labels = data.require_labels()
    a, b = session.decisions("model", "validation"), session.baseline_decisions("validation")
    groups, column = bootstrap_groups(data, session.spec.group_column)
    for name, g in ((column or "track", groups), ("track", None)):
        t0 = time.perf_counter()
        counts = bs.group_counts(labels, [a, b], g)
        t1 = time.perf_counter()
        bs.bootstrap(counts, args.replicates)
        t2 = time.perf_counter()
        print(f"\nbootstrap on validation ({data.n_tracks:,} tracks x {data.n_tags} tags), "
              f"groups {name} ({counts.n_groups:,}): counts {t1 - t0:.3f} s, "
              f"{args.replicates} replicates {t2 - t1:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
