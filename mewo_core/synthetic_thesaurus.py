"""Thesaurus of the synthetic demo catalogue: classes, categories, tag names, affinities.

Three classes, each partitioned into categories. Within a category the first tag is its
*head* (the broad tag a tagger confuses sub-tags with, e.g. punk lifts rock) and tags are
listed from most to least common in production-music libraries. 228 tags and 20 categories
give the challenge's 248 input columns.
"""

from __future__ import annotations

import numpy as np

CLASSES: tuple[str, ...] = ("genres", "instruments", "moods")


def _categories(spec: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Category -> tag names, from space-separated names."""
    return {cat: tuple(names.split()) for cat, names in spec.items()}


GENRES: dict[str, tuple[str, ...]] = _categories(
    {
        "orchestral": (
            "symphonic film-score epic-orchestral trailer neoclassical light-orchestral "
            "chamber contemporary-classical minimalist romantic-era baroque classical-era "
            "choral opera marching-band"
        ),
        "electronic": (
            "electronic ambient chillout downtempo house edm synthwave techno lo-fi "
            "deep-house trance drum-and-bass dubstep electro idm glitch"
        ),
        "rock": (
            "rock pop-rock indie-rock alternative hard-rock post-rock punk metal psychedelic "
            "grunge surf-rock rockabilly stoner"
        ),
        "jazz-blues": (
            "jazz blues funk soul swing smooth-jazz jazz-fusion latin-jazz cool-jazz bebop "
            "gospel delta-blues"
        ),
        "urban": (
            "hip-hop trap rnb boom-bap neo-soul reggae afrobeats dancehall reggaeton grime drill"
        ),
        "pop": (
            "pop indie-pop synth-pop electro-pop dance-pop singer-songwriter ballad "
            "easy-listening disco lounge teen-pop"
        ),
        "world-folk": (
            "folk country latin celtic african asian middle-eastern indian bossa-nova "
            "flamenco bluegrass balkan"
        ),
    }
)

INSTRUMENTS: dict[str, tuple[str, ...]] = _categories(
    {
        "brass-winds": (
            "brass-section trumpet saxophone french-horn flute trombone clarinet tuba oboe bassoon"
        ),
        "strings": (
            "string-section violin cello pizzicato solo-violin tremolo-strings harp viola "
            "contrabass"
        ),
        "keys": (
            "piano grand-piano electric-piano organ rhodes hammond-organ celesta harpsichord "
            "accordion"
        ),
        "percussion": (
            "drum-kit drum-machine orchestral-percussion hand-claps shaker timpani taiko "
            "cymbals congas tambourine glockenspiel marimba"
        ),
        "guitars-bass": (
            "electric-guitar acoustic-guitar bass-guitar clean-guitar distorted-guitar "
            "nylon-guitar ukulele banjo slide-guitar mandolin"
        ),
        "electronic": (
            "synthesizer synth-pad synth-bass synth-lead arpeggiator sound-effects risers "
            "sampler vocoder drum-pads"
        ),
        "vocals": (
            "male-vocals female-vocals choir backing-vocals rap vocal-chops spoken-word whistling"
        ),
    }
)

MOODS: dict[str, tuple[str, ...]] = _categories(
    {
        "dramatic": (
            "dramatic epic tense powerful cinematic suspense heroic intense majestic "
            "triumphant urgent action"
        ),
        "calm": (
            "calm relaxing peaceful dreamy soft ethereal contemplative meditative soothing "
            "serene floating hypnotic"
        ),
        "happy": (
            "happy uplifting positive playful joyful optimistic fun carefree bright quirky "
            "sunny festive"
        ),
        "dark": (
            "dark mysterious ominous eerie sinister haunting gloomy brooding menacing scary cold"
        ),
        "energetic": (
            "energetic upbeat driving groovy motivational confident aggressive danceable "
            "bouncy sporty fast rebellious"
        ),
        "emotional": (
            "emotional melancholic sad nostalgic romantic hopeful reflective tender "
            "sentimental intimate bittersweet"
        ),
    }
)

THESAURUS: dict[str, dict[str, tuple[str, ...]]] = {
    "genres": GENRES,
    "instruments": INSTRUMENTS,
    "moods": MOODS,
}

# How often a style of each genre category (rows, GENRES order) draws on each instrument
# category (columns, INSTRUMENTS order) and each mood category (columns, MOODS order).
GENRE_TO_INSTRUMENTS = np.array(
    [
        [3.0, 3.0, 2.0, 2.0, 0.2, 0.8, 1.0],  # orchestral
        [0.3, 0.5, 1.0, 2.0, 0.4, 3.0, 1.0],  # electronic
        [0.3, 0.3, 1.0, 2.5, 3.0, 0.5, 2.0],  # rock
        [3.0, 0.8, 2.5, 2.0, 1.5, 0.2, 1.2],  # jazz-blues
        [0.6, 0.4, 1.2, 2.5, 0.5, 2.5, 2.5],  # urban
        [0.5, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0],  # pop
        [0.8, 1.5, 0.8, 2.5, 2.5, 0.3, 1.5],  # world-folk
    ]
)
GENRE_TO_MOODS = np.array(
    [
        [3.0, 1.5, 1.0, 1.5, 1.0, 2.0],  # orchestral
        [1.0, 2.0, 1.0, 1.5, 2.5, 0.8],  # electronic
        [1.0, 0.3, 1.2, 1.0, 3.0, 1.0],  # rock
        [0.3, 2.0, 2.0, 0.8, 1.0, 1.5],  # jazz-blues
        [0.8, 0.8, 1.2, 1.5, 2.5, 1.0],  # urban
        [0.5, 1.0, 3.0, 0.3, 2.0, 2.0],  # pop
        [0.3, 2.0, 2.5, 0.5, 1.0, 1.5],  # world-folk
    ]
)
# Share of the catalogue's styles rooted in each genre category (production-music skew).
GENRE_CATEGORY_WEIGHT = np.array([3.0, 3.0, 2.0, 1.3, 1.5, 2.0, 1.2])


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
