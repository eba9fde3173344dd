"""Shared fixtures: small data folders written on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TAGS = ["genres-rock", "genres-punk", "instruments-guitar", "moods-happy"]
EXTRA = ["category-genres-band"]


@pytest.fixture(autouse=True)
def _fresh_job_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own background-job registry (the app's is one per process)."""
    from mewo_core import jobs

    monkeypatch.setattr(jobs, "_REGISTRY", None)


def write_tiny_folder(folder: Path, n: int = 60, seed: int = 0, with_test: bool = True) -> Path:
    """A small valid data folder: x/y train (and test), taxonomy, groups (albums of 3 tracks)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = n * 2 if with_test else n
    ids = rng.permutation(np.arange(1000, 1000 + total))
    Y = (rng.random((total, len(TAGS))) < 0.3).astype(np.uint8)
    Y[:, 0] |= Y[:, 1]  # punk implies rock
    X = np.clip(0.6 * Y + 0.4 * rng.random((total, len(TAGS))), 0.001, 0.999)
    extra = X[:, :2].mean(axis=1, keepdims=True)
    x = pd.DataFrame(np.hstack([X, extra]).round(6), columns=TAGS + EXTRA)
    x.insert(0, "ChallengeID", ids)
    y = pd.DataFrame(Y, columns=TAGS)
    y.insert(0, "ChallengeID", ids)
    parts = {"train": slice(0, n)} | ({"test": slice(n, total)} if with_test else {})
    for part, rows in parts.items():
        x.iloc[rows].to_csv(folder / f"x_{part}.csv", index=False)
        y.iloc[rows].to_csv(folder / f"y_{part}.csv", index=False)
    pd.DataFrame(
        {"ChallengeID": ids, "album_id": np.arange(total) // 3, "artist_id": np.arange(total) // 9}
    ).to_csv(folder / "groups.csv", index=False)
    pd.DataFrame(
        {
            "column": TAGS + EXTRA,
            "class": ["genres", "genres", "instruments", "moods", "genres"],
            "category": [
                "genres-band",
                "genres-band",
                "instruments-guitars",
                "moods-happy",
                "genres-band",
            ],
        }
    ).to_csv(folder / "taxonomy.csv", index=False)
    return folder


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    return write_tiny_folder(tmp_path / "data")
