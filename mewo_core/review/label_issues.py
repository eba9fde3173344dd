"""Likely label errors: (track, tag) labels that the tagger's out-of-fold scores and the album
context contradict most.

1. *Out-of-fold probabilities.* The catalogue is cut into grouped folds (whole artists, the
   coarsest grouping: :func:`mewo_core.data.group_kfold`); per fold, each tag's raw score is
   calibrated (Platt, :class:`.calibration.TagCalibrator`) on the other folds and applied to
   the fold. A label is never judged by a curve fitted on it, nor on its artist.
2. *Album context.* Of the ``m`` other tracks of the track's album, ``k`` carry the tag. Its
   evidence is the log odds of the smoothed share ``(k + 2 pi) / (m + 2)`` against the tag's
   prevalence ``pi`` (0 for a track alone on its album).
3. *Combination.* One pooled logistic regression of the label on ``[logit p, album evidence,
   1]`` over a seeded sample of (track, tag) entries (three weights for the whole catalogue:
   nothing to overfit) gives ``q = P(tag present)``. The *issue score* is the probability that
   the label is wrong: ``1 - q`` for a positive label, ``q`` for a negative one.

The context helps when an editor's slip touches one track of an album; an album tagged wrong
as a whole looks consistent to it (its mates share the mistake), and only the scores speak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from ..data import Dataset, group_kfold
from ..errors import DataError
from .calibration import TagCalibrator, _logit
from .queue import top_positions

__all__ = [
    "LabelIssues",
    "album_mates",
    "combine",
    "find_label_issues",
    "issue_scores",
    "out_of_fold_probabilities",
]

ALBUM_COLUMN = "album_id"
SAMPLE = 1_000_000  # (track, tag) entries the three weights are fitted on


def out_of_fold_probabilities(
    scores: np.ndarray,
    labels: np.ndarray,
    folds: Sequence[np.ndarray],
) -> np.ndarray:
    """Per (track, tag) the probability of the tag from a per-tag Platt curve fitted on the
    other folds (float64: float32 would round the surest 1 - 1e-8 to 1 and tie them).
    ``folds``: held-out row indices covering every row once."""
    s = np.asarray(scores)
    out = np.full(s.shape, np.nan)
    for held in folds:
        rest = np.ones(s.shape[0], dtype=bool)
        rest[held] = False
        calibrator = TagCalibrator(methods=("platt",), n_folds=1).fit(s[rest], labels[rest])
        out[held] = calibrator.predict_proba(s[held])
    if np.isnan(out).any():
        raise ValueError("the folds do not cover every row")
    return out


def album_mates(labels: np.ndarray, album: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per (track, tag) how many other tracks of the track's album carry the tag (int32), and
    per track how many other tracks its album has; zeros without albums."""
    y = np.asarray(labels)
    if album is None:
        return np.zeros(y.shape, dtype=np.int32), np.zeros(y.shape[0], dtype=np.int64)
    _, inverse = np.unique(np.asarray(album), return_inverse=True)
    inverse = inverse.reshape(-1)
    n = inverse.size
    member = sparse.csr_array(
        (np.ones(n, dtype=np.int32), (inverse, np.arange(n))), shape=(inverse.max() + 1, n)
    )
    sums = np.asarray(member @ y.astype(np.int32))
    size = np.bincount(inverse)
    return (sums[inverse] - y).astype(np.int32), (size[inverse] - 1).astype(np.int64)


def _album_evidence(with_tag: np.ndarray, mates: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    pi = np.clip(prevalence, 1e-4, 1 - 1e-4)
    share = (with_tag + 2 * pi) / (mates[:, None] + 2)
    return (_logit(share) - _logit(pi)).astype(np.float32)


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def _features(p: np.ndarray, evidence: np.ndarray) -> list[np.ndarray]:
    return [_log_odds(p), evidence.astype(np.float64)]


def combine(
    probability: np.ndarray,
    evidence: np.ndarray,
    labels: np.ndarray,
    *,
    sample: int = SAMPLE,
    seed: int = 0,
) -> np.ndarray:
    """The pooled logistic weights ``[w_score, w_album, bias]`` of the label on the logit of
    the out-of-fold probability and the album evidence (Newton's method, seeded sample)."""
    y = np.asarray(labels).ravel()
    size = y.size
    rng = np.random.default_rng([seed, 24, 2])
    rows = rng.choice(size, size=min(sample, size), replace=False) if size > sample else None
    pick = (lambda a: a.ravel()) if rows is None else (lambda a: a.ravel()[rows])
    feats = _features(pick(probability), pick(evidence))
    X = np.column_stack([*feats, np.ones(feats[0].size)])
    t = pick(labels).astype(np.float64)
    w = np.array([1.0, 0.0, 0.0])
    for _ in range(50):
        z = np.clip(X @ w, -40, 40)
        q = 1 / (1 + np.exp(-z))
        grad = X.T @ (q - t) + 1e-6 * w
        hess = (X * (q * (1 - q))[:, None]).T @ X + 1e-6 * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def issue_scores(
    probability: np.ndarray, evidence: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Per (track, tag) the log odds that the label is wrong (ranked on: unlike the
    probability, it does not round the surest issues to a tie at 1)."""
    f = _features(probability, evidence)
    z = weights[0] * f[0] + weights[1] * f[1] + weights[2]
    return np.where(np.asarray(labels).astype(bool), -z, z)


def _probability(log_odds: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(log_odds, dtype=np.float64)))


@dataclass(frozen=True)
class LabelIssues:
    """Every (track, tag)'s issue score with what explains it; :meth:`frame` lists the top."""

    ids: np.ndarray
    tag_names: tuple[str, ...]
    tag_classes: tuple[str, ...]
    labels: np.ndarray
    scores: np.ndarray  # the raw tagger scores
    probability: np.ndarray  # out-of-fold, calibrated
    with_tag: np.ndarray
    mates: np.ndarray
    issue: np.ndarray  # log odds that the label is wrong
    weights: np.ndarray

    def top(self, n: int) -> np.ndarray:
        """Flat positions (row * tags + tag) of the ``n`` likeliest label errors (never of a
        tag left out by :meth:`only`)."""
        pos = top_positions(self.issue, n)
        return pos[np.isfinite(self.issue.ravel()[pos])]

    def only(self, tags: Sequence[str] = (), classes: Sequence[str] = ()) -> LabelIssues:
        """These issues restricted to the tags named or of the classes named (all: none)."""
        if not tags and not classes:
            return self
        pairs = zip(self.tag_names, self.tag_classes, strict=True)
        keep = np.array([t in tags or c in classes for t, c in pairs])
        return replace(self, issue=np.where(keep, self.issue, -np.inf))

    def flagged(self, cut: float = 0.5) -> int:
        """How many labels are wrong with a probability above ``cut``."""
        return int((self.issue > np.log(cut) - np.log1p(-cut)).sum())

    def frame(self, n: int) -> pd.DataFrame:
        """The ``n`` likeliest label errors: track, tag, class, label, suggested label, score,
        probability, album mates with the tag, album mates, issue score (the probability that
        the label is wrong) and its log odds, reason."""
        pos = self.top(n)
        rows, tags = np.divmod(pos, len(self.tag_names))
        label = self.labels[rows, tags].astype(np.uint8)
        p = self.probability[rows, tags].astype(np.float64)
        k, m = self.with_tag[rows, tags], self.mates[rows]
        names = np.asarray(self.tag_names, dtype=object)[tags]
        return pd.DataFrame(
            {
                "track": self.ids[rows],
                "tag": names,
                "class": np.asarray(self.tag_classes, dtype=object)[tags],
                "label": label,
                "suggested": 1 - label,
                "score": self.scores[rows, tags].astype(np.float64),
                "probability": p,
                "album_mates_with_tag": k,
                "album_mates": m,
                "issue_score": _probability(self.issue[rows, tags]),
                "issue_log_odds": self.issue[rows, tags].astype(np.float64),
                "reason": [
                    reason(t, pi, int(ki), int(mi), int(yi))
                    for t, pi, ki, mi, yi in zip(names, p, k, m, label, strict=True)
                ],
            }
        )


def reason(tag: str, probability: float, with_tag: int, mates: int, label: int) -> str:
    """The issue in words, e.g. "scored 0.93 for piano, 5 of 6 album mates have piano, the
    label says no"."""
    album = (
        f"{with_tag} of {mates} album mate{'s' if mates != 1 else ''} "
        f"{'has' if mates == 1 else 'have'} {tag}"
        if mates
        else "no album mates"
    )
    return f"scored {probability:.2f} for {tag}, {album}, the label says {'yes' if label else 'no'}"


def find_label_issues(
    data: Dataset,
    *,
    n_folds: int = 5,
    seed: int = 0,
    group_column: str | None = None,
    context: bool = True,
    probability: np.ndarray | None = None,
) -> LabelIssues:
    """Every label's issue score on a labelled ``data`` (see the module docstring).

    ``group_column``: the folds' grouping (default: the coarsest, e.g. artists); ``context``:
    use the album context (needs ``album_id`` in groups.csv); ``probability``: out-of-fold
    probabilities computed elsewhere (e.g. a benchmark's), else computed here.
    """
    y = data.require_labels()
    scores = data.tag_scores()
    if probability is None:
        try:
            folds = group_kfold(data, n_folds, seed, group_column)
        except DataError as exc:
            raise DataError(
                f"label issues need grouped folds: {exc.detail}", file=data.name
            ) from None
        probability = out_of_fold_probabilities(scores, y, folds)
    album = None
    if context and data.groups is not None and ALBUM_COLUMN in data.groups.columns:
        album = data.groups[ALBUM_COLUMN].to_numpy()
    with_tag, mates = album_mates(y, album)
    evidence = _album_evidence(with_tag, mates, y.mean(axis=0))
    weights = combine(probability, evidence, y, seed=seed)
    return LabelIssues(
        ids=np.asarray(data.ids),
        tag_names=tuple(data.tag_names),
        tag_classes=tuple(data.tag_classes),
        labels=y,
        scores=scores,
        probability=probability,
        with_tag=with_tag,
        mates=mates,
        issue=issue_scores(probability, evidence, y, weights),
        weights=weights,
    )
