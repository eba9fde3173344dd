"""The album context's weight at small n (issue 20): every weight scored, gains shrunk by their
standard error, the labels' album effect as the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mewo_core.data import Dataset, Taxonomy
from mewo_core.models import create_model
from mewo_core.models.context import ALPHAS, GroupContext, label_lift


def _catalogue(seed: int, effect: float, n_artists: int = 300) -> Dataset:
    """``n_artists`` artists of two 4-track albums, 8 rare tags (base rate about 0.08): each album
    draws a propensity per tag (``effect`` > 0: album mates share tags); the tagger scores each
    track alone, with noise."""
    rng = np.random.default_rng(seed)
    album = np.repeat(np.arange(2 * n_artists), 4)
    n_tags = 8
    propensity = rng.normal(-2.5, 0.5, n_tags) + effect * rng.normal(0, 1, (2 * n_artists, n_tags))
    Y = (rng.random((album.size, n_tags)) < 1 / (1 + np.exp(-propensity[album]))).astype(np.uint8)
    X = 1 / (1 + np.exp(-(1.5 * Y + rng.normal(0, 1, Y.shape) - 1.5)))
    tags = tuple(f"moods-t{k}" for k in range(n_tags))
    taxonomy = Taxonomy.from_frame(
        pd.DataFrame({"column": tags, "class": "moods", "category": "moods-all"}), tags
    )
    groups = pd.DataFrame({"album_id": album, "artist_id": album // 2})
    return Dataset(X.astype(np.float32), Y, np.arange(album.size), tags, tags, taxonomy, groups,
                   name="catalogue")  # fmt: skip


def test_label_lift_counts_album_mates() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [1, 1], [0, 0]], dtype=bool)
    albums = np.array([0, 0, 1, 1, 2, 2])
    # (track, mate) pairs: tag 0 has 3 tracks with mates, 2 of those mates have it; tag 1: 2, 0
    # base rate weighted by positives: (3 * 3/6 + 2 * 2/6) / 5
    expected = (2 / 5) / ((3 * 0.5 + 2 * (2 / 6)) / 5)
    assert label_lift(labels, albums) == pytest.approx(expected)
    assert np.isnan(label_lift(labels, np.arange(6)))  # no album of two tracks
    shuffled = _catalogue(0, 0.0)
    assert label_lift(shuffled.Y, shuffled.groups["album_id"]) == pytest.approx(1.0, abs=0.2)
    shared = _catalogue(0, 2.0)
    assert label_lift(shared.Y, shared.groups["album_id"]) > 2


def test_album_effect_at_300_artists_switches_the_context_on() -> None:
    on = []
    for seed in range(10):
        ctx = GroupContext("album").fit(_catalogue(seed, effect=2.0))
        assert np.isfinite(ctx.cv_).all() and ctx.cv_.shape == (len(ALPHAS),)  # no early stop
        assert np.isfinite(ctx.gain_se_[1:]).all() and ctx.gain_se_[0] == 0
        assert ctx.z_ == 1.0  # the labels show the album effect
        on.append(ctx.active)
    assert sum(on) >= 9, on


def test_no_album_effect_stays_off_and_is_the_model_without_context() -> None:
    off = []
    for seed in range(10):
        data = _catalogue(seed, effect=0.0)
        ctx = GroupContext("album").fit(data)
        assert ctx.z_ == 1.645  # no album effect in the labels: the strict bound
        off.append(not ctx.active)
        if ctx.active:
            continue
        assert ctx.transform(data) is data
        with_ctx = create_model("robust-thresholds", method="benchmark", context="album").fit(data)
        without = create_model("robust-thresholds", method="benchmark", context="none").fit(data)
        assert not with_ctx.uses_context
        np.testing.assert_array_equal(with_ctx.thresholds_, without.thresholds_)
        np.testing.assert_array_equal(with_ctx.predict(data), without.predict(data))
    assert sum(off) >= 9, off


def test_a_weight_past_a_dip_is_still_found() -> None:
    """Every weight is scored: a curve that dips at 0.25 and peaks at 0.75 (as on real data)
    chooses 0.75 when its shrunk gain is the largest."""
    ctx = GroupContext("album")
    ctx.cv_ = np.array([0.20, 0.195, 0.205, 0.23, 0.21])
    ctx.gain_se_ = np.array([0.0, 0.004, 0.005, 0.006, 0.008])
    ctx.z_ = 1.0
    shrunk = ctx.shrunk_gains()
    assert int(np.argmax(shrunk)) == 3 and shrunk[3] == pytest.approx(0.024)
