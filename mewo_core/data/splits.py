"""Every split of the project, from one grouped primitive, and the spec that re-derives them.

:func:`group_positions` is the one primitive: the distinct groups (album, artist… or each track)
in a seeded random order, drawn from the stream ``[seed, purpose]`` so that each purpose
(holdout, validation, folds, halves) has its own independent order. A held-out part is a prefix
of that order, folds and halves are positions modulo k: whole groups stay together.

:class:`SplitSpec` (fractions, seed, group column, method version) is what a model's manifest
records; :meth:`SplitSpec.split` re-derives exactly the fit / validation / test parts it was
trained and scored on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .dataset import DataBundle, Dataset

METHOD = "grouped-permutation-v1"

# One random stream per purpose.
HOLDOUT, VALIDATION, FOLDS, HALVES = 1, 2, 3, 4


def default_group_column(groups: pd.DataFrame | None) -> str | None:
    """The coarsest grouping (fewest distinct groups, e.g. artist over album): the safest split."""
    if groups is None or groups.shape[1] == 0:
        return None
    counts = {c: groups[c].nunique() for c in groups.columns}
    return min(counts, key=lambda c: (counts[c], list(groups.columns).index(c)))


def group_labels(data: Dataset, group_column: str | None = None) -> np.ndarray:
    """One group label per row: the chosen group column, or each track its own group."""
    column = group_column or default_group_column(data.groups)
    if column is None:
        return np.arange(data.n_tracks)
    if data.groups is None or column not in data.groups.columns:
        raise DataError(f"no group column '{column}'", file="groups.csv")
    return data.groups[column].to_numpy()


def group_positions(labels: np.ndarray, seed: int, purpose: int) -> tuple[np.ndarray, int]:
    """Per row, the position of its group in a seeded order of the groups; and the group count."""
    uniq, inverse = np.unique(labels, return_inverse=True)
    position = np.empty(uniq.size, dtype=np.int64)
    position[np.random.default_rng([seed, purpose]).permutation(uniq.size)] = np.arange(uniq.size)
    return position[inverse.reshape(-1)], int(uniq.size)


def held_out_mask(labels: np.ndarray, fraction: float, seed: int, purpose: int) -> np.ndarray:
    """Rows of about ``fraction`` of the groups (at least one group, never all)."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be in (0, 1)")
    position, n_groups = group_positions(labels, seed, purpose)
    if n_groups < 2:
        raise DataError("cannot split: fewer than two groups")
    n_held = min(max(1, round(fraction * n_groups)), n_groups - 1)
    return position < n_held


def fold_of_groups(labels: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold number (0 .. n_folds-1) per row, whole groups together, seeded."""
    position, _ = group_positions(labels, seed, FOLDS)
    return position % n_folds


def group_halves(labels: np.ndarray, seed: int) -> np.ndarray:
    """Boolean mask of half A: a seeded half of the distinct groups, whole."""
    position, n_groups = group_positions(labels, seed, HALVES)
    return position < max(1, n_groups // 2)


def split_dataset(
    data: Dataset,
    fraction: float,
    seed: int = 0,
    *,
    group_column: str | None = None,
    purpose: int = VALIDATION,
    names: tuple[str, str] = ("train", "validation"),
) -> tuple[Dataset, Dataset]:
    """Seeded split putting about ``fraction`` of the groups (or tracks) in the second part."""
    labels = group_labels(data, group_column)
    try:
        mask = held_out_mask(labels, fraction, seed, purpose)
    except DataError as exc:
        raise DataError(exc.detail, file=data.name) from None
    return data.subset(np.flatnonzero(~mask), names[0]), data.subset(np.flatnonzero(mask), names[1])


def holdout_split(
    data: Dataset, fraction: float, seed: int, group_column: str | None = None
) -> tuple[Dataset, Dataset]:
    """(train, test) of a folder without test files: a grouped holdout of its train data."""
    return split_dataset(
        data, fraction, seed, group_column=group_column, purpose=HOLDOUT, names=("train", "test")
    )


def group_kfold(
    data: Dataset, n_folds: int = 5, seed: int = 0, group_column: str | None = None
) -> list[np.ndarray]:
    """A list of ``n_folds`` arrays of held-out row indices, whole groups per fold."""
    labels = group_labels(data, group_column)
    n_groups = np.unique(labels).size
    if n_groups < n_folds:
        raise DataError(f"cannot make {n_folds} folds from {n_groups} groups", file=data.name)
    fold = fold_of_groups(labels, n_folds, seed)
    return [np.flatnonzero(fold == k) for k in range(n_folds)]


@dataclass(frozen=True)
class Splits:
    """The parts a model is trained, tuned and scored on."""

    train: Dataset  # everything but test (threshold baselines tune here)
    fit: Dataset  # train minus validation (learned models fit here)
    validation: Dataset
    test: Dataset


@dataclass(frozen=True)
class SplitSpec:
    """How a folder is split: recorded in every manifest, so the splits can be re-derived."""

    holdout: float = 0.2  # of the groups, used only when the folder has no test files
    validation: float = 0.2  # of train's groups
    seed: int = 0
    group_column: str | None = None  # None: the coarsest grouping present
    method: str = METHOD

    def split(self, bundle: DataBundle) -> Splits:
        """The fit / validation / test parts of ``bundle`` under this spec."""
        if self.method != METHOD:
            raise DataError(
                f"split method '{self.method}' is not known to this version ({METHOD})"
            )
        if bundle.test is not None:
            train, test = bundle.train, bundle.test
        else:
            train, test = holdout_split(bundle.train, self.holdout, self.seed, self.group_column)
        fit, validation = split_dataset(
            train, self.validation, self.seed, group_column=self.group_column
        )
        return Splits(train=train, fit=fit, validation=validation, test=test)

    def resolved(self, data: Dataset) -> SplitSpec:
        """This spec with the group column made explicit for ``data`` (as manifests store it)."""
        column = self.group_column or default_group_column(data.groups)
        return SplitSpec(self.holdout, self.validation, self.seed, column, self.method)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> SplitSpec:
        """Read a manifest's ``split_spec``; a clear error for a malformed one."""
        try:
            return cls(
                holdout=float(spec["holdout"]),
                validation=float(spec["validation"]),
                seed=int(spec["seed"]),
                group_column=spec.get("group_column"),
                method=str(spec["method"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"malformed split spec in the manifest ({exc})") from None

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any] | None) -> SplitSpec:
        """The spec a model was trained with; the default spec for an older manifest (by seed)."""
        manifest = manifest or {}
        if "split_spec" in manifest:
            return cls.from_dict(manifest["split_spec"])
        try:
            return cls(seed=int(manifest.get("seed", 0)))
        except (TypeError, ValueError):
            return cls()


def ids_digest(data: Dataset) -> str:
    """A short sha256 of a part's track ids: checks that a re-derived split is the same."""
    return hashlib.sha256(np.ascontiguousarray(data.ids, dtype=np.int64).tobytes()).hexdigest()[:16]
