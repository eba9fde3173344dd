"""Declarative model parameters, in the spirit of scikit-learn's ``_parameter_constraints``.

Each model class lists its parameters once (``DecisionModel.params``): name, kind, default,
allowed values, help, and whether the CLI's ``train`` and the app's Models form expose it. That
one list drives the constructor's defaults, validation (a :class:`TrainingError` naming the bad
option and what is allowed), the CLI flags, the app's widgets and the manifest's config.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import TrainingError

Kind = type[int] | type[float] | type[str] | type[tuple]
Closed = Literal["both", "left", "right", "neither"]
_NOUNS = {int: "an integer", float: "a number", str: "text", tuple: "numbers"}


@dataclass(frozen=True)
class Param:
    """One constructor parameter of a model.

    ``kind`` is ``int``, ``float``, ``str`` or ``tuple`` (a tuple of floats). ``choices`` (for
    ``str``) is a tuple or a function returning one, for values whose owner module is costly to
    import. ``low`` / ``high`` bound numbers (each element of a tuple), ``closed`` says which
    bounds are included. ``exposed`` parameters are CLI ``train`` flags and fields of the app's
    form.
    """

    name: str
    kind: Kind
    default: Any
    help: str
    choices: tuple[str, ...] | Callable[[], Sequence[str]] | None = None
    low: float | None = None
    high: float | None = None
    closed: Closed = "both"
    exposed: bool = False

    @property
    def flag(self) -> str:
        """The CLI flag: ``--name`` with dashes."""
        return "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """The app's widget label."""
        return self.name.replace("_", " ").capitalize()

    def allowed(self) -> tuple[str, ...] | None:
        """The allowed values of a choice parameter, else None."""
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def describe(self) -> str:
        """What values are allowed, in words (for errors and help)."""
        allowed = self.allowed()
        if allowed is not None:
            return "one of " + ", ".join(allowed)
        noun = _NOUNS[self.kind]
        bounds = []
        if self.low is not None:
            bounds.append((">= " if self.closed in ("both", "left") else "> ") + f"{self.low:g}")
        if self.high is not None:
            bounds.append(("<= " if self.closed in ("both", "right") else "< ") + f"{self.high:g}")
        return noun + (" " + " and ".join(bounds) if bounds else "")

    def check(self, value: Any) -> Any:
        """``value`` validated and normalised (JSON-ready: a tuple becomes a list of floats)."""
        allowed = self.allowed()
        if allowed is not None:
            if value not in allowed:
                raise TrainingError(f"unknown {self.name} {value!r}; known: {', '.join(allowed)}")
            return str(value)
        if self.kind is tuple:
            items = list(value) if isinstance(value, list | tuple) else None
            if not items or not all(_is_number(v, float) for v in items):
                raise self._error(value)
            for v in items:
                self._check_bounds(v, value)
            return [float(v) for v in items]
        if not _is_number(value, self.kind) and not (self.kind is str and isinstance(value, str)):
            raise self._error(value)
        if self.kind is str:
            return value
        self._check_bounds(value, value)
        return self.kind(value)

    def from_config(self, value: Any) -> Any:
        """A manifest's JSON value as the constructor takes it (lists back to tuples)."""
        return tuple(value) if self.kind is tuple and isinstance(value, list) else value

    def parse(self, text: str) -> Any:
        """A CLI argument's text as a checked value (raises ValueError with the reason)."""
        try:
            value = self.kind(text) if self.kind in (int, float) else text
        except ValueError:
            raise ValueError(f"{text!r} is not {_NOUNS[self.kind]}") from None
        try:
            return value if self.allowed() is not None else self.check(value)
        except TrainingError as exc:
            raise ValueError(str(exc)) from None

    def _check_bounds(self, v: float, shown: Any) -> None:
        low_ok = self.low is None or (
            v >= self.low if self.closed in ("both", "left") else v > self.low
        )
        high_ok = self.high is None or (
            v <= self.high if self.closed in ("both", "right") else v < self.high
        )
        if not (low_ok and high_ok):
            raise self._error(shown)

    def _error(self, value: Any) -> TrainingError:
        return TrainingError(f"{self.name} must be {self.describe()}, got {value!r}")


def _is_number(value: Any, kind: Kind) -> bool:
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, numbers.Integral)
    return kind is float and isinstance(value, numbers.Real)
