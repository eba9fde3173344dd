"""The decision-model interface shared by baselines and learned models."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from ..data import Dataset, align_columns
from ..data.taxonomy import Taxonomy
from ..errors import ArtifactError, DataError, TrainingError, preview
from .context import CHOICES as CONTEXT_CHOICES
from .context import LEVELS as LEVEL_COLUMNS
from .context import GroupContext, group_mates, resolve_level
from .params import Param
from .tuning import LEARNED, TuningRows


@dataclass(frozen=True)
class ProgressEvent:
    """One step of training: ``stage`` (e.g. "reservoirs", "transformer"), ``step`` of ``total``."""

    stage: str
    step: int
    total: int
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


ProgressCallback = Callable[[ProgressEvent], None]

#: The ``context`` parameter of the models that may blend a track with its album
#: (:mod:`mewo_core.models.context`).
CONTEXT_PARAM = Param(
    "context",
    str,
    "auto",
    "blend each track's scores with its album's or artist's, weight chosen by grouped CV "
    "(auto: album when groups.csv has albums)",
    choices=CONTEXT_CHOICES,
    exposed=True,
)


class DecisionModel(ABC):
    """Base of all decision models.

    ``fit(train, validation=None)`` learns; ``decision_scores(data)`` gives one score per
    (track, tag), higher meaning more likely; ``predict(data)`` compares them with the learned
    per-tag ``thresholds_`` (decision ``score >= threshold``).

    Parameters are declared once, in ``params`` (see :mod:`.params`): ``__init__`` only stores
    them (spec defaults for those not given), ``fit`` validates them, ``get_config`` /
    ``from_config`` write and read them for the manifest. Learned attributes end in ``_``:
    ``feature_names_``, ``tag_names_``, ``taxonomy_``, ``thresholds_``.
    """

    model_type: ClassVar[str]
    #: The constructor parameters, in positional order.
    params: ClassVar[tuple[Param, ...]] = ()
    #: Which split parts ``fit`` learns and tunes on (:mod:`.tuning`, the one owner of that rule):
    #: the fit part and the validation split here; threshold models use all of train.
    tuning: ClassVar[TuningRows] = LEARNED
    #: Rows ``_scores`` computes at a time, or None when a row's score never depends on the
    #: rows around it. BLAS and torch kernels round differently for other batch sizes, so a
    #: chunked caller (``mewo_core.predict``) scores whole blocks counted from the file's start
    #: to give the in-memory path's bits.
    score_block: ClassVar[int | None] = None
    #: The fitted group context (a model with a ``context`` parameter sets it in ``fit``);
    #: None: each track is decided alone.
    context_: GroupContext | None = None
    feature_names_: tuple[str, ...]
    tag_names_: tuple[str, ...]
    taxonomy_: Taxonomy
    thresholds_: np.ndarray

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=p.default
                )
                for p in cls.params
            ]  # fmt: skip
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Store the parameters of ``params`` (positional ones in its order); nothing else."""
        names = [p.name for p in self.params]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional values")
        given = dict(zip(names, args, strict=False))
        twice = sorted(set(given) & set(kwargs))
        if twice:
            raise TypeError(f"{type(self).__name__} got {', '.join(twice)} twice")
        given.update(kwargs)
        type(self)._refuse_unknown(given)
        for p in self.params:
            setattr(self, p.name, given.get(p.name, p.default))

    # --- parameters -----------------------------------------------------------------------------
    @classmethod
    def exposed_params(cls) -> tuple[Param, ...]:
        """The parameters the CLI's ``train`` and the app's Models form offer."""
        return tuple(p for p in cls.params if p.exposed)

    @classmethod
    def check_params(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` validated and normalised (JSON-ready); a bad one is a TrainingError."""
        cls._refuse_unknown(values)
        spec = {p.name: p for p in cls.params}
        checked = {name: spec[name].check(value) for name, value in values.items()}
        cls._check_combination({**{p.name: p.default for p in cls.params}, **checked})
        return checked

    @classmethod
    def _check_combination(cls, values: dict[str, Any]) -> None:
        """Constraints between parameters (raise TrainingError); none by default."""
        return None

    @classmethod
    def _refuse_unknown(cls, values: Mapping[str, Any]) -> None:
        known = {p.name for p in cls.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TrainingError(
                f"model '{cls.model_type}' takes no option {', '.join(unknown)}; "
                f"it takes: {', '.join(sorted(known)) or 'none'}"
            )

    def _validate_params(self) -> dict[str, Any]:
        """This model's parameters, checked (called by ``fit``)."""
        return self.check_params({p.name: getattr(self, p.name) for p in self.params})

    # --- learning -------------------------------------------------------------------------------
    @abstractmethod
    def fit(
        self,
        train: Dataset,
        validation: Dataset | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Learn from ``train``; tune on ``validation`` (a grouped split) where needed."""

    @abstractmethod
    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Scores (tracks x tags) for features already in ``feature_names_`` order."""

    def decision_scores(self, data: Dataset) -> np.ndarray:
        """Per (track, tag) the score that ``thresholds_`` apply to: the tagger's raw score
        (-inf where a tag has no score column) for threshold models; for the network, its
        probability on tags that keep the learned correction and the raw score elsewhere.
        With a group context, ``data``'s scores are first blended within its albums."""
        self._check_fitted()
        return self._scores(self.with_context(self.align(data)).X)

    def matrix_scores(self, X: np.ndarray) -> np.ndarray:
        """:meth:`decision_scores` of a float32 matrix already in ``feature_names_`` order (the
        streaming ``predict`` calls this per chunk: the same computation). A model with an
        active group context needs the rows' groups: blend them first (:meth:`with_context`,
        or :func:`mewo_core.models.context.blend`) and call :meth:`context_free_scores`."""
        self._check_fitted()
        if self.uses_context:
            raise DataError(
                f"this model blends each track with its {self.context_.level} "  # type: ignore[union-attr]
                "(group context), so a matrix without groups cannot be scored"
            )
        return self._scores(X)

    def context_free_scores(self, X: np.ndarray) -> np.ndarray:
        """The model's scores of ``X`` as given (features in order, already blended where the
        model has a group context)."""
        self._check_fitted()
        return self._scores(X)

    # --- group context (mewo_core/context.py) ---------------------------------------------------
    @property
    def uses_context(self) -> bool:
        """Whether a track's decision depends on the other tracks of its group."""
        return self.context_ is not None and self.context_.active

    def with_context(self, data: Dataset) -> Dataset:
        """``data`` (features in this model's order) blended by the fitted group context."""
        return self.context_.transform(data) if self.uses_context else data  # type: ignore[union-attr]

    def context_rows(self, data: Dataset, row: int) -> np.ndarray | None:
        """The raw scores (aligned features) of the tracks ``row`` is blended with in ``data``
        (the other tracks of its group), or None when the model has no active context."""
        if not self.uses_context:
            return None
        aligned = self.align(data)
        return aligned.X[group_mates(aligned, self.context_.level, row)]  # type: ignore[union-attr]

    def _fit_context(self, train: Dataset, *others: Dataset) -> tuple[Dataset, ...]:
        """Choose the group context on ``train`` (the ``context`` parameter), then return
        ``train`` and ``others`` (aligned datasets) blended by it."""
        level = resolve_level(getattr(self, "context", "none"), train)
        self.context_ = None
        if level is not None:
            self.context_ = GroupContext(
                level, metric=getattr(self, "metric", "weighted"), seed=getattr(self, "seed", 0)
            ).fit(train)
        return tuple(self.with_context(d) for d in (train, *others))

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Decisions (uint8, tracks x tags) for decision scores: ``scores >= thresholds_``."""
        return (scores >= self.thresholds_).astype(np.uint8)

    def predict(self, data: Dataset) -> np.ndarray:
        """Decisions (uint8, tracks x tags): ``decision_scores(data) >= thresholds_``."""
        return self.decide(self.decision_scores(data))

    def correction_weights(self) -> np.ndarray:
        """Per tag (``tag_names_`` order), the weight of a learned correction in
        :meth:`decision_scores`: 0 where the tag's decision is its raw score against its
        threshold. Threshold models have no correction: 0 everywhere."""
        self._check_fitted()
        return np.zeros(len(self.tag_names_))

    def with_thresholds(self, thresholds: np.ndarray) -> Self:
        """A copy of this fitted model with other per-tag thresholds."""
        import copy

        thresholds = np.asarray(thresholds, dtype=np.float64)
        if thresholds.shape != self.thresholds_.shape:
            raise ValueError(f"expected {self.thresholds_.shape[0]} thresholds")
        clone = copy.copy(self)
        clone.thresholds_ = thresholds.copy()
        return clone

    # --- bookkeeping ----------------------------------------------------------------------------
    def _remember_columns(self, train: Dataset) -> None:
        self.feature_names_ = tuple(train.feature_names)
        self.tag_names_ = tuple(train.tag_names)
        self.taxonomy_ = train.taxonomy.subset(
            list(dict.fromkeys([*train.feature_names, *train.tag_names]))
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "thresholds_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")

    def align(self, data: Dataset) -> Dataset:
        """``data`` with features in this model's order; clear error on missing columns."""
        try:
            return align_columns(self.feature_names_, data)
        except DataError as exc:
            raise DataError(
                f"this model needs the features it was trained on: {exc.detail}", file=data.name
            ) from None

    def check_tags(self, data: Dataset) -> None:
        """Refuse labelled data whose tags differ from the model's, naming them."""
        if data.tag_names == self.tag_names_:
            return
        missing = [t for t in self.tag_names_ if t not in set(data.tag_names)]
        extra = [t for t in data.tag_names if t not in set(self.tag_names_)]
        parts = [f"missing tags: {preview(missing)}"] if missing else []
        parts += [f"extra tags: {preview(extra)}"] if extra else []
        raise DataError(
            "the model's tags differ from the data's: " + ("; ".join(parts) or "other order"),
            file=data.name,
        )

    # --- persistence (see artifacts.py) ---------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor parameters, JSON-serialisable (the manifest's ``config``)."""
        return self._validate_params()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """An unfitted model from a manifest's ``config``; unknown settings are refused."""
        spec = {p.name: p for p in cls.params}
        unknown = sorted(set(config) - set(spec))
        if unknown:
            raise ArtifactError(f"unknown settings in the manifest: {', '.join(unknown)}")
        return cls(**{k: spec[k].from_config(v) for k, v in config.items()})

    @abstractmethod
    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
        """Learned state: numpy arrays (saved as .npz) and an optional torch state dict."""

    @classmethod
    @abstractmethod
    def from_state(
        cls,
        config: dict[str, Any],
        arrays: dict[str, np.ndarray],
        torch_state: dict[str, Any] | Callable[[], dict[str, Any]] | None,
        columns: dict[str, Any],
    ) -> Self:
        """Rebuild a fitted model from :meth:`state`'s output and the saved columns (the torch
        state dict, or a reader of it that imports torch only when called)."""

    def columns_state(self) -> dict[str, Any]:
        """The columns the model reads: features, tags, taxonomy and, with an active group
        context, the groups.csv column it blends over."""
        state: dict[str, Any] = {
            "feature_names": list(self.feature_names_),
            "tag_names": list(self.tag_names_),
            "taxonomy": self.taxonomy_.to_dict(),
        }
        if self.uses_context:
            state["group_columns"] = [LEVEL_COLUMNS[self.context_.level]]  # type: ignore[union-attr]
        return state

    def context_arrays(self) -> dict[str, np.ndarray]:
        """The fitted group context as arrays for the npz (none without one)."""
        return {} if self.context_ is None else self.context_.arrays()

    def _restore_context(self, arrays: Mapping[str, Any]) -> None:
        self.context_ = GroupContext.from_arrays(dict(arrays))

    def _restore_columns(self, columns: dict[str, Any], thresholds: np.ndarray) -> None:
        try:
            self.feature_names_ = tuple(columns["feature_names"])
            self.tag_names_ = tuple(columns["tag_names"])
            self.taxonomy_ = Taxonomy.from_dict(columns["taxonomy"])
        except (KeyError, TypeError) as exc:
            raise ArtifactError(f"manifest lacks the model's columns ({exc})") from None
        if thresholds.shape != (len(self.tag_names_),):
            raise ArtifactError(
                f"{thresholds.shape} thresholds for {len(self.tag_names_)} tags: damaged artifact"
            )
        self.thresholds_ = thresholds.astype(np.float64)
