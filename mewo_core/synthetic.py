"""Deterministic synthetic Mewo-like catalogue: labels with structure, scores from a flawed tagger.

The real challenge data cannot be shipped, so the product's demo catalogue is simulated.

*Labels.* A fixed "world" (drawn once from :data:`WORLD_SEED`) holds latent music styles; each
style ties a few genres to the instruments and moods that go with them (see
:mod:`mewo_core.synthetic_thesaurus`) and shuns other genre families. Artists own several
albums; an album follows its artist's style (sometimes another one, sometimes blended with a
second), uses a random part of its styles' tags, tags each class more or less densely, and
tracks vary around their album. Per-tag offsets are solved so that tag frequencies follow a
long-tailed curve per class (about 0.1 % to 30 % of tracks), about nine tags per track;
every track has at least one genre.

*Scores.* A simulated auto-tagger gives one score per tag and per category. Its latent output
for a tag is the tag's own evidence (detectability varies per tag) plus noise, style-shaped
noise (it half-hears other styles), leaked evidence of related tags (a punk track lifts
"rock"), a per-track ambiguity shared by all outputs, and an album bias shared by all tracks
of an album: a low-rank production style plus a per-output "fingerprint". A category's
output is a noisy soft maximum of its tags' outputs. Each output then gets its own
miscalibrated sigmoid (mostly squashed near 0, some spread), gain and offset.

Calibration (``benchmarks/calibrate_synthetic.py``, default catalogue, album-grouped test):
per-tag F1-optimal thresholds reach weighted F1 about 0.47, a global 0.5 threshold about
0.33; a small MLP reading all scores gains about +0.04 on album-grouped splits (ambiguity,
production style, leaks and co-occurrence are learnable) but looks about three times better
on random track splits, where it recognises album fingerprints (the challenge's trap).
The constants below were fixed by that calibration; the seed only changes the tracks drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .synthetic_thesaurus import (
    CLASSES,
    GENRE_CATEGORY_WEIGHT,
    GENRE_TO_INSTRUMENTS,
    GENRE_TO_MOODS,
    category_names,
    tag_table,
)

ID_COLUMN = "ChallengeID"
WORLD_SEED = 20210611  # draws the fixed world: styles, tag frequencies, tagger flaws

# --- catalogue structure ---------------------------------------------------------------
ALBUM_MEAN_TRACKS = 20.0  # album size 1 + negative binomial (dispersion 2)
ARTIST_ALBUM_P = 0.35  # albums per artist ~ geometric(p), mean ~2.9
N_STYLES = 48  # latent styles; popularity ~ rank^-STYLE_ZIPF
STYLE_ZIPF = 0.8
ALBUM_OWN_STYLE = 0.3  # chance an album leaves its artist's style for another one
ALBUM_BLEND = 0.5  # chance an album blends in a second style, weight U(0.2, 0.6)


# --- labels ------------------------------------------------------------------------------
CORE_BOOST = (5.0, 7.0)  # logit boost of a style's core tags, uniform range
CATEGORY_TILT = 0.8  # logit tilt of whole categories by genre affinity (log scale)
OTHER_GENRE_TILT = -3.0  # logit tilt of the genre categories a style is not rooted in
RICHNESS_SD = 0.8  # album's tagging depth per class (logit sd): some libraries tag more
ALBUM_STYLE_KEEP = (0.0, 1.6)  # album's use of each of its styles' tags: boost x U(a, b)
ALBUM_TAG_SD = 0.5  # album's own tag preferences (logit sd)
TRACK_TAG_SD = 1.1  # track variation around its album (logit sd)
# Tag frequency curve per class: (top frequency, bottom frequency, expected tags per track).
FREQUENCY_CURVE = {
    "genres": (0.30, 0.001, 2.1),
    "instruments": (0.32, 0.001, 3.3),
    "moods": (0.28, 0.001, 3.6),
}

# --- tagger ------------------------------------------------------------------------------
DETECT_MEDIAN = 2.2  # separation of a tag's latent score between positives and negatives
DETECT_LOG_SD = 0.35
CONFUSERS = 3  # related tags whose presence lifts a tag's score
CONFUSION_RANGE = (0.1, 0.3)  # share of a related tag's evidence mixed into a tag's output
HEAD_LIFT = 0.15  # share of each sub-tag's evidence mixed into its category's head tag
AMBIGUITY_SD = (0.1, 0.4)  # per-tag sensitivity to the track's ambiguity level
PRODUCTION_RANK = 6  # low-rank album production-style bias
PRODUCTION_SD = 0.15  # sd of each loading
ARTIST_SHARE = 0.6  # share of the production style an album inherits from its artist
ALBUM_BIAS_SD = 1.3  # per-tag album bias (the album's "fingerprint")
NOISE_SD = 0.6  # independent noise of each tag output
CATEGORY_NOISE_SD = 0.5  # a category's output: soft maximum of its tags' outputs plus noise
# Style-shaped noise: the tagger half-hears other styles, lifting their tags together.
MISPERCEPTION_SD = 0.7
# Sigmoid centre in units of detectability: most tags are squashed near 0 (centre > 1), a
# share are spread, over-firing (centre < 1).
SQUASH_RANGE = (1.1, 2.6)
SPREAD_RANGE = (0.3, 0.8)
SPREAD_SHARE = 0.2
GAIN_RANGE = (0.7, 1.3)
OFFSET_RANGE = (0.0, 0.03)
CATEGORY_GAIN_RANGE = (1.0, 2.5)
DECIMALS = 5


@dataclass(frozen=True)
class Catalogue:
    """A demo catalogue in the challenge's shape."""

    x: pd.DataFrame  # ChallengeID then float32 scores: tags, then categories
    y: pd.DataFrame  # ChallengeID then uint8 labels, one column per tag
    taxonomy: pd.DataFrame  # column, class, category for every x feature column
    groups: pd.DataFrame  # ChallengeID, album_id, artist_id


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


@dataclass(frozen=True)
class _Tagger:
    detect: np.ndarray  # (F,) F = tags + categories
    confusion: np.ndarray  # (T, T) lift of tag t's score by tag u's presence
    ambiguity: np.ndarray  # (F,)
    production: np.ndarray  # (PRODUCTION_RANK, F)
    misperception: np.ndarray  # (K, T) style-shaped noise loadings
    centre: np.ndarray  # (F,)
    gain: np.ndarray
    offset: np.ndarray


# --- world -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _world() -> _World:
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
    affinity = np.stack(
        [_style(rng, tag_cat, tag_rank, cat_class) for _ in range(N_STYLES)]
    ).astype(np.float32)
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
    # 1-3 genres of the family, maybe one crossover genre, then 1-3 tags in each of 3
    # instrument categories and 2-4 in each of 2 mood categories (by genre affinity).
    core = [_pick_tags(rng, tag_cat == genre_cats[g], tag_rank, int(rng.integers(1, 4)))]
    if rng.random() < 0.35:
        core.append(_pick_tags(rng, tag_cat == rng.choice(np.delete(genre_cats, g)), tag_rank, 1))
    for cats, prefs, n_cat, (lo, hi) in (
        (inst_cats, GENRE_TO_INSTRUMENTS[g], 3, (1, 3)),
        (mood_cats, GENRE_TO_MOODS[g], 2, (2, 4)),
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
    s1, s2, blend = _draw_album_styles(rng, n, rng.choice(len(weight), size=n, p=weight), weight)
    rest = _album_logits(rng, affinity, tag_class, s1, s2, blend, np.zeros(affinity.shape[1]))
    rest += rng.normal(0.0, TRACK_TAG_SD, size=rest.shape).astype(np.float32)
    natural = _sigmoid(rest - 4.0).mean(axis=0)
    target = _target_frequencies(natural, tag_class)
    lo = np.full(len(target), -20.0)
    hi = np.full(len(target), 5.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        freq = _sigmoid(rest + mid.astype(np.float32)).mean(axis=0)
        lo = np.where(freq < target, mid, lo)
        hi = np.where(freq < target, hi, mid)
    return ((lo + hi) / 2).astype(np.float32)


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
    centred = affinity - affinity.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=0) + 1e-6
    together = centred.T @ centred + 1e-9 * rng.standard_normal((n_tags, n_tags))
    np.fill_diagonal(together, -np.inf)
    for t in range(n_tags):
        siblings = np.flatnonzero((tag_cat == tag_cat[t]) & (np.arange(n_tags) != t))
        pool = np.concatenate([rng.choice(siblings, size=1), np.argsort(-together[t])[:8]])
        conf = rng.choice(np.unique(pool), size=CONFUSERS, replace=False)
        confusion[t, conf] = rng.uniform(*CONFUSION_RANGE, size=CONFUSERS)
        if tag_rank[t] == 0:  # a category's head tag is lifted by all its sub-tags
            confusion[t, siblings] = np.maximum(confusion[t, siblings], HEAD_LIFT)
    return _Tagger(
        detect=detect,
        confusion=confusion.astype(np.float32),
        ambiguity=rng.uniform(*AMBIGUITY_SD, size=n_feat),
        production=rng.normal(0.0, PRODUCTION_SD, size=(PRODUCTION_RANK, n_feat)),
        misperception=_misperception(affinity),
        centre=detect * _centres(rng, n_feat),
        gain=np.concatenate(
            [rng.uniform(*GAIN_RANGE, size=n_tags), rng.uniform(*CATEGORY_GAIN_RANGE, size=n_cats)]
        ),
        offset=rng.uniform(*OFFSET_RANGE, size=n_feat),
    )


def _misperception(affinity: np.ndarray) -> np.ndarray:
    """Tag-noise loadings along the styles' tag profiles, MISPERCEPTION_SD per tag."""
    loads = affinity - affinity.mean(axis=0)
    loads *= MISPERCEPTION_SD / (np.linalg.norm(loads, axis=0) + 1e-9)
    return loads.astype(np.float32)


def _centres(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sigmoid centres (in units of detectability): mostly squashed, some spread."""
    spread = rng.random(n) < SPREAD_SHARE
    return np.where(spread, rng.uniform(*SPREAD_RANGE, size=n), rng.uniform(*SQUASH_RANGE, size=n))


# --- labels ------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _draw_album_styles(
    rng: np.random.Generator, n_albums: int, artist_style: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Main style, second style and blend weight of each album."""
    own = rng.random(n_albums) < ALBUM_OWN_STYLE
    main = np.where(own, rng.choice(len(weight), size=n_albums, p=weight), artist_style)
    second = rng.choice(len(weight), size=n_albums, p=weight)
    blend = np.where(rng.random(n_albums) < ALBUM_BLEND, rng.uniform(0.2, 0.6, n_albums), 0.0)
    return main, second, blend


def _album_logits(
    rng: np.random.Generator,
    affinity: np.ndarray,
    tag_class: np.ndarray,
    main: np.ndarray,
    second: np.ndarray,
    blend: np.ndarray,
    bias: np.ndarray,
) -> np.ndarray:
    """Tag logits of each album: its styles, its tagging depth per class, its own tastes."""
    logits = affinity[main] * (1 - blend[:, None]) + affinity[second] * blend[:, None]
    keep = rng.uniform(*ALBUM_STYLE_KEEP, size=logits.shape)
    logits = np.where(logits > 0, logits * keep, logits)  # an album uses some of its styles' tags
    logits += rng.normal(0.0, RICHNESS_SD, size=(len(main), len(CLASSES)))[:, tag_class]
    logits += rng.normal(0.0, ALBUM_TAG_SD, size=logits.shape)
    return (logits + bias).astype(np.float32)


def _structure(rng: np.random.Generator, n_tracks: int) -> tuple[np.ndarray, np.ndarray]:
    """Album of each track and artist of each album (albums in generation order)."""
    mean_extra = ALBUM_MEAN_TRACKS - 1.0
    sizes = 1 + rng.negative_binomial(2, 2.0 / (2.0 + mean_extra), size=n_tracks // 4 + 8)
    n_albums = int(np.searchsorted(np.cumsum(sizes), n_tracks)) + 1
    album_of_track = np.repeat(np.arange(n_albums), sizes[:n_albums])[:n_tracks]
    per_artist = rng.geometric(ARTIST_ALBUM_P, size=n_albums)
    n_artists = int(np.searchsorted(np.cumsum(per_artist), n_albums)) + 1
    artist_of_album = np.repeat(np.arange(n_artists), per_artist[:n_artists])[:n_albums]
    return album_of_track, artist_of_album


def _labels(
    rng: np.random.Generator, world: _World, album: np.ndarray, artist_of_album: np.ndarray
) -> np.ndarray:
    """0/1 labels (uint8, tracks x tags); every track gets at least one genre."""
    n_artists = int(artist_of_album.max()) + 1
    artist_style = rng.choice(N_STYLES, size=n_artists, p=world.style_weight)
    main, second, blend = _draw_album_styles(
        rng, len(artist_of_album), artist_style[artist_of_album], world.style_weight
    )
    logits = _album_logits(
        rng, world.style_affinity, world.tag_class, main, second, blend, world.tag_bias
    )
    track = logits[album]
    track += rng.normal(0.0, TRACK_TAG_SD, size=track.shape).astype(np.float32)
    y = (rng.random(track.shape, dtype=np.float32) < _sigmoid(track)).astype(np.uint8)
    genres = np.flatnonzero(world.tag_class == 0)
    none = np.flatnonzero(y[:, genres].sum(axis=1) == 0)
    y[none, genres[np.argmax(track[np.ix_(none, genres)], axis=1)]] = 1
    return y


# --- scores ------------------------------------------------------------------------------


def _scores(
    rng: np.random.Generator,
    world: _World,
    y: np.ndarray,
    album: np.ndarray,
    artist_of_album: np.ndarray,
) -> np.ndarray:
    """The simulated tagger's scores (float32, tracks x (tags + categories))."""
    tagger = world.tagger
    n_tags, n_cats = len(world.tags), len(world.categories)
    z = y * tagger.detect[:n_tags].astype(np.float32)
    z += rng.normal(0.0, NOISE_SD, size=z.shape).astype(np.float32)
    z += rng.standard_normal((len(z), N_STYLES), dtype=np.float32) @ tagger.misperception
    z += z @ tagger.confusion.T  # related tags' evidence, signal and noise, leaks in
    cats = np.stack(
        [np.logaddexp.reduce(z[:, world.tag_cat == c], axis=1) for c in range(n_cats)], axis=1
    )
    cats += rng.normal(0.0, CATEGORY_NOISE_SD, size=cats.shape).astype(np.float32)
    z = np.concatenate([z, cats], axis=1)
    del cats
    z += np.outer(rng.standard_normal(len(y)), tagger.ambiguity).astype(np.float32)
    z += _album_bias(rng, tagger, artist_of_album)[album]
    z -= tagger.centre.astype(np.float32)
    scores = tagger.gain * _sigmoid(z) + tagger.offset
    return np.round(scores, DECIMALS).astype(np.float32)


def _album_bias(
    rng: np.random.Generator, tagger: _Tagger, artist_of_album: np.ndarray
) -> np.ndarray:
    """Score bias of each album: a production style (partly the artist's) plus a fingerprint."""
    n_albums = len(artist_of_album)
    artist = rng.standard_normal((int(artist_of_album.max()) + 1, PRODUCTION_RANK))
    own = rng.standard_normal((n_albums, PRODUCTION_RANK))
    style = np.sqrt(ARTIST_SHARE) * artist[artist_of_album] + np.sqrt(1 - ARTIST_SHARE) * own
    fingerprint = rng.normal(0.0, ALBUM_BIAS_SD, size=(n_albums, tagger.production.shape[1]))
    return (style @ tagger.production + fingerprint).astype(np.float32)


# --- public API --------------------------------------------------------------------------


def generate_catalogue(n_tracks: int = 110_000, seed: int = 0) -> Catalogue:
    """Simulate a catalogue of ``n_tracks`` tracks; the same seed gives the same catalogue."""
    if n_tracks < 1:
        raise ValueError("n_tracks must be at least 1")
    rng = np.random.default_rng(seed)
    world = _world()
    album, artist_of_album = _structure(rng, n_tracks)
    y = _labels(rng, world, album, artist_of_album)
    scores = _scores(rng, world, y, album, artist_of_album)
    # Rows are sorted by ChallengeID, and ids are a random permutation of the tracks.
    order = rng.permutation(n_tracks)
    album_ids = rng.permutation(len(artist_of_album))
    artist_ids = rng.permutation(int(artist_of_album.max()) + 1)
    ids = np.arange(n_tracks, dtype=np.int64)
    feature_cols = list(world.tags) + [f"category-{c}" for c in world.categories]
    x = pd.DataFrame(scores[order], columns=feature_cols)
    x.insert(0, ID_COLUMN, ids)
    labels = pd.DataFrame(y[order], columns=list(world.tags))
    labels.insert(0, ID_COLUMN, ids)
    groups = pd.DataFrame(
        {
            ID_COLUMN: ids,
            "album_id": album_ids[album[order]].astype(np.int64),
            "artist_id": artist_ids[artist_of_album[album[order]]].astype(np.int64),
        }
    )
    return Catalogue(x=x, y=labels, taxonomy=_taxonomy_frame(world), groups=groups)


def _taxonomy_frame(world: _World) -> pd.DataFrame:
    """Class and category of every feature column; a category column's category is itself."""
    columns = list(world.tags) + [f"category-{c}" for c in world.categories]
    classes = [CLASSES[c] for c in world.tag_class] + [CLASSES[c] for c in world.cat_class]
    categories = [world.categories[c] for c in world.tag_cat] + list(world.categories)
    return pd.DataFrame({"column": columns, "class": classes, "category": categories})


def album_test_mask(groups: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """Boolean mask of test tracks: a seeded ``test_fraction`` of the albums, whole."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be strictly between 0 and 1")
    albums = np.unique(groups["album_id"].to_numpy())
    rng = np.random.default_rng([seed, 7919])
    n_test = max(1, round(test_fraction * len(albums)))
    test_albums = rng.permutation(albums)[:n_test]
    return np.isin(groups["album_id"].to_numpy(), test_albums)


def write_demo_data(
    out_dir: str | Path, n_tracks: int = 110_000, seed: int = 0, test_fraction: float = 0.2
) -> dict[str, Path]:
    """Write the demo catalogue as challenge-shaped CSV files, split by album.

    Returns the paths by name: ``x_train``, ``y_train``, ``x_test``, ``y_test``, ``taxonomy``
    and ``groups`` (groups cover all tracks). Same arguments give the same bytes.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cat = generate_catalogue(n_tracks, seed)
    test = album_test_mask(cat.groups, test_fraction, seed)
    frames = {
        "x_train": cat.x[~test],
        "y_train": cat.y[~test],
        "x_test": cat.x[test],
        "y_test": cat.y[test],
        "taxonomy": cat.taxonomy,
        "groups": cat.groups,
    }
    paths = {}
    for name, frame in frames.items():
        paths[name] = out / f"{name}.csv"
        _write_csv(frame, paths[name])
    return paths


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Plain CSV: unquoted header, numbers as pyarrow's shortest round-trip text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=8192)
    with path.open("wb") as fh:
        fh.write((",".join(frame.columns) + "\n").encode())
        pacsv.write_csv(table, fh, write_options=options)
