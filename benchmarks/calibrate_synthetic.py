"""Calibration report of the synthetic demo catalogue (``mewo_core.demo.generator``).

Prints, on the album-grouped split that ``write_demo_data`` writes:
- the challenge benchmark (per-tag F1-optimal thresholds fitted on train, ``score >= thr``):
  weighted / micro / macro / samples F1 on train and test, and a global 0.5 threshold;
- label statistics: tags per track (per class), tag frequency range;
- a relational check: a small MLP reading all (logit, standardised) scores, thresholds tuned
  on an album-grouped validation part of its training tracks, vs per-tag thresholds,
  (a) with an album-grouped test split, (b) with a random track test split. The gap between
  (b) and (a) is the "album fingerprint" trap. By default on the whole catalogue (the
  grouped test is then ``write_demo_data``'s); ``--subsample 30000`` is faster, but with less
  training data the MLP learns less of the honest relational signal.

Run: ``.venv/bin/python benchmarks/calibrate_synthetic.py`` (1 to 3 minutes on 2 free cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mewo_core.data import fold_of_groups  # noqa: E402
from mewo_core.demo import generate_catalogue  # noqa: E402
from mewo_core.demo.thesaurus import CLASSES  # noqa: E402

AVERAGES = ("weighted", "micro", "macro", "samples")


def _own_f1_optimal_thresholds(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-tag threshold maximising that tag's F1 on (scores, labels), decision ``>= thr``."""
    thresholds = np.empty(scores.shape[1])
    for j in range(scores.shape[1]):
        s, y = scores[:, j], labels[:, j].astype(np.int64)
        positives = y.sum()
        if positives == 0:
            thresholds[j] = np.inf
            continue
        order = np.argsort(-s, kind="stable")
        s_sorted, tp = s[order], np.cumsum(y[order])
        k = np.arange(1, len(s) + 1)
        f1 = 2 * tp / (k + positives)
        valid = np.append(s_sorted[:-1] > s_sorted[1:], True)  # cut only between distinct scores
        best = int(np.argmax(np.where(valid, f1, -1.0)))
        thresholds[j] = s_sorted[best]
    return thresholds


try:  # the product's exact helper, when present
    from mewo_core.scoring.thresholds import f1_optimal_thresholds
except ImportError:
    f1_optimal_thresholds = _own_f1_optimal_thresholds


def f1s(labels: np.ndarray, decisions: np.ndarray) -> dict[str, float]:
    """Weighted, micro, macro and samples F1 (sklearn, zero_division=0)."""
    return {a: float(f1_score(labels, decisions, average=a, zero_division=0)) for a in AVERAGES}


def _fmt(scores: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in scores.items())


def benchmark_report(x: np.ndarray, y: np.ndarray, test: np.ndarray) -> None:
    """Per-tag threshold benchmark and global 0.5 threshold on the album-grouped split."""
    n_tags = y.shape[1]
    s_train, s_test = x[~test, :n_tags], x[test, :n_tags]
    thr = np.asarray(f1_optimal_thresholds(s_train, y[~test]))
    print(f"split: {int((~test).sum())} train / {int(test.sum())} test tracks (albums whole)")
    print("benchmark train  ", _fmt(f1s(y[~test], s_train >= thr)))
    print("benchmark test   ", _fmt(f1s(y[test], s_test >= thr)))
    print("global 0.5 train ", _fmt(f1s(y[~test], s_train >= 0.5)))
    print("global 0.5 test  ", _fmt(f1s(y[test], s_test >= 0.5)))


def label_report(y: np.ndarray, tag_class: np.ndarray) -> None:
    """Tags per track per class and the tag frequency range."""
    per_class = "  ".join(
        f"{c} {y[:, tag_class == k].sum(1).mean():.2f}" for k, c in enumerate(CLASSES)
    )
    freq = y.mean(axis=0)
    print(f"tags/track {y.sum(1).mean():.2f} ({per_class}); min tags/track {y.sum(1).min()}")
    print(
        f"tag frequency: min {freq.min():.4%}  median {np.median(freq):.2%}  "
        f"max {freq.max():.2%}  tags under 0.5% {int((freq < 0.005).sum())}"
    )


def _features(x: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Logit of scores scaled into (0, 1) by the fit rows' maximum, then standardised."""
    top = x[fit].max(axis=0) * 1.01 + 1e-6
    u = np.clip(x / top, 1e-5, 1 - 1e-5)
    z = np.log(u) - np.log1p(-u)
    return ((z - z[fit].mean(0)) / (z[fit].std(0) + 1e-6)).astype(np.float32)


def train_mlp(feats: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> torch.nn.Module:
    """A one-hidden-layer multi-label MLP on all scores (BCE, Adam)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(feats.shape[1], 256),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(256, y.shape[1]),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    xt, yt = torch.from_numpy(feats), torch.from_numpy(y.astype(np.float32))
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(xt), generator=gen).split(256):
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return net.eval()


def _predict(net: torch.nn.Module, feats: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(net(torch.from_numpy(feats))).numpy()


def relational_check(
    x: np.ndarray, y: np.ndarray, albums: np.ndarray, test: np.ndarray, epochs: int, seed: int
) -> dict[str, float]:
    """MLP on all scores vs per-tag thresholds for one test split; validation grouped."""
    rng = np.random.default_rng(seed)
    rest_albums = np.unique(albums[~test])
    val_albums = rng.permutation(rest_albums)[: len(rest_albums) // 5]
    val = ~test & np.isin(albums, val_albums)
    fit = ~test & ~val
    n_tags = y.shape[1]
    base_thr = np.asarray(f1_optimal_thresholds(x[~test, :n_tags], y[~test]))
    base = f1s(y[test], x[test, :n_tags] >= base_thr)
    feats = _features(x, fit)
    net = train_mlp(feats[fit], y[fit], epochs, seed)
    thr = np.asarray(f1_optimal_thresholds(_predict(net, feats[val]), y[val]))
    model = f1s(y[test], _predict(net, feats[test]) >= thr)
    return {"benchmark": base["weighted"], "mlp": model["weighted"]}


def _album_subsample(albums: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of the tracks of random whole albums, about ``n`` tracks."""
    rng = np.random.default_rng(seed)
    chosen, total = [], 0
    sizes = dict(zip(*np.unique(albums, return_counts=True), strict=True))
    for a in rng.permutation(list(sizes)):
        if total >= n:
            break
        chosen.append(a)
        total += sizes[a]
    return np.flatnonzero(np.isin(albums, chosen))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tracks", type=int, default=110_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--subsample",
        type=int,
        default=0,
        help="tracks (whole albums) for the MLP check; 0 = all",
    )
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--no-relational", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    cat = generate_catalogue(args.tracks, args.seed)
    print(f"generated {args.tracks} tracks in {time.time() - t0:.1f}s")
    x = cat.x.drop(columns="ChallengeID").to_numpy(np.float64)
    y = cat.y.drop(columns="ChallengeID").to_numpy()
    tag_class = np.array([CLASSES.index(c) for c in cat.taxonomy["class"][: y.shape[1]]])
    test = cat.test  # the album-grouped test split that write_demo_data writes
    label_report(y, tag_class)
    benchmark_report(x, y, test)
    if args.no_relational:
        return
    albums = cat.groups["album_id"].to_numpy()
    if 0 < args.subsample < args.tracks:
        sub = _album_subsample(albums, args.subsample, args.seed)
        grouped = fold_of_groups(cat.groups["album_id"].to_numpy()[sub], 5, args.seed + 1) == 0
    else:  # the whole catalogue, grouped test = write_demo_data's test split
        sub, grouped = np.arange(args.tracks), test
    xs, ys, als = x[sub], y[sub], albums[sub]
    print(f"relational check on {len(sub)} tracks of whole albums, MLP {args.epochs} epochs:")
    rand = np.random.default_rng(args.seed + 2).random(len(sub)) < 0.2
    for name, split in (("album-grouped", grouped), ("random tracks", rand)):
        r = relational_check(xs, ys, als, split, args.epochs, args.seed)
        print(
            f"  {name:14s} weighted F1: per-tag thresholds {r['benchmark']:.4f}  "
            f"MLP on all scores {r['mlp']:.4f}  gain {r['mlp'] - r['benchmark']:+.4f}"
        )
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
