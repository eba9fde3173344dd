"""Deterministic synthetic Mewo-like catalogue (v2): structured labels, a flawed tagger's scores.

The real challenge data cannot be shipped, so the product's demo catalogue is simulated, in the
real files' shape: ``ChallengeID``, 248 tag scores (90 genres, 112 instruments, 46 moods), then
41 category scores (18 / 15 / 8), 289 input columns; ``y`` holds the 248 tags.

*Labels.* A fixed "world" (drawn once from :data:`WORLD_SEED`) holds latent music styles; each
style ties a few genres to the instruments and moods that go with them (see
:mod:`mewo_core.demo.thesaurus`) and shuns other genre families. Artists own several albums; an
album follows its artist's style (sometimes another one, sometimes blended with a second), uses a
random part of its styles' tags, tags each class more or less densely, and tracks vary around
their album. Per-tag offsets are solved so that tag frequencies follow a long-tailed curve per
class, about nine tags per track; every track has at least one genre.

*Scores.* A simulated auto-tagger gives one score per tag and per category: the tag's own
evidence plus noise, style-shaped noise (it half-hears other styles), leaked evidence of related
tags (a punk track lifts "rock"), a per-track ambiguity shared by all outputs, and an album bias
shared by the album's tracks (a low-rank production style, partly the artist's, plus a per-output
"fingerprint": the challenge's trap for models validated on random track splits). A category's
output is a noisy soft maximum of its tags' outputs. Each output then gets its own miscalibrated
sigmoid, gain and offset; scores are rounded to :data:`DECIMALS` decimals.

*Same bytes on every machine.* Everything is computed in float64 and cast to float32 once, at
the end. No BLAS is called: the matrix products (style noise, confusion, production style) are
numpy's einsum loop (:func:`_product`) or a scipy sparse product, so no kernel is chosen, and they
are exact besides: both operands are rounded to multiples of 2**-16 first (:func:`_grid`), so
every product and partial sum is exactly representable and no summation order can matter.
Other reductions (sums, soft maxima) are numpy loops in a fixed order. What remains
is numpy's exp / log, within one ulp of exact; a one-ulp difference survives the rounding to five
decimals or a label draw with probability about 1e-11 per value.

*Streams and chunks.* Randomness is drawn per artist (``[seed, 0, artist]``), per album
(``[seed, 0, artist, album]``) and per block of :data:`BLOCK_ARTISTS` artists (``[seed, 1,
block]``: the order of the block's tracks, so neighbouring ids rarely share an album). A chunk is a
run of whole blocks, and every computation is row-wise, so the chunk size never changes a byte
and a catalogue of any size streams in bounded memory (:func:`iter_chunks`). Rows come out in
id order; the album-grouped test split is drawn per album (``test_fraction`` of the albums).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import sparse

from ..data.tables import ID_COLUMN
from .thesaurus import (
    CLASSES,
    GENRE_CATEGORY_WEIGHT,
    GENRE_TO_INSTRUMENTS,
    GENRE_TO_MOODS,
    category_names,
    tag_table,
)

WORLD_SEED = 20261201  # draws the fixed world: styles, tag frequencies, tagger flaws
GENERATOR = "mewo-demo-v2"

# --- catalogue structure ---------------------------------------------------------------
ALBUM_MEAN_TRACKS = 20.0  # album size 1 + negative binomial (dispersion 2)
ARTIST_ALBUM_P = 0.35  # albums per artist ~ geometric(p), mean ~2.9
BLOCK_ARTISTS = 16  # artists whose tracks are shuffled together (about 900 tracks)
N_STYLES = 64  # latent styles; popularity ~ rank^-STYLE_ZIPF
STYLE_ZIPF = 0.8
ALBUM_OWN_STYLE = 0.3  # chance an album leaves its artist's style for another one
ALBUM_BLEND = 0.5  # chance an album blends in a second style, weight U(0.2, 0.6)

# --- labels ------------------------------------------------------------------------------
CORE_BOOST = (5.0, 7.0)  # logit boost of a style's core tags, uniform range
CATEGORY_TILT = 0.8  # logit tilt of whole categories by genre affinity (log scale)
OTHER_GENRE_TILT = -3.0  # logit tilt of the genre categories a style is not rooted in
STYLE_INSTRUMENT_CATEGORIES = (4, (1, 3))  # categories per style, tags per category
STYLE_MOOD_CATEGORIES = (2, (2, 4))
RICHNESS_SD = 0.8  # album's tagging depth per class (logit sd): some libraries tag more
ALBUM_STYLE_KEEP = (0.0, 1.6)  # album's use of each of its styles' tags: boost x U(a, b)
ALBUM_TAG_SD = 0.5  # album's own tag preferences (logit sd)
TRACK_TAG_SD = 1.1  # track variation around its album (logit sd)
# Tag frequency curve per class: (top frequency, bottom frequency, expected tags per track).
FREQUENCY_CURVE = {
    "genres": (0.30, 0.001, 2.0),
    "instruments": (0.32, 0.001, 3.8),
    "moods": (0.28, 0.001, 3.2),
}

# --- tagger ------------------------------------------------------------------------------
DETECT_MEDIAN = 2.4  # separation of a tag's latent score between positives and negatives
DETECT_LOG_SD = 0.35
CONFUSERS = 3  # related tags whose presence lifts a tag's score
CONFUSION_RANGE = (0.1, 0.3)  # share of a related tag's evidence mixed into a tag's output
HEAD_LIFT = 0.15  # share of each sub-tag's evidence mixed into its category's head tag
AMBIGUITY_SD = (0.1, 0.4)  # per-output sensitivity to the track's ambiguity level
PRODUCTION_RANK = 6  # low-rank album production-style bias
PRODUCTION_SD = 0.15  # sd of each loading
ARTIST_SHARE = 0.6  # share of the production style an album inherits from its artist
ALBUM_BIAS_SD = 1.3  # per-output album bias (the album's "fingerprint")
NOISE_SD = 0.6  # independent noise of each tag output
CATEGORY_NOISE_SD = 0.5  # a category's output: soft maximum of its tags' outputs plus noise
MISPERCEPTION_SD = 0.7  # style-shaped noise: the tagger half-hears other styles
# Sigmoid centre in units of detectability: most outputs are squashed near 0 (centre > 1), a
# share are spread, over-firing (centre < 1).
SQUASH_RANGE = (1.1, 2.6)
SPREAD_RANGE = (0.3, 0.8)
SPREAD_SHARE = 0.2
GAIN_RANGE = (0.7, 1.3)
OFFSET_RANGE = (0.0, 0.03)
CATEGORY_GAIN_RANGE = (1.0, 2.5)
DECIMALS = 5
GRID = 2.0**-16  # operands of matrix products are rounded to this grid: exact products

DEFAULT_CHUNK_TRACKS = 10_000  # about 300 MB of working memory


@dataclass(frozen=True)
class Catalogue:
    """A demo catalogue in the challenge's shape (all tracks; ``test`` marks the test split)."""

    x: pd.DataFrame  # ChallengeID then float32 scores: tags, then categories
    y: pd.DataFrame  # ChallengeID then uint8 labels, one column per tag
    taxonomy: pd.DataFrame  # column, class, category for every x feature column
    groups: pd.DataFrame  # ChallengeID, album_id, artist_id
    test: np.ndarray  # bool per track: in the album-grouped test split


@dataclass(frozen=True)
class Chunk:
    """A run of whole blocks of the catalogue, rows in id order."""

    ids: np.ndarray  # int64
    x: np.ndarray  # float32 (n, features)
    y: np.ndarray  # uint8 (n, tags)
    album: np.ndarray  # int64 album id
    artist: np.ndarray  # int64 artist id
    test: np.ndarray  # bool


@dataclass(frozen=True)
class _Tagger:
    detect: np.ndarray  # (F,) F = tags + categories
    confusion: sparse.csr_array  # (T, T) on the grid: lift of tag t's output by u's evidence
    ambiguity: np.ndarray  # (F,)
    production: np.ndarray  # (PRODUCTION_RANK, F) on the grid
    misperception: np.ndarray  # (K, T) on the grid: style-shaped noise loadings
    centre: np.ndarray  # (F,)
    gain: np.ndarray
    offset: np.ndarray


@dataclass(frozen=True)
class _World:
    tags: tuple[str, ...]
    tag_class: np.ndarray  # index into CLASSES
    tag_cat: np.ndarray  # index into categories
    categories: tuple[str, ...]
    cat_class: np.ndarray
    style_weight: np.ndarray  # (K,)
    style_affinity: np.ndarray  # (K, T) logit boosts
    tag_bias: np.ndarray  # (T,) solved for the frequency curve
    tagger: _Tagger

    @property
    def feature_names(self) -> list[str]:
        return list(self.tags) + [f"category-{c}" for c in self.categories]


def _grid(a: np.ndarray) -> np.ndarray:
    """``a`` rounded to multiples of :data:`GRID` (exact in float64 for |a| < 2**36)."""
    return np.rint(np.asarray(a, dtype=np.float64) / GRID) * GRID


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for grid operands without BLAS: numpy's own einsum loop (no kernel choice);
    every product and partial sum is exact, so the summation order cannot matter either."""
    return np.einsum("ik,kj->ij", a, b, optimize=False)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# --- world -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def world() -> _World:
    """The fixed world every catalogue is drawn from (the same for every seed)."""
    rng = np.random.default_rng(WORLD_SEED)
    rows = tag_table()
    cats = category_names()
    cat_index = {c: i for i, (c, _) in enumerate(cats)}
    tags = tuple(r[0] for r in rows)
    tag_class = np.array([CLASSES.index(r[1]) for r in rows])
    tag_cat = np.array([cat_index[r[2]] for r in rows])
    tag_rank = np.array([r[3] for r in rows])
    cat_class = np.array([CLASSES.index(c) for _, c in cats])
    weight = 1.0 / np.arange(1, N_STYLES + 1) ** STYLE_ZIPF
    weight = rng.permutation(weight / weight.sum())
    affinity = np.stack([_style(rng, tag_cat, tag_rank, cat_class) for _ in range(N_STYLES)])
    bias = _solve_tag_bias(rng, affinity, weight, tag_class)
    tagger = _make_tagger(rng, tag_cat, tag_rank, affinity, len(cats))
    names = tuple(c for c, _ in cats)
    return _World(tags, tag_class, tag_cat, names, cat_class, weight, affinity, bias, tagger)


def _pick_tags(
    rng: np.random.Generator, in_cat: np.ndarray, rank: np.ndarray, k: int
) -> np.ndarray:
    """``k`` tags of one category (mask ``in_cat``), common (low-rank) tags more likely."""
    members = np.flatnonzero(in_cat)
    p = 1.0 / (rank[members] + 1.0) ** 0.9
    return rng.choice(members, size=min(k, len(members)), replace=False, p=p / p.sum())


def _style(
    rng: np.random.Generator, tag_cat: np.ndarray, tag_rank: np.ndarray, cat_class: np.ndarray
) -> np.ndarray:
    """Logit boosts of one latent style: a genre family with its instruments and moods."""
    genre_cats = np.flatnonzero(cat_class == 0)
    inst_cats = np.flatnonzero(cat_class == 1)
    mood_cats = np.flatnonzero(cat_class == 2)
    g = rng.choice(len(genre_cats), p=GENRE_CATEGORY_WEIGHT / GENRE_CATEGORY_WEIGHT.sum())
    tilt = np.zeros(len(cat_class))
    tilt[inst_cats] = CATEGORY_TILT * np.log(
        GENRE_TO_INSTRUMENTS[g] / GENRE_TO_INSTRUMENTS[g].mean()
    )
    tilt[mood_cats] = CATEGORY_TILT * np.log(GENRE_TO_MOODS[g] / GENRE_TO_MOODS[g].mean())
    tilt[genre_cats] = OTHER_GENRE_TILT
    tilt[genre_cats[g]] = 0.0
    aff = tilt[tag_cat]
    # 1-3 genres of the family, maybe one crossover genre, then a few tags in a few instrument
    # and mood categories (chosen by the genre's affinities).
    core = [_pick_tags(rng, tag_cat == genre_cats[g], tag_rank, int(rng.integers(1, 4)))]
    if rng.random() < 0.35:
        core.append(_pick_tags(rng, tag_cat == rng.choice(np.delete(genre_cats, g)), tag_rank, 1))
    for cats, prefs, (n_cat, (lo, hi)) in (
        (inst_cats, GENRE_TO_INSTRUMENTS[g], STYLE_INSTRUMENT_CATEGORIES),
        (mood_cats, GENRE_TO_MOODS[g], STYLE_MOOD_CATEGORIES),
    ):
        p = prefs**2 / (prefs**2).sum()
        for c in rng.choice(cats, size=n_cat, replace=False, p=p):
            core.append(_pick_tags(rng, tag_cat == c, tag_rank, int(rng.integers(lo, hi + 1))))
    chosen = np.concatenate(core)
    aff[chosen] += rng.uniform(*CORE_BOOST, size=len(chosen))
    return aff


def _target_frequencies(natural: np.ndarray, tag_class: np.ndarray) -> np.ndarray:
    """Long-tailed target frequency per tag, in the order of each class's natural ranking."""
    target = np.empty(len(natural))
    for c, cls in enumerate(CLASSES):
        top, bottom, total = FREQUENCY_CURVE[cls]
        members = np.flatnonzero(tag_class == c)
        u = np.linspace(0.0, 1.0, len(members))
        lo, hi = 0.05, 20.0  # curve shape exponent, solved so the class sums to `total`
        for _ in range(60):
            mid = np.sqrt(lo * hi)
            curve = top * (bottom / top) ** (u**mid)
            lo, hi = (mid, hi) if curve.sum() < total else (lo, mid)
        order = members[np.argsort(-natural[members], kind="stable")]
        target[order] = curve
    return target


def _solve_tag_bias(
    rng: np.random.Generator,
    affinity: np.ndarray,
    weight: np.ndarray,
    tag_class: np.ndarray,
    n: int = 6000,
) -> np.ndarray:
    """Per-tag logit offsets giving the target frequency curve (bisection on a sample)."""
    n_tags = affinity.shape[1]
    main = np.where(
        rng.random(n) < ALBUM_OWN_STYLE,
        rng.choice(len(weight), size=n, p=weight),
        rng.choice(len(weight), size=n, p=weight),
    )
    second = rng.choice(len(weight), size=n, p=weight)
    blend = np.where(rng.random(n) < ALBUM_BLEND, rng.uniform(0.2, 0.6, n), 0.0)
    keep = rng.uniform(*ALBUM_STYLE_KEEP, size=(n, n_tags))
    richness = rng.normal(0.0, RICHNESS_SD, size=(n, len(CLASSES)))
    own = rng.normal(0.0, ALBUM_TAG_SD, size=(n, n_tags))
    rest = _album_logits(affinity, tag_class, main, second, blend, keep, richness, own)
    rest += rng.normal(0.0, TRACK_TAG_SD, size=rest.shape)
    natural = _sigmoid(rest - 4.0).mean(axis=0)
    target = _target_frequencies(natural, tag_class)
    lo = np.full(n_tags, -20.0)
    hi = np.full(n_tags, 5.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        freq = _sigmoid(rest + mid).mean(axis=0)
        lo = np.where(freq < target, mid, lo)
        hi = np.where(freq < target, hi, mid)
    return (lo + hi) / 2


def _make_tagger(
    rng: np.random.Generator,
    tag_cat: np.ndarray,
    tag_rank: np.ndarray,
    affinity: np.ndarray,
    n_cats: int,
) -> _Tagger:
    """Flaws of the simulated auto-tagger, one set per feature column."""
    n_tags = len(tag_cat)
    n_feat = n_tags + n_cats
    detect = DETECT_MEDIAN * np.exp(rng.normal(0.0, DETECT_LOG_SD, size=n_feat))
    confusion = np.zeros((n_tags, n_tags))
    # Tags that styles put together are the ones a tagger mixes up, plus siblings and heads.
    centred = _grid(affinity - affinity.mean(axis=0))
    together = _product(centred.T, centred)
    together /= np.sqrt(np.outer(np.diag(together), np.diag(together))) + 1e-12
    together += 1e-9 * rng.standard_normal((n_tags, n_tags))
    np.fill_diagonal(together, -np.inf)
    for t in range(n_tags):
        siblings = np.flatnonzero((tag_cat == tag_cat[t]) & (np.arange(n_tags) != t))
        pool = np.concatenate([rng.choice(siblings, size=1), np.argsort(-together[t])[:8]])
        conf = rng.choice(np.unique(pool), size=CONFUSERS, replace=False)
        confusion[t, conf] = rng.uniform(*CONFUSION_RANGE, size=CONFUSERS)
        if tag_rank[t] == 0:  # a category's head tag is lifted by all its sub-tags
            confusion[t, siblings] = np.maximum(confusion[t, siblings], HEAD_LIFT)
    loads = affinity - affinity.mean(axis=0)
    loads *= MISPERCEPTION_SD / (np.sqrt((loads**2).sum(axis=0)) + 1e-9)
    spread = rng.random(n_feat) < SPREAD_SHARE
    centres = np.where(
        spread, rng.uniform(*SPREAD_RANGE, size=n_feat), rng.uniform(*SQUASH_RANGE, size=n_feat)
    )
    return _Tagger(
        detect=detect,
        confusion=sparse.csr_array(_grid(confusion)),
        ambiguity=rng.uniform(*AMBIGUITY_SD, size=n_feat),
        production=_grid(rng.normal(0.0, PRODUCTION_SD, size=(PRODUCTION_RANK, n_feat))),
        misperception=_grid(loads),
        centre=detect * centres,
        gain=np.concatenate(
            [rng.uniform(*GAIN_RANGE, size=n_tags), rng.uniform(*CATEGORY_GAIN_RANGE, size=n_cats)]
        ),
        offset=rng.uniform(*OFFSET_RANGE, size=n_feat),
    )


def _album_logits(
    affinity: np.ndarray,
    tag_class: np.ndarray,
    main: np.ndarray,
    second: np.ndarray,
    blend: np.ndarray,
    keep: np.ndarray,
    richness: np.ndarray,
    own: np.ndarray,
) -> np.ndarray:
    """Tag logits of each album: its styles, its tagging depth per class, its own tastes."""
    logits = affinity[main] * (1 - blend[:, None]) + affinity[second] * blend[:, None]
    logits = np.where(logits > 0, logits * keep, logits)  # an album uses some of its styles' tags
    return logits + richness[:, tag_class] + own


# --- per-album draws ---------------------------------------------------------------------


@dataclass
class _Draws:
    """Every random number of a run of albums, drawn album by album from their own streams."""

    album: list[int]  # album id per album
    artist: list[int]
    style: list[tuple[int, int, float]]  # main style, second style, blend weight
    test: list[bool]
    keep: list[np.ndarray]  # (T,) per album
    richness: list[np.ndarray]  # (classes,)
    own: list[np.ndarray]  # (T,)
    production: list[np.ndarray]  # (R,) album's production style (artist share mixed in)
    fingerprint: list[np.ndarray]  # (F,)
    tracks: list[dict[str, np.ndarray]]  # per-track draws, (n, ...) each

    @classmethod
    def empty(cls) -> _Draws:
        return cls([], [], [], [], [], [], [], [], [], [])


def _draw_album(
    draws: _Draws,
    rng: np.random.Generator,
    w: _World,
    artist_style: int,
    artist_production: np.ndarray,
    album_id: int,
    artist_id: int,
    max_tracks: int,
    test_fraction: float,
) -> int:
    """Draw one album (at most ``max_tracks`` of its tracks) into ``draws``; its track count."""
    n_tags, n_feat = len(w.tags), len(w.feature_names)
    k = len(w.style_weight)
    size = 1 + int(rng.negative_binomial(2, 2.0 / (2.0 + ALBUM_MEAN_TRACKS - 1.0)))
    own_style = rng.random() < ALBUM_OWN_STYLE
    other = int(rng.choice(k, p=w.style_weight))
    second = int(rng.choice(k, p=w.style_weight))
    blend = float(rng.uniform(0.2, 0.6)) if rng.random() < ALBUM_BLEND else 0.0
    draws.style.append((other if own_style else artist_style, second, blend))
    draws.test.append(bool(rng.random() < test_fraction))
    draws.keep.append(rng.uniform(*ALBUM_STYLE_KEEP, size=n_tags))
    draws.richness.append(rng.normal(0.0, RICHNESS_SD, size=len(CLASSES)))
    draws.own.append(rng.normal(0.0, ALBUM_TAG_SD, size=n_tags))
    production = rng.standard_normal(PRODUCTION_RANK)
    draws.production.append(
        np.sqrt(ARTIST_SHARE) * artist_production + np.sqrt(1 - ARTIST_SHARE) * production
    )
    draws.fingerprint.append(rng.normal(0.0, ALBUM_BIAS_SD, size=n_feat))
    n_cats = n_feat - n_tags
    per_track = {
        "tag_noise": rng.standard_normal((size, n_tags)),
        "label_u": rng.random((size, n_tags)),
        "noise": rng.standard_normal((size, n_tags)),
        "misperception": rng.standard_normal((size, k)),
        "category_noise": rng.standard_normal((size, n_cats)),
        "ambiguity": rng.standard_normal(size),
    }
    n = min(size, max_tracks)
    draws.tracks.append({name: a[:n] for name, a in per_track.items()})
    draws.album.append(album_id)
    draws.artist.append(artist_id)
    return n


def _draw_block(
    seed: int, block: int, w: _World, max_tracks: int, test_fraction: float
) -> tuple[_Draws, np.ndarray]:
    """The albums of block ``block`` (at most ``max_tracks`` tracks) and their tracks' order."""
    draws = _Draws.empty()
    n_total = 0
    for artist in range(block * BLOCK_ARTISTS, (block + 1) * BLOCK_ARTISTS):
        rng = np.random.default_rng([seed, 0, artist])
        n_albums = int(rng.geometric(ARTIST_ALBUM_P))
        style = int(rng.choice(len(w.style_weight), p=w.style_weight))
        production = rng.standard_normal(PRODUCTION_RANK)
        for j in range(n_albums):
            if n_total >= max_tracks:
                break
            album_rng = np.random.default_rng([seed, 0, artist, j])
            album_id = artist * 1000 + j  # an artist has fewer than 1000 albums (geometric)
            n_total += _draw_album(
                draws, album_rng, w, style, production, album_id, artist,
                max_tracks - n_total, test_fraction,
            )  # fmt: skip
        if n_total >= max_tracks:
            break
    order = np.random.default_rng([seed, 1, block]).permutation(n_total)
    return draws, order


# --- chunk math (row-wise, exact products) -----------------------------------------------


def _compute(w: _World, d: _Draws) -> tuple[np.ndarray, np.ndarray]:
    """Scores (float32) and labels (uint8) of the tracks of ``d``, in draw order."""
    tagger = w.tagger
    n_tags = len(w.tags)
    main, second, blend = (np.array(v) for v in zip(*d.style, strict=True))
    logits = _album_logits(
        w.style_affinity, w.tag_class, main, second, blend,
        np.stack(d.keep), np.stack(d.richness), np.stack(d.own),
    ) + w.tag_bias  # fmt: skip
    sizes = np.array([len(t["ambiguity"]) for t in d.tracks])
    album = np.repeat(np.arange(len(sizes)), sizes)
    tr = {name: np.concatenate([t[name] for t in d.tracks]) for name in d.tracks[0]}
    track = logits[album] + TRACK_TAG_SD * tr["tag_noise"]
    y = (tr["label_u"] < _sigmoid(track)).astype(np.uint8)
    genres = np.flatnonzero(w.tag_class == 0)
    none = np.flatnonzero(y[:, genres].sum(axis=1) == 0)
    y[none, genres[np.argmax(track[np.ix_(none, genres)], axis=1)]] = 1
    # The tagger's latent outputs; matrix products only on grid operands (exact).
    z = y * tagger.detect[:n_tags] + NOISE_SD * tr["noise"]
    z += _product(_grid(tr["misperception"]), tagger.misperception)
    z = _grid(z)
    z += (tagger.confusion @ z.T).T  # related tags' evidence leaks in (sparse: no BLAS)
    cats = np.stack(
        [np.logaddexp.reduce(z[:, w.tag_cat == c], axis=1) for c in range(len(w.categories))],
        axis=1,
    )
    cats += CATEGORY_NOISE_SD * tr["category_noise"]
    z = np.concatenate([z, cats], axis=1)
    z += tr["ambiguity"][:, None] * tagger.ambiguity
    bias = _product(_grid(np.stack(d.production)), tagger.production)
    bias += np.stack(d.fingerprint)
    z += bias[album]
    z -= tagger.centre
    scores = tagger.gain * _sigmoid(z) + tagger.offset
    return np.round(scores, DECIMALS).astype(np.float32), y


def iter_chunks(
    n_tracks: int,
    seed: int = 0,
    *,
    test_fraction: float = 0.2,
    chunk_tracks: int = DEFAULT_CHUNK_TRACKS,
) -> Iterator[Chunk]:
    """The catalogue of ``n_tracks`` tracks as chunks of whole blocks, in id order.

    The bytes do not depend on ``chunk_tracks`` (nor on the machine); memory grows with it.
    """
    if n_tracks < 1:
        raise ValueError("n_tracks must be at least 1")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be strictly between 0 and 1")
    w = world()
    done, block = 0, 0
    while done < n_tracks:
        parts: list[tuple[_Draws, np.ndarray]] = []
        n_chunk = 0
        while done + n_chunk < n_tracks and (not parts or n_chunk < chunk_tracks):
            draws, order = _draw_block(seed, block, w, n_tracks - done - n_chunk, test_fraction)
            parts.append((draws, order + n_chunk))
            n_chunk += len(order)
            block += 1
        merged = _Draws.empty()
        for draws, _ in parts:
            for field in merged.__dataclass_fields__:
                getattr(merged, field).extend(getattr(draws, field))
        x, y = _compute(w, merged)
        sizes = np.array([len(t["ambiguity"]) for t in merged.tracks])
        rows = np.concatenate([order for _, order in parts])
        yield Chunk(
            ids=np.arange(done, done + n_chunk, dtype=np.int64),
            x=x[rows],
            y=y[rows],
            album=np.repeat(np.array(merged.album, dtype=np.int64), sizes)[rows],
            artist=np.repeat(np.array(merged.artist, dtype=np.int64), sizes)[rows],
            test=np.repeat(np.array(merged.test), sizes)[rows],
        )
        done += n_chunk


def generate_catalogue(
    n_tracks: int = 110_000, seed: int = 0, *, test_fraction: float = 0.2
) -> Catalogue:
    """Simulate a whole catalogue in memory; the same arguments give the same catalogue."""
    chunks = list(iter_chunks(n_tracks, seed, test_fraction=test_fraction))
    w = world()
    ids = np.concatenate([c.ids for c in chunks])
    x = pd.DataFrame(np.concatenate([c.x for c in chunks]), columns=w.feature_names)
    x.insert(0, ID_COLUMN, ids)
    y = pd.DataFrame(np.concatenate([c.y for c in chunks]), columns=list(w.tags))
    y.insert(0, ID_COLUMN, ids)
    groups = pd.DataFrame(
        {
            ID_COLUMN: ids,
            "album_id": np.concatenate([c.album for c in chunks]),
            "artist_id": np.concatenate([c.artist for c in chunks]),
        }
    )
    test = np.concatenate([c.test for c in chunks])
    return Catalogue(x=x, y=y, taxonomy=taxonomy_frame(), groups=groups, test=test)


def taxonomy_frame() -> pd.DataFrame:
    """Class and category of every feature column; a category column's category is itself."""
    w = world()
    classes = [CLASSES[c] for c in w.tag_class] + [CLASSES[c] for c in w.cat_class]
    categories = [w.categories[c] for c in w.tag_cat] + list(w.categories)
    return pd.DataFrame({"column": w.feature_names, "class": classes, "category": categories})
