"""Label errors injected into the demo catalogue at known places (``demo-data --label-noise``).

Editors' slips: a tag missing from a positive (``missing``, default 5 % of the positives) and
a spurious tag on a negative (``spurious``, default 0.5 % of the negatives). They are drawn by
album: each album's tracks (in id order) get uniform draws from the album's own stream
``[seed, NOISE_STREAM, album]``, so the places depend on the album alone, never on the chunk
size. The scores stay those of the true labels (the tagger heard the music, not the labels).
Off by default: without it no draw is made and the catalogue's bytes do not change.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..data.tables import ID_COLUMN
from .generator import Chunk

__all__ = ["NOISE_FILE", "LabelNoise", "parse_label_noise"]

NOISE_STREAM = 5  # the generator uses streams 0 (artists, albums) and 1 (blocks)
NOISE_FILE = "label_noise.csv"
DEFAULT = "0.05,0.005"


@dataclass(frozen=True)
class LabelNoise:
    """Rates of missing tags (of the positives) and spurious tags (of the negatives)."""

    missing: float = 0.05
    spurious: float = 0.005

    def __post_init__(self) -> None:
        for name in ("missing", "spurious"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"the {name} rate must be in [0, 1), got {value}")

    def apply(self, chunk: Chunk, seed: int, tags: tuple[str, ...]) -> tuple[Chunk, pd.DataFrame]:
        """The chunk with its labels flipped at the drawn places, and those places (one row
        per flipped label: ChallengeID, tag, true label, written label)."""
        y = chunk.y
        u = np.empty(y.shape, dtype=np.float64)
        albums, inverse = np.unique(chunk.album, return_inverse=True)
        by_album = np.lexsort((chunk.ids, inverse))  # rows grouped by album, ids ascending
        starts = np.searchsorted(inverse[by_album], np.arange(albums.size + 1))
        for a, album in enumerate(albums):
            rows = by_album[starts[a] : starts[a + 1]]
            rng = np.random.default_rng([seed, NOISE_STREAM, int(album)])
            u[rows] = rng.random((rows.size, y.shape[1]))
        flip = np.where(y == 1, u < self.missing, u < self.spurious)
        noisy = np.where(flip, 1 - y, y).astype(np.uint8)
        r, t = np.nonzero(flip)
        places = pd.DataFrame(
            {
                ID_COLUMN: chunk.ids[r],
                "tag": np.asarray(tags, dtype=object)[t],
                "true_label": y[r, t].astype(np.uint8),
                "label": noisy[r, t],
            }
        )
        return replace(chunk, y=noisy), places


def parse_label_noise(text: str) -> LabelNoise:
    """``MISSING,SPURIOUS`` rates, e.g. ``0.05,0.005`` (argparse type)."""
    try:
        missing, spurious = (float(v) for v in text.split(","))
        return LabelNoise(missing, spurious)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--label-noise takes MISSING,SPURIOUS rates in [0, 1), e.g. {DEFAULT} ({exc})"
        ) from None
