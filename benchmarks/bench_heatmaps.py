"""Correlation heatmaps at full size: build time and payload of every tag kept and named.

    MEWO_DEMO_TRACKS=3000 python benchmarks/bench_heatmaps.py

For the score correlation and the log2 lift (minimum co-occurrence 10) of the demo catalogue's
train part, one class block and the whole 248 x 248 matrix: the time to mask, scale and build
the labelled figure and write its JSON (what the browser receives), and its size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mewo_core import demo, plots
from mewo_core.data import correlations  # noqa: E402


def main() -> int:
    train = demo.load_demo_bundle(demo.ensure_demo_data()).train
    args = (train.tag_names, train.tag_classes, train.tag_categories)
    lift = correlations.lift(train.require_labels(), *args)
    corr = correlations.correlation(train.tag_scores(), *args, "score correlation")
    views = (("scores", corr.with_counts(lift), 0), ("log2 lift", lift.log2(), 10))
    blocks = (("genres", "genres"), ("instruments", "instruments"),
              (correlations.ALL, correlations.ALL))  # fmt: skip
    print(f"{train.n_tracks:,} train tracks, {train.n_tags} tags")
    for name, matrix, min_count in views:
        for rows, cols in blocks:
            start = time.perf_counter()
            block = matrix.at_least(min_count).block(rows, cols)
            values = block.masked()
            limit = correlations.color_limit(values)
            fig = plots.heatmap(values, block.row_names, block.col_names, block.row_categories,
                                block.col_categories, name, zmin=-limit, zmax=limit,
                                counts=block.counts, labelled=True, boundaries=True,
                                max_cells=plots.TAG_HEATMAP_CELLS)
            size = len(fig.to_json())
            print(f"{name:9s} {rows} x {cols} ({len(block.row_names)} x {len(block.col_names)}):"
                  f" {time.perf_counter() - start:.3f} s, {size / 1e6:.2f} MB,"
                  f" colour limit ±{limit:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
