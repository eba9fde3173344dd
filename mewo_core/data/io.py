"""Load data folders and files: x / y matched by ``ChallengeID``, taxonomy and groups.

A data folder holds ``x_train``/``y_train`` (and optionally ``x_test``/``y_test``), or ``x``/``y``,
as ``.csv`` or ``.parquet``, with optional ``taxonomy.csv`` and ``groups.csv`` beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, preview
from .atomic import atomic_file
from .dataset import DataBundle, Dataset, check_same_columns
from .tables import ID_COLUMN, read_table
from .taxonomy import Taxonomy

Source = str | Path | bytes


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
        try:
            y_frame = read_table(y, y_name, labels=True)
        except DataError as exc:
            if exc.detail.startswith("label ") and _only_zeros_and_ones(x_frame):
                raise DataError(
                    f"{exc.detail}: {y_name} holds scores while {x_name} holds only 0/1 values; "
                    "the x (scores) and y (labels) files look swapped",
                    file=exc.file, column=exc.column, row=exc.row,
                ) from None
            raise
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


def _only_zeros_and_ones(frame: pd.DataFrame) -> bool:
    """Whether every value besides the ids is 0 or 1 (labels, not scores)."""
    values = frame.iloc[:, 1:].to_numpy(dtype=np.float64)
    return bool(values.size) and bool(np.isin(values, (0.0, 1.0)).all())


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
    if isinstance(source, bytes) and source[:4] == b"PAR1":  # an uploaded Parquet taxonomy
        import io

        import pyarrow.parquet as pq

        label = name or "taxonomy.parquet"
        try:
            frame = pq.read_table(io.BytesIO(source)).to_pandas().astype(str)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot be read as Parquet ({exc})", file=label) from None
        return Taxonomy.from_frame(frame, columns, file=label)
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


def decisions_csv(data: Dataset, decisions: np.ndarray) -> bytes:
    """Decisions in the challenge's y shape (ChallengeID then one 0/1 column per tag), as CSV."""
    return data.labels_frame(decisions).to_csv(index=False).encode()


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV to ``path`` through a hidden temporary file renamed into place:
    a failed or interrupted write leaves ``path`` as it was. An OS error is a :class:`DataError`."""
    path = Path(path)
    try:
        with atomic_file(path, "w") as fh:
            frame.to_csv(fh, index=False)
    except OSError as exc:
        raise DataError(f"cannot write ({exc.strerror or exc})", file=str(path)) from None
    return path
