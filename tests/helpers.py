"""Shared test helpers: the small model settings every test trains with, and small data.

Not imported by conftest's fixtures' users implicitly: a test module imports what it uses from
here (``from tests.helpers import FAST, fast_params``).
"""

from __future__ import annotations

from typing import Any

#: Small settings so that every model type fits in a second or two on a tiny folder.
FAST: dict[str, dict[str, Any]] = {
    "robust-thresholds": {"n_resamples": 2, "n_folds": 3},
    "reservoir-transformer": {"epochs": 2, "d_model": 8, "n_heads": 2, "units": 8,
                              "all_units": 8, "batch_size": 64, "variant": "tokens",
                              "threshold_method": "benchmark"},  # fmt: skip
}

#: The small reservoir-transformer the explanation, app and browser tests train (the variant is
#: given beside it): big enough to learn a correction on a 3,000-track demo, a few seconds.
SMALL_RT: dict[str, Any] = {"units": 24, "all_units": 32, "d_model": 16, "n_heads": 2,
                            "n_layers": 1, "batch_size": 256, "epochs": 4, "threads": 1,
                            "threshold_method": "benchmark"}  # fmt: skip


def fast_params(model_type: str, **overrides: Any) -> dict[str, Any]:
    """``FAST``'s settings of ``model_type`` (none for the threshold baselines), updated."""
    return {**FAST.get(model_type, {}), **overrides}


MOOD_TAGS = ("moods-calm", "moods-dark", "moods-happy", "moods-motivational")


def write_mood_folder(folder, n: int = 240, seed: int = 0):  # noqa: ANN001, ANN201
    """A mood-only folder like the real MediaEval ones (``x.csv`` / ``y.csv`` / ``groups.csv``,
    no taxonomy: one class, one category): ``n`` tracks, albums of 4, artists of 12."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.arange(5000, 5000 + n)
    labels = (rng.random((n, len(MOOD_TAGS))) < 0.25).astype(np.uint8)
    scores = np.clip(0.5 * labels + 0.5 * rng.random(labels.shape), 0.001, 0.999).round(6)
    for name, values in (("x", scores), ("y", labels)):
        frame = pd.DataFrame(values, columns=list(MOOD_TAGS))
        frame.insert(0, "ChallengeID", ids)
        frame.to_csv(folder / f"{name}.csv", index=False)
    pd.DataFrame({"ChallengeID": ids, "album_id": ids // 4, "artist_id": ids // 12}).to_csv(
        folder / "groups.csv", index=False)
    return folder
