"""User-facing errors: each says what is wrong and where (file, column, row)."""

from __future__ import annotations

from collections.abc import Sequence


def preview(items: Sequence[object], limit: int = 5) -> str:
    """The first ``limit`` items joined by commas, with an ellipsis when there are more."""
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (" …" if len(items) > limit else "")


class MewoError(Exception):
    """Base class of the errors a user can cause and fix; never shown as a traceback."""


class DataError(MewoError):
    """A data file is missing, malformed or inconsistent with another file."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.column = column
        self.row = row
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"line {self.row}")
        return f"{', '.join(where)}: {self.detail}" if where else self.detail


class ArtifactError(MewoError):
    """A saved model is missing, damaged, of an unknown format or for other data."""


class TrainingError(MewoError):
    """Training could not run with the given data or settings."""
