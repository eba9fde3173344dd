"""Thesaurus of the synthetic demo catalogue: classes, categories, tag names, affinities.

Three classes, each partitioned into categories, in the shape of the Mewo challenge's
thesaurus: 90 genre tags in 18 categories, 112 instrument tags in 15 categories and 46 mood
tags in 8 categories. Within a category the first tag is its *head* (the broad tag a tagger
confuses sub-tags with, e.g. punk lifts metal, hard-rock lifts rock) and tags are listed from
most to least common in production-music libraries. One score column per tag (248) plus one
per category (41) give the challenge's 289 input columns.

The module checks these counts, the uniqueness and spelling of names and the shapes of the
affinity tables when it is imported, and raises ``ValueError`` if any is off.
"""

from __future__ import annotations

import re

import numpy as np

CLASSES: tuple[str, ...] = ("genres", "instruments", "moods")


def _categories(spec: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Category -> tag names, from space-separated names."""
    return {cat: tuple(names.split()) for cat, names in spec.items()}


GENRES: dict[str, tuple[str, ...]] = _categories(
    {
        "orchestral": (
            "orchestral classical neoclassical light-orchestral chamber-music "
            "contemporary-classical baroque"
        ),
        "film-trailer": (
            "film-score trailer epic-orchestral hybrid-orchestral video-game horror-score"
        ),
        "electronic-dance": "edm house techno deep-house trance drum-and-bass dubstep",
        "electronic-ambient": "electronica ambient chillout downtempo synthwave lo-fi",
        "rock": (
            "rock pop-rock indie-rock alternative-rock hard-rock post-rock psychedelic-rock"
        ),
        "metal-punk": "metal punk heavy-metal hardcore",
        "pop": "pop indie-pop synth-pop dance-pop electro-pop k-pop",
        "hip-hop": "hip-hop trap boom-bap lo-fi-hip-hop grime",
        "rnb-soul": "rnb soul funk neo-soul gospel",
        "jazz": "jazz smooth-jazz swing jazz-fusion latin-jazz bebop",
        "blues-country": "blues country americana bluegrass",
        "folk-acoustic": "folk acoustic singer-songwriter celtic",
        "latin": "latin bossa-nova salsa reggaeton tango",
        "world": "world african middle-eastern asian indian",
        "reggae-caribbean": "reggae dancehall ska",
        "easy-listening": "easy-listening lounge exotica",
        "children-novelty": "children cartoon comedy",
        "corporate": "corporate advertising inspirational technology",
    }
)

INSTRUMENTS: dict[str, tuple[str, ...]] = _categories(
    {
        "acoustic-guitars": (
            "acoustic-guitar nylon-guitar steel-string-guitar strummed-guitar "
            "fingerpicked-guitar twelve-string-guitar"
        ),
        "electric-guitars": (
            "electric-guitar distorted-guitar clean-guitar guitar-riff guitar-solo "
            "funk-guitar slide-guitar pedal-steel"
        ),
        "bass": "bass bass-guitar upright-bass slap-bass fretless-bass sub-bass",
        "keys": (
            "piano grand-piano electric-piano organ rhodes upright-piano hammond-organ "
            "felt-piano wurlitzer harpsichord celesta"
        ),
        "synths": (
            "synthesizer synth-pad synth-lead synth-bass arpeggiator analog-synth "
            "synth-pluck modular-synth"
        ),
        "drums": "drums acoustic-drums brushed-drums snare-drum hi-hat cymbals",
        "electronic-percussion": (
            "drum-machine electronic-drums drum-loops 808-drums breakbeat hand-claps"
        ),
        "orchestral-percussion": (
            "orchestral-percussion timpani glockenspiel xylophone marimba vibraphone "
            "tubular-bells"
        ),
        "world-percussion": "percussion shaker tambourine congas bongos djembe taiko tabla",
        "strings": (
            "strings violin cello pizzicato solo-violin viola harp tremolo-strings "
            "string-quartet contrabass"
        ),
        "brass": "brass trumpet french-horn trombone tuba muted-trumpet flugelhorn",
        "woodwinds": "woodwinds flute saxophone clarinet oboe bassoon piccolo",
        "folk-instruments": "ukulele banjo mandolin accordion harmonica sitar bouzouki koto",
        "vocals": (
            "vocals male-vocals female-vocals choir backing-vocals rap vocal-chops spoken-word"
        ),
        "sound-design": "sound-design risers impacts drones whooshes braams",
    }
)

MOODS: dict[str, tuple[str, ...]] = _categories(
    {
        "dramatic": "dramatic epic powerful heroic cinematic majestic triumphant",
        "calm": "calm relaxing peaceful dreamy ethereal meditative",
        "happy": "happy uplifting positive joyful optimistic carefree",
        "dark": "dark mysterious tense ominous eerie menacing",
        "energetic": "energetic upbeat driving groovy motivational aggressive",
        "emotional": "emotional melancholic sad nostalgic reflective bittersweet",
        "romantic": "romantic tender sentimental intimate sensual",
        "quirky": "quirky playful humorous whimsical",
    }
)

THESAURUS: dict[str, dict[str, tuple[str, ...]]] = {
    "genres": GENRES,
    "instruments": INSTRUMENTS,
    "moods": MOODS,
}

# How often a style of each genre category (rows, GENRES order) draws on each instrument
# category (columns, INSTRUMENTS order):
#   acoustic-guitars, electric-guitars, bass, keys, synths, drums, electronic-percussion,
#   orchestral-percussion, world-percussion, strings, brass, woodwinds, folk-instruments,
#   vocals, sound-design.
GENRE_TO_INSTRUMENTS = np.array(
    [
        [0.2, 0.1, 0.2, 2.0, 0.3, 0.1, 0.1, 2.5, 0.3, 3.0, 2.5, 2.5, 0.4, 1.0, 0.3],  # orchestral
        [0.3, 0.5, 0.5, 1.5, 2.0, 0.8, 0.8, 3.0, 1.0, 3.0, 2.5, 1.2, 0.3, 1.2, 3.0],  # film-trailer
        [0.2, 0.3, 1.5, 1.0, 3.0, 0.5, 3.0, 0.1, 0.6, 0.4, 0.3, 0.2, 0.1, 2.0, 2.0],  # el.-dance
        [0.8, 0.6, 1.2, 2.0, 3.0, 0.4, 2.5, 0.3, 0.6, 1.0, 0.2, 0.4, 0.3, 1.2, 1.8],  # el.-ambient
        [1.5, 3.0, 2.5, 1.0, 0.6, 3.0, 0.3, 0.2, 0.5, 0.5, 0.4, 0.2, 0.3, 2.5, 0.3],  # rock
        [0.3, 3.0, 2.5, 0.3, 0.4, 3.0, 0.2, 0.2, 0.1, 0.3, 0.1, 0.1, 0.1, 2.0, 0.4],  # metal-punk
        [1.5, 1.2, 2.0, 2.0, 2.5, 1.8, 2.2, 0.3, 0.8, 1.0, 0.6, 0.3, 0.6, 3.0, 0.6],  # pop
        [0.2, 0.3, 2.5, 1.5, 2.0, 0.6, 3.0, 0.2, 0.4, 0.6, 0.8, 0.3, 0.1, 3.0, 1.0],  # hip-hop
        [0.6, 1.5, 2.5, 2.5, 1.2, 2.0, 1.5, 0.2, 0.8, 1.2, 2.0, 0.8, 0.1, 3.0, 0.3],  # rnb-soul
        [0.8, 1.2, 2.5, 3.0, 0.3, 2.5, 0.3, 0.5, 1.0, 0.6, 2.5, 2.5, 0.2, 1.2, 0.1],  # jazz
        [3.0, 2.5, 2.0, 1.2, 0.1, 2.0, 0.1, 0.1, 0.5, 0.8, 0.4, 0.3, 2.5, 2.5, 0.1],  # blues-ctry
        [3.0, 0.4, 1.0, 1.2, 0.2, 0.8, 0.2, 0.3, 1.2, 1.5, 0.2, 1.0, 3.0, 2.5, 0.1],  # folk-acou.
        [2.5, 0.8, 2.0, 1.5, 0.5, 1.2, 1.0, 0.3, 3.0, 0.8, 2.0, 0.8, 1.0, 2.0, 0.2],  # latin
        [1.2, 0.3, 0.8, 0.4, 0.8, 0.5, 0.8, 0.6, 3.0, 1.2, 0.3, 1.5, 3.0, 2.0, 0.6],  # world
        [1.0, 2.0, 3.0, 2.0, 0.8, 2.5, 1.5, 0.1, 1.5, 0.2, 2.0, 0.8, 0.2, 2.5, 0.6],  # reggae-car.
        [1.5, 0.8, 1.5, 2.5, 0.5, 1.2, 0.4, 0.6, 1.2, 2.0, 1.2, 1.8, 0.5, 1.2, 0.1],  # easy-list.
        [1.2, 0.3, 0.8, 1.8, 1.0, 0.8, 0.6, 2.5, 1.2, 1.2, 1.2, 2.0, 2.0, 1.5, 1.2],  # children
        [2.0, 1.2, 1.5, 2.5, 2.0, 1.5, 2.0, 1.2, 1.0, 1.5, 0.4, 0.3, 2.0, 0.6, 0.8],  # corporate
    ]
)
# How often a style of each genre category (rows, GENRES order) draws on each mood category
# (columns, MOODS order): dramatic, calm, happy, dark, energetic, emotional, romantic, quirky.
GENRE_TO_MOODS = np.array(
    [
        [2.5, 1.8, 1.0, 1.2, 0.8, 2.5, 1.5, 0.4],  # orchestral
        [3.0, 0.6, 0.5, 2.5, 2.0, 1.5, 0.4, 0.2],  # film-trailer
        [0.8, 0.3, 2.0, 0.8, 3.0, 0.6, 0.5, 0.4],  # electronic-dance
        [0.8, 3.0, 0.8, 1.5, 0.5, 1.5, 0.6, 0.3],  # electronic-ambient
        [1.2, 0.3, 1.2, 1.0, 3.0, 1.0, 0.4, 0.4],  # rock
        [1.5, 0.1, 0.3, 2.5, 3.0, 0.5, 0.1, 0.2],  # metal-punk
        [0.5, 0.8, 3.0, 0.3, 2.0, 1.5, 1.8, 0.6],  # pop
        [1.0, 0.8, 1.0, 2.0, 2.5, 0.8, 0.6, 0.4],  # hip-hop
        [0.4, 1.2, 1.5, 0.4, 1.5, 1.8, 3.0, 0.3],  # rnb-soul
        [0.3, 2.0, 1.5, 0.8, 1.0, 1.0, 2.0, 0.8],  # jazz
        [0.4, 1.2, 1.5, 0.6, 1.2, 2.0, 1.2, 0.5],  # blues-country
        [0.3, 2.0, 1.8, 0.4, 0.6, 2.2, 1.5, 0.6],  # folk-acoustic
        [0.4, 0.8, 2.5, 0.3, 2.5, 0.8, 2.0, 0.6],  # latin
        [1.0, 2.0, 1.5, 1.0, 1.2, 1.2, 0.6, 0.5],  # world
        [0.2, 1.5, 2.5, 0.5, 1.8, 0.6, 1.0, 0.8],  # reggae-caribbean
        [0.2, 2.5, 2.0, 0.2, 0.5, 0.8, 2.0, 1.0],  # easy-listening
        [0.3, 0.8, 3.0, 0.3, 1.2, 0.3, 0.2, 3.0],  # children-novelty
        [0.6, 1.0, 3.0, 0.2, 2.0, 1.2, 0.3, 1.0],  # corporate
    ]
)
# Share of the catalogue's styles rooted in each genre category (rows, GENRES order), with the
# production-music skew towards film/orchestral, electronic, corporate and pop.
GENRE_CATEGORY_WEIGHT = np.array(
    [
        2.2,  # orchestral
        3.0,  # film-trailer
        2.2,  # electronic-dance
        2.2,  # electronic-ambient
        1.8,  # rock
        0.6,  # metal-punk
        2.2,  # pop
        1.4,  # hip-hop
        0.9,  # rnb-soul
        1.1,  # jazz
        0.8,  # blues-country
        1.2,  # folk-acoustic
        0.8,  # latin
        1.0,  # world
        0.5,  # reggae-caribbean
        0.7,  # easy-listening
        0.6,  # children-novelty
        2.5,  # corporate
    ]
)

# (tags, categories) of each class in the challenge's thesaurus.
_EXPECTED_SIZES: dict[str, tuple[int, int]] = {
    "genres": (90, 18),
    "instruments": (112, 15),
    "moods": (46, 8),
}
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_thesaurus() -> None:
    """Raise ``ValueError`` unless the thesaurus and its affinity tables have the right shape."""
    if tuple(THESAURUS) != CLASSES:
        raise ValueError(f"thesaurus classes {tuple(THESAURUS)} differ from {CLASSES}")
    for cls, cats in THESAURUS.items():
        n_tags, n_cats = _EXPECTED_SIZES[cls]
        names = [name for tags in cats.values() for name in tags]
        if len(cats) != n_cats or len(names) != n_tags:
            raise ValueError(
                f"{cls}: {len(names)} tags in {len(cats)} categories, "
                f"expected {n_tags} in {n_cats}"
            )
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"{cls}: duplicate tag names {dupes}")
        bad = [n for n in [*cats, *names] if not _NAME.fullmatch(n)]
        if bad:
            raise ValueError(f"{cls}: badly spelt names {bad}")
        empty = [cat for cat, tags in cats.items() if not tags]
        if empty:
            raise ValueError(f"{cls}: empty categories {empty}")
    n_genres, n_instruments, n_moods = (len(THESAURUS[c]) for c in CLASSES)
    for label, table, shape in (
        ("GENRE_TO_INSTRUMENTS", GENRE_TO_INSTRUMENTS, (n_genres, n_instruments)),
        ("GENRE_TO_MOODS", GENRE_TO_MOODS, (n_genres, n_moods)),
        ("GENRE_CATEGORY_WEIGHT", GENRE_CATEGORY_WEIGHT, (n_genres,)),
    ):
        if table.shape != shape:
            raise ValueError(f"{label} has shape {table.shape}, expected {shape}")
        if not np.all(np.isfinite(table)) or not np.all(table > 0):
            raise ValueError(f"{label} must hold finite positive values")


_check_thesaurus()


def tag_table() -> list[tuple[str, str, str, int]]:
    """``(column, class, category, rank in category)`` for every tag, in column order."""
    rows = []
    for cls, cats in THESAURUS.items():
        for cat, names in cats.items():
            rows.extend((f"{cls}-{name}", cls, f"{cls}-{cat}", r) for r, name in enumerate(names))
    return rows


def category_names() -> list[tuple[str, str]]:
    """``(category, class)`` for every category, in column order."""
    return [(f"{cls}-{cat}", cls) for cls, cats in THESAURUS.items() for cat in cats]
