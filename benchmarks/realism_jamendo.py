"""Compare the synthetic catalogue's labels with real MTG-Jamendo annotations, side by side.

Reads ``../shared/data/jamendo-tags/tracks_tags.tsv.gz`` (real tags ``genre---x``,
``instrument---x``, ``mood/theme---x``; never shipped with the project) and exits cleanly
when it is absent. Mewo's thesaurus gives about nine tags per track where Jamendo gives about
four, so compare shapes: per-class shares, the frequency curve's slope and concentration,
and co-occurrence strength (lift, NPMI), which do not depend on the number of tags. Jamendo's
instrument and mood tags are present on only part of the tracks (annotation coverage), which
inflates its within-class lifts (I-I, M-M); Mewo tags every class.

Run: ``.venv/bin/python benchmarks/realism_jamendo.py [--tracks 50000]``.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.demo import generate_catalogue  # noqa: E402
from mewo_core.demo.thesaurus import CLASSES  # noqa: E402

JAMENDO = ROOT.parent / "shared" / "data" / "jamendo-tags" / "tracks_tags.tsv.gz"
JAMENDO_CLASS = {"genre": "genres", "instrument": "instruments", "mood/theme": "moods"}
MIN_EXPECTED = 5.0  # pairs whose expected co-occurrence count is below this are skipped


def load_jamendo(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """0/1 matrix (tracks x tags) and each tag's class index."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        next(fh)
        rows = [line.rstrip("\n").split("\t")[1].split() for line in fh if "\t" in line]
    tags = sorted({t for r in rows for t in r})
    index = {t: i for i, t in enumerate(tags)}
    y = np.zeros((len(rows), len(tags)), dtype=np.uint8)
    for i, r in enumerate(rows):
        y[i, [index[t] for t in r]] = 1
    tag_class = np.array([CLASSES.index(JAMENDO_CLASS[t.split("---")[0]]) for t in tags])
    return y, tag_class


def load_synthetic(n_tracks: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels of a synthetic catalogue and each tag's class index."""
    cat = generate_catalogue(n_tracks, seed)
    y = cat.y.drop(columns="ChallengeID").to_numpy()
    classes = cat.taxonomy.set_index("column").loc[cat.y.columns[1:], "class"]
    return y, np.array([CLASSES.index(c) for c in classes])


def label_stats(y: np.ndarray, tag_class: np.ndarray) -> dict[str, float]:
    """Counts, per-class shares and frequency-curve shape."""
    per_track = y.sum(axis=1)
    stats = {"tracks": len(y), "tags": y.shape[1], "tags/track": per_track.mean()}
    for k, c in enumerate(CLASSES):
        in_class = y[:, tag_class == k].sum(axis=1)
        stats[f"{c}: tags"] = int((tag_class == k).sum())
        stats[f"{c}: tags/track"] = in_class.mean()
        stats[f"{c}: share of positives"] = in_class.sum() / per_track.sum()
        stats[f"{c}: tracks with >=1"] = (in_class > 0).mean()
    freq = np.sort(y.mean(axis=0))[::-1]
    freq = freq[freq > 0]
    rank = np.arange(1, len(freq) + 1)
    stats["freq max"] = freq[0]
    stats["freq median"] = float(np.median(freq))
    stats["freq min"] = freq[-1]
    stats["log-log slope (rank 1..N)"] = np.polyfit(np.log(rank), np.log(freq), 1)[0]
    stats["log-log slope, top half"] = np.polyfit(
        np.log(rank[: len(rank) // 2]), np.log(freq[: len(freq) // 2]), 1
    )[0]
    common = freq >= 0.0025  # the range both catalogues cover (Jamendo keeps tags >= ~0.25 %)
    stats["log-log slope, tags >= 0.25%"] = np.polyfit(
        np.log(rank[common]), np.log(freq[common]), 1
    )[0]
    stats["max/median freq"] = freq[0] / np.median(freq)
    stats["share of positives, top 10% tags"] = freq[: max(1, len(freq) // 10)].sum() / freq.sum()
    stats["gini of tag frequencies"] = _gini(freq)
    return stats


def _gini(values: np.ndarray) -> float:
    v = np.sort(values)
    n = len(v)
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def cooccurrence_stats(y: np.ndarray, tag_class: np.ndarray) -> dict[str, float]:
    """Lift and NPMI summaries within and across classes (pairs with enough support)."""
    yf = y.astype(np.float32)
    n = len(y)
    co = (yf.T @ yf) / n
    p = np.diag(co).astype(np.float64)
    expected = np.outer(p, p)
    lift = co / np.maximum(expected, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(co / expected)
        npmi = np.where(co > 0, pmi / -np.log(co), -1.0)
    stats: dict[str, float] = {}
    short = {"genres": "G", "instruments": "I", "moods": "M"}
    for a in range(3):
        for b in range(a, 3):
            mask = np.outer(tag_class == a, tag_class == b) & (expected * n >= MIN_EXPECTED)
            mask &= ~np.eye(len(p), dtype=bool)
            name = f"{short[CLASSES[a]]}-{short[CLASSES[b]]}"
            stats[f"{name}: lift >= 2 share"] = float((lift[mask] >= 2).mean())
            stats[f"{name}: lift <= 0.5 share"] = float((lift[mask] <= 0.5).mean())
            stats[f"{name}: mean NPMI"] = float(npmi[mask].mean())
    cross = tag_class[:, None] != tag_class[None, :]
    best = np.where(cross & (expected * n >= MIN_EXPECTED), npmi, -np.inf).max(axis=1)
    stats["per tag, best cross-class NPMI (median)"] = float(np.median(best[np.isfinite(best)]))
    stats["mutual information, mean over cross pairs (mbit)"] = 1000 * _mean_mi(
        co, p, cross & (expected * n >= MIN_EXPECTED)
    )
    return stats


def _mean_mi(co: np.ndarray, p: np.ndarray, mask: np.ndarray) -> float:
    """Mean mutual information (bits) of pairs of binary tags."""
    pa, pb = np.broadcast_to(p[:, None], co.shape), np.broadcast_to(p[None, :], co.shape)
    cells = [
        (co, pa * pb),
        (pa - co, pa * (1 - pb)),
        (pb - co, (1 - pa) * pb),
        (1 - pa - pb + co, (1 - pa) * (1 - pb)),
    ]
    mi = np.zeros(co.shape)
    for joint, indep in cells:
        j = np.clip(joint, 1e-12, None)
        mi += np.where(joint > 0, j * np.log2(j / np.clip(indep, 1e-12, None)), 0.0)
    return float(mi[mask].mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tracks", type=int, default=50_000, help="synthetic tracks to draw")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not JAMENDO.exists():
        print(f"skipped: {JAMENDO} not found")
        return
    real = load_jamendo(JAMENDO)
    synth = load_synthetic(args.tracks, args.seed)
    rows = [(k, v, label_stats(*synth)[k]) for k, v in label_stats(*real).items()]
    s_co = cooccurrence_stats(*synth)
    rows += [(k, v, s_co[k]) for k, v in cooccurrence_stats(*real).items()]
    print(f"{'metric':52s} {'jamendo':>10s} {'synthetic':>10s}")
    for name, a, b in rows:
        print(f"{name:52s} {_cell(a):>10s} {_cell(b):>10s}")
    print("Mewo tags ~9 per track vs Jamendo ~4: compare shares, slopes and lifts, not counts.")


def _cell(v: float) -> str:
    if float(v).is_integer() and abs(v) >= 10:
        return f"{int(v)}"
    return f"{v:.4f}" if abs(v) < 1 else f"{v:.3f}"


if __name__ == "__main__":
    main()
