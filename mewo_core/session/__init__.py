"""What the app and the CLI work on: one dataset with one model (:mod:`.session`), and the
app's background jobs (:mod:`.jobs`)."""

from .session import (
    BASELINE,
    BASELINE_LABEL,
    BASELINE_PARTS,
    PARTS,
    SPLITS,
    Session,
    TrackRow,
    cached_scores,
)

__all__ = [
    "BASELINE",
    "BASELINE_LABEL",
    "BASELINE_PARTS",
    "PARTS",
    "SPLITS",
    "Session",
    "TrackRow",
    "cached_scores",
]
