"""Tag taxonomy: every column's class (genres, instruments, moods) and category."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError, preview

CLASSES = ("genres", "instruments", "moods")
OTHER = "other"

# Prefix spellings seen in the challenge (genres-x), in MTG-Jamendo (genre---x, mood/theme---x)
# and for category-score columns (category-genres-x).
_PREFIXES = (
    (re.compile(r"^(?:category[-_])?genres?(?:---|[-_/:])", re.IGNORECASE), "genres"),
    (re.compile(r"^(?:category[-_])?instruments?(?:---|[-_/:])", re.IGNORECASE), "instruments"),
    (re.compile(r"^(?:category[-_])?moods?(?:/themes?)?(?:---|[-_/:])", re.IGNORECASE), "moods"),
)


def infer_class(column: str) -> str:
    """Class of a column from its name's prefix; ``"other"`` when none matches."""
    for pattern, name in _PREFIXES:
        if pattern.match(column):
            return name
    return OTHER


@dataclass(frozen=True)
class Taxonomy:
    """Class and category of each column, in column order."""

    columns: tuple[str, ...]
    classes: tuple[str, ...]
    categories: tuple[str, ...]

    @classmethod
    def infer(cls, columns: Iterable[str]) -> Taxonomy:
        """Classes from name prefixes; each column's category is its class."""
        cols = tuple(columns)
        classes = tuple(infer_class(c) for c in cols)
        return cls(cols, classes, classes)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, columns: Sequence[str], file: str = "taxonomy"
    ) -> Taxonomy:
        """Taxonomy for ``columns`` from a ``column,class,category`` table; gaps are inferred."""
        missing = [c for c in ("column", "class", "category") if c not in frame.columns]
        if missing:
            raise DataError(
                f"missing column(s) {', '.join(missing)}; expected header column,class,category",
                file=file,
            )
        frame = frame.astype({"column": str, "class": str, "category": str})
        dup = frame["column"][frame["column"].duplicated()]
        if len(dup):
            raise DataError(
                f"column '{dup.iloc[0]}' is listed twice", file=file, row=int(dup.index[0]) + 2
            )
        known = set(columns)
        unknown = [c for c in frame["column"] if c not in known]
        if unknown:
            raise DataError(
                f"{len(unknown)} column(s) not in the data: {preview(unknown)}", file=file
            )
        for field in ("class", "category"):
            blank = frame[field].str.strip().isin(["", "nan"])
            if blank.any():
                row = int(blank.to_numpy().argmax())
                raise DataError(f"empty {field}", file=file, column=field, row=row + 2)
        given = frame.set_index("column")
        inferred = cls.infer(columns)
        classes, categories = [], []
        for col, cls_guess in zip(columns, inferred.classes, strict=True):
            if col in given.index:
                classes.append(str(given.at[col, "class"]).strip())
                categories.append(str(given.at[col, "category"]).strip())
            else:
                classes.append(cls_guess)
                categories.append(cls_guess)
        return cls(tuple(columns), tuple(classes), tuple(categories))

    @classmethod
    def read(cls, path: str | Path, columns: Sequence[str]) -> Taxonomy:
        """Read ``taxonomy.csv`` for the given columns."""
        path = Path(path)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot be read as CSV ({exc})", file=path.name) from None
        return cls.from_frame(frame, columns, file=path.name)

    def class_of(self, column: str) -> str:
        return self.classes[self.columns.index(column)]

    def category_of(self, column: str) -> str:
        return self.categories[self.columns.index(column)]

    def subset(self, columns: Sequence[str]) -> Taxonomy:
        """The same taxonomy restricted to (and ordered like) ``columns``."""
        pos = {c: i for i, c in enumerate(self.columns)}
        idx = [pos[c] for c in columns]
        return Taxonomy(
            tuple(columns),
            tuple(self.classes[i] for i in idx),
            tuple(self.categories[i] for i in idx),
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"column": self.columns, "class": self.classes, "category": self.categories}
        )

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "columns": list(self.columns),
            "classes": list(self.classes),
            "categories": list(self.categories),
        }

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> Taxonomy:
        return cls(tuple(data["columns"]), tuple(data["classes"]), tuple(data["categories"]))
