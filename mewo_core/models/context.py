"""Group context: each track's scores blended with the mean scores of its album (or artist).

Tracks of one album share much of their tagging (a production-music album is often built
around one mood or style), while a tagger scores each track alone. :class:`GroupContext`
blends every input score with its group's mean, in logit space for probability columns::

    f'(x) = (1 - alpha) * f(x) + alpha * mean of f over x's group in the decided data

where ``f`` is the clipped logit (raw values for columns outside [0, 1]) and the result is
mapped back. ``alpha`` is chosen by grouped cross-validation on the training data alone, with
the benchmark's per-tag thresholds fitted on blended scores; ``alpha = 0`` is the identity, so
a model whose data show no album effect is the model without context, bit for bit.

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
#: Group-bootstrap replicates behind "clearly better than no blend".
BOOTSTRAP_REPLICATES = 500


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


class GroupContext:
    """Blend of each track's scores with its group's, weight chosen by grouped CV on train.

    ``fit(train)`` chooses ``alpha_`` among ``alphas`` by ``n_folds``-fold cross-validation
    grouped by the coarsest group column (artist over album), scoring the benchmark's per-tag
    thresholds on blended tag scores with ``metric`` F1 pooled over the held-out folds (a tie
    goes to the smaller weight). Weights are tried in increasing order and the search stops at
    the first that scores below the best before it (the curve is one-peaked on every data set
    measured), so data without an album effect costs two weights, not five.
    ``transform(data)`` blends ``data`` with itself.

    Learned: ``alpha_``, ``logit_columns_`` (the features blended in logit space), ``cv_``
    (the cross-validated F1 per weight; NaN for weights not tried).
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
        cv = np.full(len(self.alphas), np.nan)
        clear = np.zeros(len(self.alphas), dtype=bool)
        held_rows = np.concatenate([np.flatnonzero(folds == k) for k in range(self.n_folds)])
        truth = y[held_rows][:, scored]
        unblended = None
        for i, alpha in enumerate(self.alphas):
            decided = np.zeros_like(truth)
            at = 0
            for k in range(self.n_folds):
                fit_rows, held = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
                if held.size == 0 or fit_rows.size == 0:
                    continue
                s_fit = self._tag_scores(X[fit_rows], members[fit_rows], alpha, tags)
                s_held = self._tag_scores(X[held], members[held], alpha, tags)
                thresholds = f1_optimal_thresholds(s_fit[:, scored], y[fit_rows][:, scored])
                decided[at : at + held.size] = s_held[:, scored] >= thresholds
                at += held.size
            cv[i] = f1_scores(truth, decided)[self.metric]
            if unblended is None:
                unblended, clear[i] = decided, True
            else:
                clear[i] = self._clearly_above(truth, decided, unblended, cv_groups[held_rows])
            if i and cv[i] < np.nanmax(cv[:i]):
                break  # past the peak: heavier weights are not tried
        self.cv_ = cv
        best = 0
        if clear[1:].any():  # the context is on: the best-scoring weight above 0
            best = 1 + int(np.flatnonzero(cv[1:] >= np.nanmax(cv[1:]))[0])
        self.alpha_ = float(self.alphas[best])
        return self

    def _clearly_above(
        self, truth: np.ndarray, decided: np.ndarray, unblended: np.ndarray, groups: np.ndarray
    ) -> bool:
        """Whether ``decided`` beats ``unblended`` (held-out decisions of every fold) in
        ``metric`` F1 at the lower end of a one-sided 95 % paired group-bootstrap interval."""
        counts = group_counts(truth, [decided, unblended], groups, self.seed)
        reps = bootstrap(counts, BOOTSTRAP_REPLICATES, self.seed)
        gain = reps.averages(0)[self.metric] - reps.averages(1)[self.metric]
        return bool(np.quantile(gain, 0.05) > 0)

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
            f"{a:g}: {s:.4f}" for a, s in zip(self.alphas, self.cv_, strict=True) if np.isfinite(s)
        )
        return f"{self.level} context, weight {self.alpha_:g} (grouped CV {self.metric} F1: {cv})"

    # --- persistence: plain arrays in the model's npz -------------------------------------------
    def arrays(self, prefix: str = "context_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}level": np.array(self.level),
            f"{prefix}alpha": np.array(self.alpha_),
            f"{prefix}alphas": np.asarray(self.alphas, dtype=np.float64),
            f"{prefix}cv": self.cv_,
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
        ctx.logit_columns_ = np.asarray(arrays[f"{prefix}logit_columns"], dtype=bool)
        return ctx


def group_mates(data: Dataset, level: str, row: int) -> np.ndarray:
    """Indices of the other rows of ``row``'s group at ``level`` in ``data`` (the tracks a
    group context blends it with)."""
    members = _group_column(data, level)
    mates = np.flatnonzero(members == members[row])
    return mates[mates != row]
