"""Group context: each track's scores blended with the mean scores of its album (or artist).

Tracks of one album share much of their tagging (a production-music album is often built
around one mood or style), while a tagger scores each track alone. :class:`GroupContext`
blends every input score with its group's mean, in logit space for probability columns::

    f'(x) = (1 - alpha) * f(x) + alpha * mean of f over x's group in the decided data

where ``f`` is the clipped logit (raw values for columns outside [0, 1]) and the result is
mapped back. ``alpha`` is chosen by grouped cross-validation on the training data alone, with
the benchmark's per-tag thresholds fitted on blended scores: every weight's CV gain over no
blend is shrunk toward 0 by its group-bootstrap standard error (how far is set by what the
training labels say about albums, :func:`label_lift`), and the context is on only where a
shrunk gain stays above 0. ``alpha = 0`` is the identity, so a model whose data show no album
effect is the model without context, bit for bit.

The decided data is blended with itself: a track's decision depends on the other tracks of its
album in the same data, so decide an album's tracks together. A track alone in its group keeps
its own scores.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Self

import numpy as np

from ..data import Dataset, fold_of_groups, group_labels
from ..errors import DataError
from ..scoring.bootstrap import bootstrap, group_counts
from ..scoring.metrics import f1_scores
from ..scoring.space import EPS, logit, sigmoid
from ..scoring.thresholds import f1_optimal_thresholds

#: Levels a model may blend over, and the groups.csv column each reads.
LEVELS = {"album": "album_id", "artist": "artist_id"}
#: The ``context`` values a model takes: ``auto`` is ``album`` when the data has albums.
CHOICES = ("auto", "none", *LEVELS)
#: Blend weights tried by the cross-validation.
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Group-bootstrap replicates behind each weight's standard error.
BOOTSTRAP_REPLICATES = 500
#: Standard errors a weight's CV gain is shrunk by: one-sided 95 % (normal) by default ...
Z_PLAIN = 1.645
#: ... and one-sided 84 % where the training labels show album mates sharing tags (the prior:
#: an album effect the labels show makes a measured gain likelier to be real).
Z_ALBUM = 1.0
#: :func:`label_lift` from which the labels show an album effect (12-13 on the four MediaEval
#: folders, 4.2 on the demo catalogue's fit split; 1.0 with their albums shuffled).
LIFT_PRIOR = 2.0


def resolve_level(context: str, data: Dataset) -> str | None:
    """The level ``context`` means for ``data``: ``auto`` is ``album`` when groups.csv has an
    ``album_id`` column with an album of two or more tracks, else none. A named level the data
    lacks is a DataError."""
    if context == "none":
        return None
    if context == "auto":
        column = LEVELS["album"]
        if data.groups is None or column not in data.groups.columns:
            return None
        sizes = data.groups[column].value_counts()
        return "album" if sizes.size and int(sizes.max()) >= 2 else None
    if context not in LEVELS:
        raise ValueError(f"unknown context {context!r}; known: {', '.join(CHOICES)}")
    _group_column(data, context)
    return context


def _group_column(data: Dataset, level: str) -> np.ndarray:
    column = LEVELS[level]
    if data.groups is None or column not in data.groups.columns:
        raise DataError(
            f"this model blends each track's scores with its {level}'s (context {level}), so the "
            f"data needs a groups.csv with a '{column}' column; give one, or use context none "
            "(--context none)",
            file=data.name,
        )
    return data.groups[column].to_numpy()


#: Fixed-point scale of the group sums: values are summed as integers of 2**-20, so a sum is
#: exact and the same in any order (all rows at once, or chunk by chunk in ``predict``).
SUM_SCALE = 2.0**20
#: Largest |value| summed exactly (sums of up to 2**21 such values fit in int64).
SUM_LIMIT = 2.0**21


def fixed_point(values: np.ndarray) -> np.ndarray:
    """``values`` (float64) as int64 multiples of ``1 / SUM_SCALE``, for order-free sums."""
    scaled = values * SUM_SCALE  # a power of two: exact
    np.rint(scaled, out=scaled)
    if scaled.size and max(scaled.max(), -scaled.min()) > SUM_LIMIT * SUM_SCALE:
        raise DataError(
            f"a score of magnitude above {SUM_LIMIT:.0f} cannot be averaged within its group"
        )
    return scaled.astype(np.int64)


def group_means(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per row, the mean of ``values`` (float64, rows x columns) over the rows of its group,
    from exact fixed-point sums (:func:`fixed_point`): the same bits whatever the row order,
    the chunking, the BLAS kernel or the thread count."""
    _, inverse = np.unique(labels, return_inverse=True)
    return means_of_sums(*group_sums(values, inverse.reshape(-1)))[inverse.reshape(-1)]


def group_sums(values: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point sums (int64, groups x columns) and row counts of ``values`` per group code
    (``codes``: 0 .. n_groups - 1 per row; groups absent from ``codes`` get no row)."""
    return sum_by_code(fixed_point(values), codes)


def sum_by_code(integers: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the int64 rows ``integers`` per code, and the rows per code: one sparse
    product of the codes' 0/1 membership with the integers (exact, in any order)."""
    from scipy import sparse

    n_groups = int(codes.max(initial=-1)) + 1
    member = sparse.csr_matrix(
        (np.ones(codes.size, dtype=np.int64), (codes, np.arange(codes.size))),
        shape=(n_groups, codes.size),
    )
    sums = np.asarray(member @ integers, dtype=np.int64)
    return sums, np.bincount(codes, minlength=n_groups)


def means_of_sums(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Group means (float64) from fixed-point ``sums`` and row ``counts`` per group."""
    return sums / (SUM_SCALE * np.maximum(counts, 1)[:, None])


def forward(X: np.ndarray, logit_columns: np.ndarray) -> np.ndarray:
    """``X`` in float64 in the space it is averaged in: the clipped logit on ``logit_columns``."""
    f = np.asarray(X, dtype=np.float64).copy()
    f[:, logit_columns] = logit(f[:, logit_columns], EPS)
    return f


def mix(f: np.ndarray, means: np.ndarray, alpha: float, logit_columns: np.ndarray,
        dtype: np.dtype) -> np.ndarray:
    """``(1 - alpha) * f + alpha * means`` mapped back from :func:`forward`'s space."""
    out = (1.0 - alpha) * f + alpha * means
    out[:, logit_columns] = sigmoid(out[:, logit_columns])
    return out.astype(dtype, copy=False)


def blend(X: np.ndarray, labels: np.ndarray, alpha: float, logit_columns: np.ndarray) -> np.ndarray:
    """``X`` with every column blended with its group mean by ``alpha`` (see the module), in
    logit space on ``logit_columns``; same dtype as ``X``. ``alpha = 0`` returns ``X`` itself."""
    if alpha == 0.0 or X.shape[0] == 0:
        return X
    f = forward(X, logit_columns)
    return mix(f, group_means(f, labels), alpha, logit_columns, X.dtype)


def label_lift(labels: np.ndarray, members: np.ndarray) -> float:
    """How many times more often a track's album mate has one of its tags than the tag's base
    rate: ``P(mate has t | track has t) / P(t)``, both pooled over tags and tracks weighted by
    the tracks' tags (1: albums share tags by chance; NaN without two tracks in a group)."""
    y = np.asarray(labels, dtype=bool)
    _, codes = np.unique(members, return_inverse=True)
    codes = codes.reshape(-1)
    size = np.bincount(codes)
    per_group = np.zeros((size.size, y.shape[1]))
    np.add.at(per_group, codes, y)
    mates_with = float((per_group * (per_group - 1)).sum())  # (track, mate) pairs sharing a tag
    mates = float((per_group * (size[:, None] - 1)).sum())  # (track with the tag, any mate)
    positives = y.sum(axis=0)
    base = float((positives * y.mean(axis=0)).sum() / max(positives.sum(), 1))
    if mates == 0 or base == 0:
        return float("nan")
    return (mates_with / mates) / base


class GroupContext:
    """Blend of each track's scores with its group's, weight chosen by grouped CV on train.

    ``fit(train)`` scores every weight of ``alphas`` by ``n_folds``-fold cross-validation grouped
    by the coarsest group column (artist over album): the benchmark's per-tag thresholds on
    blended tag scores, ``metric`` F1 pooled over the held-out folds. Each weight's gain over no
    blend gets a paired group-bootstrap standard error (the same resampled groups for every
    weight) and is shrunk toward 0 by ``z`` of them: ``z`` is :data:`Z_ALBUM` where the
    training labels show an album effect (:func:`label_lift` >= :data:`LIFT_PRIOR`), else
    :data:`Z_PLAIN`. The weight with the largest shrunk gain is chosen if that gain is above 0
    (a tie goes to the smaller weight); else the context is off (weight 0, the identity).
    ``transform(data)`` blends ``data`` with itself.

    Learned: ``alpha_``, ``logit_columns_`` (the features blended in logit space), ``cv_``
    (the cross-validated F1 per weight), ``gain_se_`` (per weight, the bootstrap standard error
    of its gain over no blend), ``lift_`` (:func:`label_lift` of the training labels), ``z_``.
    """

    def __init__(
        self,
        level: str = "album",
        alphas: tuple[float, ...] = ALPHAS,
        metric: str = "weighted",
        n_folds: int = 4,
        seed: int = 0,
    ) -> None:
        self.level = level
        self.alphas = alphas
        self.metric = metric
        self.n_folds = n_folds
        self.seed = seed

    def fit(self, train: Dataset) -> Self:
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}; known: {', '.join(LEVELS)}")
        if not self.alphas or self.alphas[0] != 0.0:
            raise ValueError("alphas must start with 0 (no blend), the reference of the others")
        X, y = train.X, train.require_labels().astype(bool)
        members = _group_column(train, self.level)
        self.logit_columns_ = (X.min(axis=0) >= 0.0) & (X.max(axis=0) <= 1.0)
        cv_groups = group_labels(train)
        folds = fold_of_groups(cv_groups, self.n_folds, self.seed)
        tags = train.tag_feature_index
        scored = tags >= 0
        held_rows = np.concatenate([np.flatnonzero(folds == k) for k in range(self.n_folds)])
        truth = y[held_rows][:, scored]
        decided = [self._held_out(X, y, members, folds, alpha, tags) for alpha in self.alphas]
        self.cv_ = np.array([f1_scores(truth, d)[self.metric] for d in decided])
        counts = group_counts(truth, decided, cv_groups[held_rows], self.seed)
        reps = bootstrap(counts, BOOTSTRAP_REPLICATES, self.seed)
        unblended = reps.averages(0)[self.metric]
        self.gain_se_ = np.array(
            [np.std(reps.averages(i)[self.metric] - unblended) for i in range(len(self.alphas))]
        )
        self.lift_ = label_lift(y[:, scored], members)
        self.z_ = Z_ALBUM if self.lift_ >= LIFT_PRIOR else Z_PLAIN
        shrunk = self.shrunk_gains()
        best = int(np.argmax(shrunk)) if shrunk.max() > 0 else 0
        self.alpha_ = float(self.alphas[best])
        return self

    def shrunk_gains(self) -> np.ndarray:
        """Per weight, its CV gain over no blend less ``z_`` standard errors (0 at weight 0)."""
        shrunk = self.cv_ - self.cv_[0] - self.z_ * self.gain_se_
        shrunk[0] = 0.0
        return shrunk

    def _held_out(self, X: np.ndarray, y: np.ndarray, members: np.ndarray, folds: np.ndarray,
                  alpha: float, tags: np.ndarray) -> np.ndarray:
        """Held-out decisions (fold by fold, in fold order) of the scored tags at ``alpha``."""
        scored = tags >= 0
        parts = []
        for k in range(self.n_folds):
            fit_rows, held = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
            if held.size == 0:
                continue
            s_held = self._tag_scores(X[held], members[held], alpha, tags)[:, scored]
            if fit_rows.size == 0:
                parts.append(np.zeros(s_held.shape, dtype=bool))
                continue
            s_fit = self._tag_scores(X[fit_rows], members[fit_rows], alpha, tags)
            thresholds = f1_optimal_thresholds(s_fit[:, scored], y[fit_rows][:, scored])
            parts.append(s_held >= thresholds)
        return np.vstack(parts)

    def _tag_scores(
        self, X: np.ndarray, members: np.ndarray, alpha: float, tags: np.ndarray
    ) -> np.ndarray:
        cols = tags[tags >= 0]
        out = np.full((X.shape[0], tags.size), -np.inf)
        out[:, tags >= 0] = blend(X[:, cols], members, alpha, self.logit_columns_[cols])
        return out

    @property
    def active(self) -> bool:
        """Whether ``transform`` changes anything (a weight above 0 was chosen)."""
        return self.alpha_ > 0.0

    def transform(self, data: Dataset) -> Dataset:
        """``data`` (features in the fitted order) with its scores blended within its groups."""
        if not self.active:
            return data
        members = _group_column(data, self.level)
        return replace(data, X=blend(data.X, members, self.alpha_, self.logit_columns_))

    def describe(self) -> str:
        """One line: the level, the chosen weight and what the cross-validation saw."""
        cv = ", ".join(
            f"{a:g}: {s:.4f}" + (f" ({s - self.cv_[0]:+.4f} ± {se:.4f})" if i and se == se else "")
            for i, (a, s, se) in enumerate(zip(self.alphas, self.cv_, self.gain_se_, strict=True))
            if np.isfinite(s)
        )
        prior = (f"; album mates share tags {self.lift_:.1f}x the base rate, gains shrunk by "
                 f"{self.z_:g} SE" if np.isfinite(self.lift_) else "")
        return (f"{self.level} context, weight {self.alpha_:g} (grouped CV {self.metric} F1: "
                f"{cv}{prior})")

    # --- persistence: plain arrays in the model's npz -------------------------------------------
    def arrays(self, prefix: str = "context_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}level": np.array(self.level),
            f"{prefix}alpha": np.array(self.alpha_),
            f"{prefix}alphas": np.asarray(self.alphas, dtype=np.float64),
            f"{prefix}cv": self.cv_,
            f"{prefix}gain_se": self.gain_se_,
            f"{prefix}lift": np.array(self.lift_),
            f"{prefix}z": np.array(self.z_),
            f"{prefix}logit_columns": self.logit_columns_,
            f"{prefix}metric": np.array(self.metric),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], prefix: str = "context_") -> Self | None:
        """The fitted context stored by :meth:`arrays`, or None when there is none."""
        if f"{prefix}alpha" not in arrays:
            return None
        ctx = cls(
            str(arrays[f"{prefix}level"]),
            tuple(float(a) for a in arrays[f"{prefix}alphas"]),
            str(arrays[f"{prefix}metric"]),
        )
        if ctx.level not in LEVELS:
            raise ValueError(f"unknown context level {ctx.level!r}")
        ctx.alpha_ = float(arrays[f"{prefix}alpha"])
        ctx.cv_ = np.asarray(arrays[f"{prefix}cv"], dtype=np.float64)
        # models saved before the shrunk selection (issue 20) have no standard errors: NaN
        ctx.gain_se_ = np.asarray(arrays.get(f"{prefix}gain_se", np.full(ctx.cv_.shape, np.nan)),
                                  dtype=np.float64)
        ctx.lift_ = float(arrays.get(f"{prefix}lift", np.nan))
        ctx.z_ = float(arrays.get(f"{prefix}z", np.nan))
        ctx.logit_columns_ = np.asarray(arrays[f"{prefix}logit_columns"], dtype=bool)
        return ctx


def group_mates(data: Dataset, level: str, row: int) -> np.ndarray:
    """Indices of the other rows of ``row``'s group at ``level`` in ``data`` (the tracks a
    group context blends it with)."""
    members = _group_column(data, level)
    mates = np.flatnonzero(members == members[row])
    return mates[mates != row]
