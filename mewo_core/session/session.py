"""What the app (or a script) works on: one dataset with one model, and all that follows from them.

A :class:`Session` holds a data bundle and a model (an artifact, or the per-tag-threshold
baseline) and computes on demand, once, what the pages show: the model's splits re-derived from
its manifest's split spec, the baseline, each side's scores on each split (a saved model's scores
are also kept on disk by model and data fingerprint, so a new process shows them without loading
or importing torch), the tuning data, the threshold explorers and the model-vs-baseline
comparison. It has no Streamlit import; the app's state module caches sessions by :attr:`key`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from ..artifacts import (
    ManifestSummary,
    artifact_thresholds,
    load_model,
    model_id,
    read_manifest,
)
from ..compare.evaluation import (
    LEVEL,
    MIN_SUPPORT,
    REPLICATES,
    Comparison,
    Side,
    bootstrap_groups,
    compare_decisions,
)
from ..data import DataBundle, Dataset, Splits, SplitSpec, ids_digest
from ..data.atomic import atomic_file
from ..errors import DataError, MewoError
from ..models import DecisionModel, create_model, model_class
from ..models.reservoir_transformer.torch_flags import deterministic_while_running
from ..models.tuning import LEARNED, TuningRows
from ..scoring.explorer import ExplorerResult, ThresholdExplorer
from ..scoring.parallel import map_spans, n_workers, run_together
from . import background
from .preparation import Preparation

if TYPE_CHECKING:  # imported where used: torch, Captum and the report load only when needed
    from ..compare.report import CompareReport
    from ..data.correlations import Matrix
    from ..explain.path import Explainer
    from ..explain.relations import DataStructure, RelationMap
    from ..targets.fit import TargetFit

SPLITS = ("validation", "test")
#: Every part a session can score (the app shows SPLITS; exports offer all).
PARTS = (*SPLITS, "fit", "train")
BASELINE = "baseline"
#: Where the baseline's thresholds can be tuned: all of train (the challenge benchmark, the
#: default) or the fit part (train minus validation: not tuned on the validation split).
BASELINE_PARTS = ("train", "fit")
BASELINE_LABEL = "baseline (per-tag thresholds)"
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class TrackRow:
    """One track of a split, as the Track inspector shows it (:meth:`Session.track_row`)."""

    index: int  # its row in the split
    track_id: int
    model_scores: np.ndarray
    baseline_scores: np.ndarray
    model_decisions: np.ndarray
    baseline_decisions: np.ndarray
    labels: np.ndarray | None


class Session:
    """One dataset (``bundle``, identified by ``data_key``) with one model, computed lazily.

    ``which`` arguments name a side: ``"model"`` or ``"baseline"``; with no artifact the model
    side is the baseline. Thread-safe: one computation per value, shared by every caller.
    """

    def __init__(
        self,
        bundle: DataBundle,
        data_key: str,
        *,
        model_path: str | Path | None = None,
        manifest: Mapping[str, Any] | None = None,
        model_name: str = BASELINE,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.bundle = bundle
        self.data_key = data_key
        self.model_path = str(model_path) if model_path else ""
        self.manifest = dict(manifest) if manifest is not None else None
        self.model_name = model_name if manifest is not None else BASELINE
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._values: dict[tuple, Any] = {}
        self._computing: dict[tuple, threading.RLock] = {}
        self._preparations: dict[str, Preparation] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        bundle: DataBundle,
        data_key: str,
        model_path: str | Path | None = None,
        *,
        manifest: Mapping[str, Any] | None = None,
        model_name: str | None = None,
        cache_dir: str | Path | None = None,
        check_tags: bool = False,
    ) -> Session:
        """The one way to open a model (an artifact folder, or None for the baseline) on a
        dataset: the manifest is read here unless given, the name defaults to the folder's, and
        with ``check_tags`` a model that decides other tags than the data's is refused."""
        if model_path is None or str(model_path) in ("", BASELINE):
            return cls(bundle, data_key, cache_dir=cache_dir)
        if manifest is None:
            manifest = read_manifest(model_path)
        session = cls(bundle, data_key, model_path=model_path, manifest=manifest,
                      model_name=model_name or Path(model_path).name, cache_dir=cache_dir)
        if check_tags:
            session.model.check_tags(bundle.train)
        return session

    # --- identity ---------------------------------------------------------------------------
    @property
    def is_baseline(self) -> bool:
        return self.manifest is None

    @property
    def spec(self) -> SplitSpec:
        """The split spec the model was trained with (the default one for the baseline). On
        data without the group column it was split by (other data than its own: an upload of
        scores without groups.csv), the data's own coarsest grouping instead."""
        spec = SplitSpec.from_manifest(self.manifest)
        groups = self.bundle.train.groups
        if spec.group_column and (groups is None or spec.group_column not in groups.columns):
            return dataclasses.replace(spec, group_column=None)
        return spec

    @property
    def regrouped(self) -> bool:
        """Whether this data lacks the group column the model's splits were drawn by, so that
        :attr:`spec` splits it by its own grouping (not the rows the model was tuned on)."""
        return self.spec.group_column != SplitSpec.from_manifest(self.manifest).group_column

    @property
    def model_id(self) -> str:
        return BASELINE if self.manifest is None else model_id(self.model_name, self.manifest)

    @property
    def key(self) -> str:
        """Identity of everything this session computes: data, model and split spec."""
        return f"{self.data_key}|{self.model_id}|{sorted(self.spec.to_dict().items())}"

    def _memo(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per key: a caller asking for a value being computed waits for it;
        other values are not held up (one lock per key, not one for the session)."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            slot = self._computing.setdefault(key, threading.RLock())
        with slot:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                self._computing.pop(key, None)
            return value

    # --- data -------------------------------------------------------------------------------
    @property
    def splits(self) -> Splits:
        return self._memo(("splits",), self._derive_splits)

    def _derive_splits(self) -> Splits:
        recorded = (self.manifest or {}).get("split_ids")
        trained_on = (self.manifest or {}).get("data_fingerprint")
        # the data's fingerprint (a hash of all of it) beside the split's copies, when needed
        parts, *fingerprint = run_together(
            lambda: self.spec.split(self.bundle),
            *([lambda: self.bundle.train.fingerprint] if recorded and trained_on else []),
        )  # fmt: skip
        same_data = fingerprint == [trained_on]
        if recorded and same_data and not self.regrouped:
            for name in ("validation", "test"):
                if name in recorded and recorded[name] != ids_digest(getattr(parts, name)):
                    raise DataError(
                        f"the {name} split re-derived from the model's split spec is not the one "
                        "it was trained with (another version of the split method?)"
                    )
        return parts

    def data(self, split: str) -> Dataset:
        """The ``"validation"`` or ``"test"`` part."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}")
        return getattr(self.splits, split)

    def part(self, name: str) -> Dataset:
        """Any part of :data:`PARTS` (validation, test, fit, train): what exports may score."""
        if name not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        return getattr(self.splits, name)

    def tuning_rows(self, which: str) -> TuningRows:
        """Which parts ``which`` was fitted and tuned on: its model type's rule
        (:mod:`mewo_core.models.tuning`), the one training used."""
        if self._is_baseline_side(which):
            return model_class(BASELINE).tuning
        try:
            return model_class(ManifestSummary.of(self.manifest or {}).model_type).tuning
        except MewoError:  # an unknown type cannot have loaded: assume the learned models' rule
            return LEARNED

    def tuning_data(self, which: str) -> Dataset:
        """The rows ``which`` tuned its thresholds on (:meth:`tuning_rows`): all of train for
        the threshold models (the challenge benchmark's definition), the validation split for
        a learned model."""
        return self.tuning_rows(which).tuning_data(self.splits)

    def tuning_part(self, which: str) -> str:
        """The name of :meth:`tuning_data`'s part (``"train"`` or ``"validation"``)."""
        return self.tuning_rows(which).tune

    # --- models -----------------------------------------------------------------------------
    @property
    def baseline(self) -> DecisionModel:
        return self._memo(("baseline",), lambda: create_model(BASELINE).fit(self.splits.train))

    @property
    def model(self) -> DecisionModel:
        """The active model (the baseline when none is chosen), loaded on first use."""
        if self.manifest is None:
            return self.baseline
        return self._memo(("model",), lambda: load_model(self.model_path))

    def _is_baseline_side(self, which: str) -> bool:
        if which not in ("model", BASELINE):
            raise ValueError("which must be 'model' or 'baseline'")
        return which == BASELINE or self.is_baseline

    def thresholds(self, which: str) -> np.ndarray:
        """The tuned thresholds of ``which`` (a saved model's, read without loading it)."""
        if self._is_baseline_side(which):
            return np.asarray(self.baseline.thresholds_, dtype=np.float64)
        return self._memo(("thresholds",), lambda: artifact_thresholds(self.model_path))

    # --- scores and what follows ------------------------------------------------------------
    def scores(self, which: str, split: str, progress: ScoreProgress | None = None) -> np.ndarray:
        """``which``'s decision scores on ``split`` (``"tuning"`` or one of :data:`PARTS`);
        ``progress`` is told (rows done, rows, expected seconds left) while a model scores."""
        data = self.tuning_data(which) if split == "tuning" else self.part(split)
        if self._is_baseline_side(which):
            return self._memo(
                ("scores", BASELINE, split), lambda: self.baseline.decision_scores(data)
            )
        return self._memo(("scores", "model", split), lambda: self._disk_scores(data, progress))

    def scores_ready(self, which: str, split: str) -> bool:
        """Whether ``which``'s scores on ``split`` are computed (in memory or, for a saved model,
        on disk): if not, the next :meth:`scores` runs the model."""
        if self._is_baseline_side(which):
            return True  # the baseline's scores are the data's own columns
        if ("scores", "model", split) in self._values:
            return True
        if self.cache_dir is None:
            return False
        data = self.tuning_data(which) if split == "tuning" else self.part(split)
        path = self._memo(("scores_path", split),
                          lambda: scores_path(self.model_id, data, self.cache_dir))  # fmt: skip
        return path.exists()

    def prepared(self, split: str) -> bool:
        """Whether what every page of ``split`` needs is at hand: the model's scores (in memory
        or on disk) and the baseline's thresholds."""
        return ("baseline",) in self._values and self.scores_ready("model", split)

    def prepare(self, split: str) -> Preparation:
        """Compute the model's scores on ``split`` and the baseline's thresholds in the
        background, once per split (again after a failure): the running preparation. The
        splits are derived here, in the caller's thread (a page run, at its priority), while the
        background loads the model. Once done, the background goes on with what the Compare and
        Thresholds pages open on (their first report, the model's explorer), which nothing
        waits for."""
        with self._lock:
            running = self._preparations.get(split)
            if running is not None and running.error is None:
                return running
            preparation = Preparation(split, 0, self.model_name)
            self._preparations[split] = preparation

        derived = threading.Event()

        def score() -> None:
            preparation.rows = self.data(split).n_tracks
            self.scores("model", split, progress=preparation.tell)

        def baseline() -> None:
            derived.wait()  # the splits come from the page run (below), not from this thread
            self.thresholds(BASELINE)

        preparation.run(
            # torch and the weights at once, while the page run derives the splits (the
            # explaining pages need the model even when its scores are on disk)
            [("loading", lambda: self.model), ("scoring", score)],
            [("baseline", baseline)],  # beside it: the cores are two
            # then what Compare and Thresholds open on, so that they open at once after a while
            afterwards=lambda: (self.report(split, slice_column=self.default_slice_column(split)),
                                self.explorer("model", split)),
        )  # fmt: skip
        try:  # here, at the page run's priority: every page needs the splits, the lanes too
            _ = self.splits
        finally:
            derived.set()
        return preparation

    def _disk_scores(self, data: Dataset, progress: ScoreProgress | None = None) -> np.ndarray:
        if self.cache_dir is None:
            return score_rows(self.model, data, progress)
        return cached_scores(lambda: self.model, self.model_id, data, self.cache_dir, progress)

    def decisions(self, which: str, split: str) -> np.ndarray:
        """``which``'s decisions on ``split`` with its tuned thresholds (shared: read-only)."""
        side = BASELINE if self._is_baseline_side(which) else "model"
        return self._memo(("decisions", side, split),
                          lambda: _shared(self.scores(which, split) >= self.thresholds(which)))

    def track_row(self, split: str, track_id: int) -> TrackRow | None:
        """One track of ``split`` (by its id): its row, both sides' scores and decisions and its
        labels, read from the shared scores without copying the split (None: no such track)."""
        data = self.data(split)
        position = self._memo(("positions", split),
                              lambda: pd.Index(data.ids).get_indexer)  # fmt: skip
        row = int(position([track_id])[0])
        if row < 0:
            return None
        model, base = self.scores("model", split)[row], self.scores(BASELINE, split)[row]
        labels = None if data.Y is None else np.asarray(data.Y[row]).astype(bool)
        return TrackRow(row, int(track_id), model, base, model >= self.thresholds("model"),
                        base >= self.thresholds(BASELINE), labels)  # fmt: skip

    def explorer(self, which: str, split: str) -> ThresholdExplorer:
        """Live-threshold explorer of ``which`` on ``split``."""
        side = BASELINE if self._is_baseline_side(which) else "model"

        def build() -> ThresholdExplorer:
            data = self.data(split)
            return ThresholdExplorer(
                self.scores(side, split), data.require_labels(), data.tag_names,
                data.tag_classes, data.tag_categories,
            )  # fmt: skip

        return self._memo(("explorer", side, split), build)

    def baseline_on(self, part: str = "train") -> DecisionModel:
        """The per-tag-threshold baseline tuned on ``part`` (``"train"`` or ``"fit"``)."""
        if part == "train":
            return self.baseline
        if part != "fit":
            raise ValueError(f"part must be one of {BASELINE_PARTS}")
        return self._memo(("baseline", "fit"), lambda: create_model(BASELINE).fit(self.splits.fit))

    def baseline_decisions(self, split: str, part: str = "train") -> np.ndarray:
        """The baseline's decisions on ``split`` with thresholds tuned on ``part`` (shared:
        read-only)."""
        if part == "train":
            return self.decisions(BASELINE, split)
        return self._memo(("decisions", BASELINE, split, part), lambda: _shared(
            self.scores(BASELINE, split) >= self.baseline_on(part).thresholds_))

    def side(self, which: str, split: str, part: str = "train") -> Side:
        """What ``which`` (``"model"`` or ``"baseline"``, the latter tuned on ``part``) was tuned
        on, and whether that includes ``split`` (in-sample there)."""
        parts, on_val = self.splits, split == "validation"
        if self._is_baseline_side(which):
            if part == "fit":
                return Side(BASELINE_LABEL, f"the fit part (train minus validation, "
                            f"{parts.fit.n_tracks:,} tracks)")  # fmt: skip
            where = f"all of train ({parts.train.n_tracks:,} tracks"
            return Side(BASELINE_LABEL, where + (", this split included)" if on_val else ")"),
                        in_sample=on_val)  # fmt: skip
        summary = ManifestSummary.of(self.manifest or {})
        name = self.model_name
        if self.regrouped:
            column = SplitSpec.from_manifest(self.manifest).group_column
            return Side(name, f"other splits than its own (this data has no {column} column to "
                        "split by as it was): figures may include rows it was tuned on",
                        in_sample=True)  # fmt: skip
        if summary.data_fingerprint not in (None, self.bundle.train.fingerprint):
            return Side(name, "other data than this dataset's train files (its splits here are "
                        "not the ones it was tuned on)", in_sample=False)  # fmt: skip
        rows = self.tuning_rows("model")
        tuned = rows.describe(parts)
        if summary.thresholds_from:
            tuned += f"; thresholds then set by hand from {summary.thresholds_from}"
        return Side(name, tuned, in_sample=rows.in_sample(split))

    def comparison(
        self,
        split: str,
        *,
        baseline_part: str = "train",
        other: Session | None = None,
        replicates: int = REPLICATES,
        level: float = LEVEL,
    ) -> Comparison:
        """The model vs a reference on ``split``, each with its tuned thresholds, with paired
        group-bootstrap intervals (grouped by the split spec's group column). The reference is
        the baseline tuned on ``baseline_part``, or ``other``'s model (same data and split)."""
        if baseline_part not in BASELINE_PARTS:
            raise ValueError(f"baseline_part must be one of {BASELINE_PARTS}")

        def build() -> Comparison:
            data = self.data(split)
            if other is None:
                reference_side = self.side(BASELINE, split, baseline_part)
            else:
                theirs = other.data(split)
                if theirs.n_tags != data.n_tags or list(theirs.tag_names) != list(data.tag_names):
                    raise DataError(f"{other.model_name} decides other tags than "
                                    f"{self.model_name}: they cannot be compared")  # fmt: skip
                if not np.array_equal(theirs.ids, data.ids):
                    raise DataError(
                        f"{other.model_name} and {self.model_name} were split differently (other "
                        f"split seed or fractions): their {split} splits are not the same tracks"
                    )
                reference_side = other.side("model", split)
            reference = self.reference_decisions(split, baseline_part, other)
            groups, column = bootstrap_groups(data, self.spec.group_column)
            return compare_decisions(
                data, self.decisions("model", split), reference,
                groups=groups, group_column=column, replicates=replicates, level=level,
                seed=self.spec.seed, model_side=self.side("model", split),
                baseline_side=reference_side,
                scored_on=f"the {split} split ({data.n_tracks:,} tracks, {data.n_tags} tags)",
            )  # fmt: skip

        key = ("comparison", split, baseline_part, other.key if other else None, replicates, level)
        return self._memo(key, build)

    def default_slice_column(self, split: str) -> str | None:
        """The group column the Compare report slices ``split`` by unless told: the first."""
        groups = self.data(split).groups
        return None if groups is None or not len(groups.columns) else str(groups.columns[0])

    def reference_decisions(
        self, split: str, baseline_part: str = "train", other: Session | None = None
    ) -> np.ndarray:
        """The reference's decisions in :meth:`comparison`: ``other``'s model or the baseline."""
        if other is not None:
            return other.decisions("model", split)
        return self.baseline_decisions(split, baseline_part)

    def report(
        self,
        split: str,
        *,
        baseline_part: str = "train",
        other: Session | None = None,
        replicates: int = REPLICATES,
        level: float = LEVEL,
        min_support: int = MIN_SUPPORT,
        average: str = "weighted",
        slice_column: str | None = None,
        top: int = 15,
    ) -> CompareReport:
        """The :class:`~mewo_core.compare.report.CompareReport` of :meth:`comparison` (tables,
        slices by tag frequency, score range and ``slice_column``'s groups), computed once."""
        from ..compare.report import build_report, slice_tables

        def build() -> CompareReport:
            data = self.data(split)
            groups, _ = bootstrap_groups(data, self.spec.group_column)
            name_b = other.model_name if other is not None else BASELINE_LABEL
            mine, theirs = (self.decisions("model", split),
                            self.reference_decisions(split, baseline_part, other))  # fmt: skip
            comparison, slices = run_together(  # the comparison beside the slices
                lambda: self.comparison(split, baseline_part=baseline_part, other=other,
                                        replicates=replicates, level=level),
                lambda: slice_tables(data, mine, theirs, groups=groups,
                                     slice_column=slice_column, average=average,
                                     replicates=replicates, level=level, seed=self.spec.seed),
            )  # fmt: skip
            return build_report(
                comparison, data, mine, theirs,
                title=f"{self.model_name} vs {name_b} on the {split} split",
                groups=groups, slice_column=slice_column, average=average,
                min_support=min_support, top=top, replicates=replicates, level=level,
                seed=self.spec.seed, slices=slices,
            )  # fmt: skip

        key = ("report", split, baseline_part, other.key if other else None, replicates, level,
               min_support, average, slice_column, top)  # fmt: skip
        return self._memo(key, build)

    def tuned_result(
        self, which: str, split: str, base: str, thresholds: np.ndarray
    ) -> ExplorerResult:
        """The explorer's result on ``split`` at the starting thresholds named ``base`` (e.g.
        ``tuned`` or ``shrinkage-weighted``): what the Thresholds page shows deltas against."""
        side = BASELINE if self._is_baseline_side(which) else "model"
        return self._memo(("tuned", side, split, base),
                          lambda: self.explorer(side, split).evaluate(thresholds))  # fmt: skip

    def robust_effect(self, which: str, method: str, metric: str) -> pd.DataFrame:
        """Per tag, the benchmark threshold and the robust one (``method`` for ``metric``),
        fitted on ``which``'s tuning data grouped by its coarsest groups."""
        from ..robust.effect import threshold_effect

        side = BASELINE if self._is_baseline_side(which) else "model"

        def build() -> pd.DataFrame:
            data, scores = self.tuning_data(side), self.scores(side, "tuning")
            return threshold_effect(scores, data, method, metric, self.spec.seed)

        return self._memo(("robust", side, method, metric), build)

    def target_fit(
        self, which: str, target: str, delta: float, per: str = "tag", fallback: str = "none"
    ) -> TargetFit:
        """Thresholds promising ``target`` (e.g. ``precision>=0.9``) with confidence
        ``1 - delta`` (:mod:`mewo_core.targets`), fitted on ``which``'s tuning rows and scores,
        grouped by their coarsest groups: for the baseline, the bytes of ``train --model
        robust-thresholds --target ... --context none`` on the same data."""
        from ..data import group_labels
        from ..models.target_mode import fit_tag_targets

        side = BASELINE if self._is_baseline_side(which) else "model"

        def build() -> TargetFit:
            data, scores = self.tuning_data(side), self.scores(side, "tuning")
            has_score = np.isfinite(scores).any(axis=0)
            return fit_tag_targets(scores, data, has_score, group_labels(data), target=target,
                                   delta=delta, per=per, fallback=fallback)[1]  # fmt: skip

        return self._memo(("target", side, target, delta, per, fallback), build)

    def correlations(self, view: str) -> Matrix:
        """A correlation or lift matrix (``scores``, ``labels`` or ``lift``) of the train part's
        tags (the files' train minus a held-out test: the rows a model learns from), with
        co-occurrence counts (:func:`mewo_core.data.correlations.view_matrix`)."""
        from ..data.correlations import view_matrix

        def build() -> Matrix:
            train = self.splits.train
            counts = None if view == "lift" or train.Y is None else self.correlations("lift")
            return view_matrix(train, view, counts)  # the lift (and its counts) built once

        return self._memo(("correlations", view), build)

    # --- explanations (mewo_core.explain) ---------------------------------------------------
    def explainer(self) -> Explainer:
        """The :class:`~mewo_core.explain.path.Explainer` of the model, against the median
        training track as reference."""
        from ..explain.path import Explainer, reference_track

        def build() -> Explainer:
            reference = reference_track(self.model, self.splits.train)
            return Explainer(self.model, self.baseline, reference)

        return self._memo(("explainer",), build)

    def threshold_sources(self) -> pd.DataFrame:
        """Per tag, where the model's threshold came from (estimator, positives, benchmark)."""
        from ..explain.adapter import has_correction
        from ..explain.path import threshold_sources

        def build() -> pd.DataFrame:
            if has_correction(self.model):
                validation = self.tuning_data("model")
                scores = self.scores("model", "tuning")
                return threshold_sources(self.model, self.splits.train, validation, scores)
            return threshold_sources(self.model, self.splits.train)

        return self._memo(("threshold_sources",), build)

    def relations(
        self, split: str, max_tracks: int, progress: Callable[[int, int], None] | None = None
    ) -> tuple[RelationMap, DataStructure, dict[str, float]]:
        """The model's relation map on ``split`` (a seeded sample of ``max_tracks`` tracks, kept
        on disk), the data's own structure on train, and their agreement (``progress(done,
        total)``: tracks attributed, while the map is computed)."""
        from ..explain.relations import agreement, cached_relation_map, data_structure

        def build() -> tuple[RelationMap, DataStructure, dict[str, float]]:
            cache = (self.cache_dir or Path(".")) / "relations"
            rel = cached_relation_map(self.model, self.model_id, self.data(split),
                                      self.explainer().reference, cache, max_tracks=max_tracks,
                                      seed=self.spec.seed, progress=progress)
            structure = data_structure(rel, self.splits.train)
            return rel, structure, agreement(rel, structure)

        return self._memo(("relations", split, max_tracks), build)


#: Told (rows done, rows in all, expected seconds left) while a model scores a split.
ScoreProgress = Callable[[int, int, float], None]
#: Rows per chunk when scoring with progress (rounded to the model's ``score_block``).
PROGRESS_ROWS = 50_000


def _shared(values: np.ndarray) -> np.ndarray:
    """``values``, made read-only: one array that every page and session reads."""
    values.flags.writeable = False
    return values


def _chunk_rows(n: int, block: int, workers: int) -> int:
    """Rows per chunk of :func:`score_rows`: a multiple of ``block``, at most about
    :data:`PROGRESS_ROWS`, and small enough for four chunks per worker, so that the threads
    end together (the last chunks are short, not one long one on a single core)."""
    target = min(PROGRESS_ROWS, max(1, n // (4 * workers)))
    return max(block, target // block * block)


def score_rows(
    model: DecisionModel, data: Dataset, progress: ScoreProgress | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """``model.decision_scores(data)``; with ``progress``, in chunks of about
    :data:`PROGRESS_ROWS` rows cut on the model's ``score_block`` bounds (the bits of one call,
    as the streaming ``predict`` does, whatever the number of workers), on ``n_jobs`` threads
    (default: the CPUs), reporting after each chunk the expected time left from the rows per
    second measured so far. A group-context model is scored in one call."""
    if progress is None or model.uses_context or data.n_tracks <= PROGRESS_ROWS:
        return np.asarray(model.decision_scores(data))
    X = model.align(data).X
    n = X.shape[0]
    chunk = _chunk_rows(n, model.score_block or 1, n_workers(n_jobs, n))
    out: list[np.ndarray] = []  # the scores, made by the first chunk done (its dtype)
    done, lock, started = [0], threading.Lock(), time.perf_counter()

    def work(start: int, stop: int) -> None:
        part = np.asarray(model.matrix_scores(X[start:stop]))
        with lock:
            if not out:
                out.append(np.empty((n, part.shape[1]), dtype=part.dtype))
            out[0][start:stop] = part
            done[0] += stop - start
            rate = done[0] / max(time.perf_counter() - started, 1e-9)
            progress(done[0], n, (n - done[0]) / rate)

    with deterministic_while_running():
        map_spans(work, n, chunk, n_jobs)
    return out[0]


def scores_path(model_key: str, data: Dataset, cache_dir: str | Path) -> Path:
    """Where :func:`cached_scores` keeps ``model_key``'s scores of ``data``."""
    h = hashlib.sha256(model_key.encode())
    if data.groups is not None:
        h.update(pd.util.hash_pandas_object(data.groups, index=False).to_numpy().tobytes())
        h.update("\x1f".join(map(str, data.groups.columns)).encode())
    return Path(cache_dir) / f"scores-{h.hexdigest()[:16]}-{data.fingerprint}.npy"


def cached_scores(
    load: Callable[[], DecisionModel], model_key: str, data: Dataset, cache_dir: str | Path,
    progress: ScoreProgress | None = None,
) -> np.ndarray:
    """``load().decision_scores(data)``, kept on disk under ``cache_dir`` by model, data
    fingerprint and groups (a group-context model reads them), so a new process shows a
    model's scores without loading (or importing) it; ``progress``: see :func:`score_rows`.
    Read-only: the array every page and session reads, and the one being written to disk."""
    path = scores_path(model_key, data, cache_dir)
    if path.exists():
        try:
            scores = np.load(path, allow_pickle=False)
            if scores.shape == (data.n_tracks, data.n_tags):
                return _shared(scores)
        except (OSError, ValueError):
            pass
    scores = _shared(score_rows(load(), data, progress))
    # written beside the pages that wait for the scores (fsynced: seconds at 1M tracks); the
    # process waits for it at exit, and a file is there whole or not at all
    background.start(_keep, path, scores, name=f"mewo-keep-{path.name}")
    return scores


def _keep(path: Path, scores: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as fh:
            np.save(fh, scores)
    except OSError:
        pass  # a read-only cache only costs speed
