"""What-if: edit a track's raw input scores and recompute every decision and explanation."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import MewoError
from .path import Explainer, TagExplanation


def parse_edits(items: Sequence[str], feature_names: Sequence[str]) -> dict[str, float]:
    """``["FEATURE=VALUE", ...]`` as a dict; a malformed item is a :class:`MewoError`."""
    known = set(feature_names)
    edits: dict[str, float] = {}
    for item in items:
        name, sep, text = item.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise MewoError(f"--set {item!r}: expected FEATURE=VALUE (a raw score)")
        if name not in known:
            close = difflib.get_close_matches(name, list(feature_names), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise MewoError(f"--set: unknown feature {name!r}{hint}")
        try:
            value = float(text)
        except ValueError:
            raise MewoError(f"--set {item!r}: {text!r} is not a number") from None
        if not np.isfinite(value):
            raise MewoError(f"--set {item!r}: the value must be finite")
        edits[name] = value
    return edits


def apply_edits(
    x: np.ndarray, feature_names: Sequence[str], edits: Mapping[str, float]
) -> np.ndarray:
    """A copy of raw scores ``x`` with ``edits`` (feature name -> raw score) applied."""
    out = np.array(x, dtype=np.float64)
    pos = {f: i for i, f in enumerate(feature_names)}
    for name, value in edits.items():
        if name not in pos:
            raise MewoError(f"unknown feature {name!r}")
        if not np.isfinite(value):
            raise MewoError(f"{name}: the value must be finite")
        out[pos[name]] = float(value)
    return out


def what_if(
    explainer: Explainer,
    x: np.ndarray,
    edits: Mapping[str, float],
    tags: Sequence[int] | None = None,
    album: np.ndarray | None = None,
    mate_ids: Sequence[int] = (),
) -> tuple[np.ndarray, np.ndarray, list[TagExplanation]]:
    """(edited scores, decisions after the edit, explanations of ``tags``) for ``edits``
    (``album``: the raw rows a group-context model blends the track with; ``mate_ids``: their
    ChallengeIDs). The album mates' decisions an edit flips: :func:`.decision.mate_flips`."""
    edited = apply_edits(x, explainer.feature_names, edits)
    _, decisions, _ = explainer.decisions(edited, album)
    return edited, decisions, explainer.explain(edited, tags, album, mate_ids)
