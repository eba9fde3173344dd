"""Datasets in the challenge's shape: x (scores) and y (labels) matched by ``ChallengeID``.

Tags are the columns of y; x columns absent from y are extra input features (category scores).
A data folder holds ``x_train``/``y_train`` (and optionally ``x_test``/``y_test``), or ``x``/``y``,
as ``.csv`` or ``.parquet``, with optional ``taxonomy.csv`` and ``groups.csv`` beside them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, preview
from .tables import ID_COLUMN, read_table
from .taxonomy import Taxonomy

Source = str | Path | bytes


def columns_or_neg_inf(X: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``X[:, index]``, with -inf in the columns whose index is -1 (no such column)."""
    out = X[:, np.maximum(index, 0)]
    if (index < 0).any():
        out[:, index < 0] = -np.inf
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """Scores ``X`` (float32, tracks x features) and labels ``Y`` (uint8, tracks x tags).

    ``Y`` is ``None`` for unlabelled data (prediction only). ``groups`` holds one column per
    grouping (album_id, artist_id…) aligned with the rows, or is ``None``.
    """

    X: np.ndarray
    Y: np.ndarray | None
    ids: np.ndarray
    feature_names: tuple[str, ...]
    tag_names: tuple[str, ...]
    taxonomy: Taxonomy
    groups: pd.DataFrame | None = None
    name: str = "dataset"
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_tracks(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_tags(self) -> int:
        return len(self.tag_names)

    @cached_property
    def tag_feature_index(self) -> np.ndarray:
        """Position in ``X`` of each tag's own score column, -1 when x has none."""
        pos = {f: i for i, f in enumerate(self.feature_names)}
        return np.array([pos.get(t, -1) for t in self.tag_names], dtype=np.int64)

    @cached_property
    def extra_feature_index(self) -> np.ndarray:
        """Positions in ``X`` of the features that are not tag scores (category scores)."""
        tags = set(self.tag_names)
        return np.array(
            [i for i, f in enumerate(self.feature_names) if f not in tags], dtype=np.int64
        )

    def tag_scores(self) -> np.ndarray:
        """Scores aligned with the tags (tracks x tags); a tag without a score column gets -inf."""
        return columns_or_neg_inf(self.X, self.tag_feature_index)

    @property
    def tag_classes(self) -> tuple[str, ...]:
        return self.taxonomy.subset(self.tag_names).classes

    @property
    def tag_categories(self) -> tuple[str, ...]:
        return self.taxonomy.subset(self.tag_names).categories

    def require_labels(self) -> np.ndarray:
        if self.Y is None:
            raise DataError("this data has no labels (y file)", file=self.name)
        return self.Y

    def subset(self, rows: np.ndarray, name: str | None = None) -> Dataset:
        """The rows ``rows`` (indices or a boolean mask) as a new dataset."""
        rows = np.asarray(rows)
        groups = None if self.groups is None else self.groups.iloc[rows].reset_index(drop=True)
        return replace(
            self,
            X=self.X[rows],
            Y=None if self.Y is None else self.Y[rows],
            ids=self.ids[rows],
            groups=groups,
            name=name or self.name,
        )

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of ids, names, scores and labels: the identity of this data."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.feature_names).encode())
        h.update(b"\x1e")
        h.update("\x1f".join(self.tag_names).encode())
        h.update(np.ascontiguousarray(self.ids).tobytes())
        h.update(np.ascontiguousarray(self.X).tobytes())
        if self.Y is not None:
            h.update(np.ascontiguousarray(self.Y).tobytes())
        return h.hexdigest()[:16]

    def labels_frame(self, decisions: np.ndarray | None = None) -> pd.DataFrame:
        """``ChallengeID`` + one 0/1 column per tag (the challenge's y shape)."""
        values = self.require_labels() if decisions is None else decisions
        frame = pd.DataFrame(np.asarray(values, dtype=np.uint8), columns=list(self.tag_names))
        frame.insert(0, ID_COLUMN, self.ids)
        return frame


@dataclass(frozen=True, eq=False)
class DataBundle:
    """The train data and, when given, the test data of one folder."""

    train: Dataset
    test: Dataset | None
    folder: str = ""

    def holdout(self, fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
        """(train, test): the given test files, or a seeded grouped split of train."""
        if self.test is not None:
            return self.train, self.test
        return split_dataset(self.train, fraction, seed, names=("train", "test"))


def load_xy(
    x: Source,
    y: Source | None = None,
    *,
    taxonomy: Source | pd.DataFrame | None = None,
    groups: Source | pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    dataset_name: str | None = None,
) -> Dataset:
    """Load one x file (and its y file) into a :class:`Dataset`, rows matched by ``ChallengeID``.

    ``names`` gives display names for sources passed as bytes (keys ``x``, ``y``, ``taxonomy``,
    ``groups``).
    """
    names = dict(names or {})
    x_name = names.get("x") or _label(x, "x")
    x_frame = read_table(x, x_name)
    features = tuple(x_frame.columns[1:])
    if not features:
        raise DataError("no score columns besides ChallengeID", file=x_name, row=1)
    ids = x_frame[ID_COLUMN].to_numpy()
    X = x_frame.iloc[:, 1:].to_numpy(dtype=np.float32)
    warnings: list[str] = []
    Y = None
    if y is not None:
        y_name = names.get("y") or _label(y, "y")
        y_frame = read_table(y, y_name, labels=True)
        tags = tuple(y_frame.columns[1:])
        if not tags:
            raise DataError("no tag columns besides ChallengeID", file=y_name, row=1)
        Y = _align_labels(x_frame, y_frame, x_name, y_name)
        no_score = [t for t in tags if t not in set(features)]
        if no_score:
            warnings.append(
                f"{len(no_score)} tag(s) of {y_name} have no score column in {x_name} "
                f"({preview(no_score)}): the threshold "
                "baseline never predicts them; models learn them from the other scores"
            )
    else:
        tags = tuple(features)
    all_columns = list(dict.fromkeys([*features, *tags]))
    tax = _load_taxonomy(taxonomy, all_columns, names.get("taxonomy"))
    grp = _load_groups(groups, ids, x_name, names.get("groups")) if groups is not None else None
    return Dataset(
        X=X,
        Y=Y,
        ids=ids.astype(np.int64),
        feature_names=features,
        tag_names=tags,
        taxonomy=tax,
        groups=grp,
        name=dataset_name or x_name,
        warnings=tuple(warnings),
    )


def _label(source: Source | pd.DataFrame, default: str) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return default


def _align_labels(x: pd.DataFrame, y: pd.DataFrame, x_name: str, y_name: str) -> np.ndarray:
    x_ids = x[ID_COLUMN].to_numpy()
    y_ids = y[ID_COLUMN].to_numpy()
    y_pos = pd.Index(y_ids).get_indexer(x_ids)
    if (y_pos < 0).any():
        row = int(np.flatnonzero(y_pos < 0)[0])
        n = int((y_pos < 0).sum())
        raise DataError(
            f"id {x_ids[row]} is not in {y_name} ({n} id(s) of {x_name} have no labels)",
            file=x_name,
            column=ID_COLUMN,
            row=row + 2,
        )
    if len(y_ids) != len(x_ids):
        extra = np.setdiff1d(y_ids, x_ids)
        row = int(np.flatnonzero(y_ids == extra[0])[0])
        raise DataError(
            f"id {extra[0]} is not in {x_name} ({extra.size} id(s) of {y_name} have no scores)",
            file=y_name,
            column=ID_COLUMN,
            row=row + 2,
        )
    return y.iloc[:, 1:].to_numpy(dtype=np.uint8)[y_pos]


def _load_taxonomy(
    source: Source | pd.DataFrame | None, columns: list[str], name: str | None
) -> Taxonomy:
    if source is None:
        return Taxonomy.infer(columns)
    if isinstance(source, pd.DataFrame):
        return Taxonomy.from_frame(source, columns, file=name or "taxonomy")
    if isinstance(source, bytes):
        import io

        label = name or "taxonomy.csv"
        try:
            frame = pd.read_csv(io.BytesIO(source), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot be read as CSV ({exc})", file=label) from None
        return Taxonomy.from_frame(frame, columns, file=label)
    return Taxonomy.read(source, columns)


def _load_groups(
    source: Source | pd.DataFrame, ids: np.ndarray, x_name: str, name: str | None
) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        label = name or "groups"
        frame = source
        if ID_COLUMN not in frame.columns:
            raise DataError(f"no '{ID_COLUMN}' column", file=label, row=1)
    else:
        label = name or _label(source, "groups.csv")
        frame = read_table(source, label)
    group_cols = [c for c in frame.columns if c != ID_COLUMN]
    if not group_cols:
        raise DataError("no group column besides ChallengeID (e.g. album_id)", file=label, row=1)
    pos = pd.Index(frame[ID_COLUMN].to_numpy()).get_indexer(ids)
    if (pos < 0).any():
        n = int((pos < 0).sum())
        first = ids[np.flatnonzero(pos < 0)[0]]
        raise DataError(
            f"{n} id(s) of {x_name} have no group, e.g. id {first}", file=label, column=ID_COLUMN
        )
    out = frame[group_cols].iloc[pos].reset_index(drop=True)
    return out.astype(np.int64)


def _find(folder: Path, stem: str) -> Path | None:
    for ext in (".csv", ".parquet"):
        path = folder / f"{stem}{ext}"
        if path.exists():
            return path
    return None


def load_folder(folder: str | Path) -> DataBundle:
    """Load a data folder (see the module docstring) with its taxonomy and groups."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("data folder not found", file=str(folder))
    taxonomy = folder / "taxonomy.csv" if (folder / "taxonomy.csv").exists() else None
    groups = _find(folder, "groups")
    x_train, y_train = _find(folder, "x_train"), _find(folder, "y_train")
    if x_train is None:
        x_train, y_train = _find(folder, "x"), _find(folder, "y")
    if x_train is None:
        raise DataError("no x_train.csv (or x.csv) in this folder", file=str(folder))
    if y_train is None:
        raise DataError(
            f"no labels file beside {x_train.name} (y_train.csv or y.csv)", file=str(folder)
        )
    train = load_xy(x_train, y_train, taxonomy=taxonomy, groups=groups, dataset_name="train")
    test = None
    x_test, y_test = _find(folder, "x_test"), _find(folder, "y_test")
    if (x_test is None) != (y_test is None):
        present = (x_test or y_test).name
        raise DataError(
            f"{present} has no partner ({'y' if x_test else 'x'}_test.csv): give both test "
            "files, or neither to get a grouped holdout of train",
            file=str(folder),
        )
    if x_test is not None and y_test is not None:
        test = load_xy(x_test, y_test, taxonomy=taxonomy, groups=groups, dataset_name="test")
        check_same_columns(train, test)
    return DataBundle(train=train, test=test, folder=str(folder))


def check_same_columns(reference: Dataset, other: Dataset) -> None:
    """Refuse data whose features or tags differ from the reference's, naming the differences."""
    for kind, ref, got in (
        ("feature", reference.feature_names, other.feature_names),
        ("tag", reference.tag_names, other.tag_names),
    ):
        if ref == got:
            continue
        missing = [c for c in ref if c not in set(got)]
        extra = [c for c in got if c not in set(ref)]
        parts = []
        if missing:
            parts.append(f"missing {kind}s: {preview(missing)}")
        if extra:
            parts.append(f"extra {kind}s: {preview(extra)}")
        if not parts:
            parts.append(f"{kind} columns are in another order")
        raise DataError(
            f"{kind} columns differ from {reference.name}: " + "; ".join(parts), file=other.name
        )


def align_columns(reference_features: tuple[str, ...], data: Dataset) -> Dataset:
    """``data`` with its features reordered like ``reference_features`` (missing ones refused)."""
    if data.feature_names == reference_features:
        return data
    pos = {f: i for i, f in enumerate(data.feature_names)}
    missing = [f for f in reference_features if f not in pos]
    if missing:
        raise DataError(
            f"missing feature columns: {preview(missing)}",
            file=data.name,
        )
    idx = [pos[f] for f in reference_features]
    return replace(data, X=data.X[:, idx], feature_names=tuple(reference_features))


# --- splits -------------------------------------------------------------------------------------


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


def split_dataset(
    data: Dataset,
    fraction: float,
    seed: int = 0,
    *,
    group_column: str | None = None,
    names: tuple[str, str] = ("train", "validation"),
) -> tuple[Dataset, Dataset]:
    """Seeded split putting about ``fraction`` of the groups (or tracks) in the second part.

    With groups, no group is on both sides.
    """
    if not 0 < fraction < 1:
        raise ValueError("fraction must be in (0, 1)")
    labels = group_labels(data, group_column)
    uniq = np.unique(labels)
    if uniq.size < 2:
        raise DataError("cannot split: fewer than two groups", file=data.name)
    rng = np.random.default_rng(seed)
    n_held = min(max(1, round(fraction * uniq.size)), uniq.size - 1)
    held = rng.choice(uniq, size=n_held, replace=False)
    mask = np.isin(labels, held)
    return data.subset(np.flatnonzero(~mask), names[0]), data.subset(np.flatnonzero(mask), names[1])


def group_kfold(
    data: Dataset, n_folds: int = 5, seed: int = 0, group_column: str | None = None
) -> list[np.ndarray]:
    """Fold number per group: a list of ``n_folds`` arrays of held-out row indices."""
    labels = group_labels(data, group_column)
    n_groups = np.unique(labels).size
    if n_groups < n_folds:
        raise DataError(f"cannot make {n_folds} folds from {n_groups} groups", file=data.name)
    fold = fold_of_groups(labels, n_folds, seed)
    return [np.flatnonzero(fold == k) for k in range(n_folds)]


def fold_of_groups(labels: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold number (0 .. n_folds-1) per row, whole groups together, seeded."""
    uniq, inverse = np.unique(labels, return_inverse=True)
    fold_of_group = np.random.default_rng(seed).permutation(uniq.size) % n_folds
    return fold_of_group[inverse.reshape(-1)]
