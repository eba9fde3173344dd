"""What the commands print: JSON on stdout, progress bars on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models.base import ProgressEvent
    from ..predict.sources import Reader


def print_json(obj: object) -> None:
    """``obj`` as indented JSON on stdout (paths as strings, numpy values as numbers/lists)."""
    json.dump(obj, sys.stdout, indent=1, default=_json_default)
    sys.stdout.write("\n")


def _json_default(obj: object) -> object:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(type(obj).__name__)


class ProgressBars:
    """tqdm progress bars on stderr, one per training stage (nothing when ``quiet``)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bars: dict[str, object] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        bar = self.bars.get(event.stage)
        if bar is None:
            bar = tqdm(total=event.total, desc=event.stage, file=sys.stderr, leave=True)
            self.bars[event.stage] = bar
        bar.n = event.step
        if event.metrics:
            bar.set_postfix({k: f"{v:.4f}" for k, v in event.metrics.items()}, refresh=False)
        bar.refresh()
        if event.step >= event.total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class PredictProgress:
    """``predict``'s tqdm bar on stderr: tracks, tracks/s and time left (the total from Parquet
    metadata, or estimated from the first MiBs of a CSV file); nothing when ``quiet``.
    ``desc`` names the pass (a group-context model's first pass has its own bar)."""

    def __init__(self, quiet: bool, desc: str = "predict") -> None:
        self.quiet = quiet
        self.desc = desc
        self.bar = None

    def __call__(self, rows: int, reader: Reader) -> None:
        if self.quiet:
            return
        total = reader.rows_total or max(rows, reader.rows_estimate)
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=self.desc,
                unit=" tracks",
                unit_scale=True,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        self.bar.total = total
        self.bar.update(rows - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class PartsProgress:
    """``predict --engine dask``'s tqdm bar on stderr: partitions done; nothing when ``quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="predict (dask)", unit=" parts", file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
