"""What an editor promises: a target such as ``precision>=0.9``, per tag or per category.

:func:`parse_target` reads one target, :func:`read_targets_csv` a ``category,metric,target``
file (one row per category), :func:`resolve_targets` gives every tag its target. Errors name
what is wrong and where (the option, or the file and line).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, TrainingError, preview

#: What a target may bound from below.
METRICS = ("precision", "recall")
#: Scopes: each tag its own threshold, or one threshold shared by a category's / class's tags.
SCOPES = ("tag", "category", "class")
CSV_COLUMNS = ("category", "metric", "target")

_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_TARGET = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(>=|≥)\s*" + _NUMBER + r"\s*(%?)\s*$")


@dataclass(frozen=True, order=True)
class Target:
    """``metric >= value`` on new tracks (``metric`` in :data:`METRICS`, ``0 < value < 1``)."""

    metric: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}>={self.value:g}"


def parse_target(text: str, where: str = "--target") -> Target:
    """``"precision>=0.9"`` (or ``recall>=80%``) as a :class:`Target`; a TrainingError
    naming ``where`` and the expected form otherwise."""
    match = _TARGET.match(str(text))
    if not match:
        raise TrainingError(
            f"{where}: cannot read target {text!r}; write METRIC>=VALUE with METRIC one of "
            f"{', '.join(METRICS)} and VALUE between 0 and 1, e.g. precision>=0.9"
        )
    metric, _, number, percent = match.groups()
    metric = metric.lower()
    if metric not in METRICS:
        raise TrainingError(
            f"{where}: unknown target metric {metric!r}; known: {', '.join(METRICS)}"
        )
    value = float(number) / (100 if percent else 1)
    if not (0 < value < 1) or not math.isfinite(value):
        raise TrainingError(f"{where}: the target value must be between 0 and 1 (exclusive), "
                            f"got {number}{percent}")  # fmt: skip
    return Target(metric, value)


def read_targets_csv(path: str | Path) -> dict[str, Target]:
    """A ``category,metric,target`` CSV as category -> :class:`Target` (DataError naming the
    file and line on a missing file, a wrong header, a bad or repeated row)."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError("targets file not found", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the targets file ({exc})", file=name) from None
    rows = list(csv.reader(text.splitlines()))
    rows = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows:
        raise DataError("the targets file is empty; expected a header category,metric,target",
                        file=name)  # fmt: skip
    line, header = rows[0]
    header = tuple(c.strip().lower() for c in header)
    if header != CSV_COLUMNS:
        raise DataError(f"header must be {','.join(CSV_COLUMNS)}, got {','.join(header)}",
                        file=name, row=line)  # fmt: skip
    targets: dict[str, Target] = {}
    for line, row in rows[1:]:
        if len(row) != len(CSV_COLUMNS):
            raise DataError(f"expected 3 values (category,metric,target), got {len(row)}",
                            file=name, row=line)  # fmt: skip
        category, metric, value = (c.strip() for c in row)
        if not category:
            raise DataError("empty category", file=name, row=line)
        if category in targets:
            raise DataError(f"category {category!r} is given twice", file=name, row=line)
        try:
            targets[category] = parse_target(f"{metric}>={value}", where="target")
        except TrainingError as exc:
            raise DataError(str(exc).removeprefix("target: "), file=name, row=line) from None
    if not targets:
        raise DataError("the targets file has a header but no row", file=name)
    return targets


def resolve_targets(
    tag_categories: Sequence[str],
    default: Target | None,
    by_category: Mapping[str, Target] | None = None,
    where: str = "targets",
) -> list[Target]:
    """Each tag's target: its category's row of ``by_category``, else ``default``.

    A category of ``by_category`` that no tag has, or a tag left with no target (no row for
    its category and no ``default``), is a TrainingError naming them.
    """
    by_category = dict(by_category or {})
    known = set(tag_categories)
    unknown = sorted(set(by_category) - known)
    if unknown:
        names = preview([repr(u) for u in unknown])
        raise TrainingError(f"{where}: no tag has the category {names}; "
                            f"the categories are: {preview(sorted(known), 8)}")  # fmt: skip
    if default is None:
        missing = sorted(known - set(by_category))
        if missing:
            raise TrainingError(
                f"{where} gives no target for the categories {preview(missing)}; add rows for "
                "them or pass --target for the rest"
            )
    return [by_category.get(c, default) for c in tag_categories]  # type: ignore[misc]


def scope_keys(scope: str, tag_names: Sequence[str], tag_categories: Sequence[str],
               tag_classes: Sequence[str]) -> list[str]:  # fmt: skip
    """Per tag, the name of the unit sharing its threshold: the tag, its category or class."""
    if scope not in SCOPES:
        raise TrainingError(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")
    return list({"tag": tag_names, "category": tag_categories, "class": tag_classes}[scope])
