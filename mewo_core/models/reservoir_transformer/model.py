"""Reservoir + Transformer decision model: the seed's architecture, with a benchmark fallback.

Pipeline (``fit(train, validation)``; validation is a grouped split of the training data):

1. Input preparation: clipped logit of the [0, 1] columns (raw values elsewhere), standardised.
2. Stage 1, reservoirs: six ELM reservoirs on six parts of the tag scores (see
   ``reservoirs.partition_features``) and one on all features, each with a ridge read-out to the
   tags.
3. Stage 2, Transformer: one token per reservoir (its read-out output and its states), or one
   concatenated token for the seed's ``concat`` variant, plus one category-score token per
   class; a tag's logit is its own score's affine logit plus a learned, penalised correction
   from the tokens (``transformer.py``).
4. Per tag, on validation, the correction is kept with a weight in {0.25, .., 1} only where a
   cross-fitted comparison says it beats the tag's own score (``blending.py``); elsewhere the tag
   falls back to the benchmark decision: its raw score with a threshold fitted on all training
   rows. Thresholds come from the core's robust estimator (``robust.selection.fit_thresholds``,
   ``threshold_method="auto"``; ``"benchmark"`` gives the exact per-tag F1 optimum): fallback
   tags on fit + validation, kept tags on validation. Test data is never used.
   ``keep_test="crossfit"`` (``crossfit.py``) runs this test with the power of all of train
   instead: ``keep_folds`` artist-grouped out-of-fold networks over fit + validation, a tag kept
   where its CV gain less 1.645 bootstrap standard errors is above 0, kept tags' thresholds on
   the out-of-fold blended scores of every row (``keep_report()``: per tag the CV gain and its
   95 % interval, also in ``evaluate --json``).

Variants (``token_layout.py``): ``tokens``, ``concat``, ``transformer-only`` (no reservoirs:
tokens straight from the six score groups, all features and the category scores),
``tokens-no-all``, ``tokens-no-category``. The default is ``transformer-only``: in the ablation
(``benchmarks/ablation.py``) the reservoirs added nothing over it, at 1.0–1.2× the training and
1.3–2.2× the prediction cost.

``decision_scores`` returns, per tag, the blended probability for kept tags and the raw score for
fallback tags; ``thresholds_`` apply to those. When no tag keeps the correction the network is
never run (``decision_scores``, ``predict`` and the streaming engines): it could change nothing.

Learned attributes besides the base's: ``blend_weights_`` (per tag, the correction weight kept in
step 4, 0 = fallback to the raw score; also ``correction_weights()``, and ``kept_tags`` names the
tags above 0), ``blend_f1_`` (2 x tags: cross-fitted validation F1 of fallback and choice),
``blend_gain_`` (3 x tags: the crossfit test's CV gain of the best weight and its 95 % interval;
NaN for the halves test), ``transform_``, ``reservoirs_``, ``tokens_``, ``network_``, ``history_``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from ...data import (
    Dataset,
    SplitSpec,
    columns_or_neg_inf,
    group_halves,
    group_labels,
    split_dataset,
)
from ...errors import ArtifactError, TrainingError
from ...scoring.metrics import AVERAGES
from ...scoring.space import sigmoid
from ..base import CONTEXT_PARAM, DecisionModel, ProgressCallback, ProgressEvent
from ..params import Param
from .blending import choose_blend
from .input_transform import LogitStandardizer
from .records import LOSSES, TrainHistory
from .reservoirs import PARTITIONS, FittedReservoir, fit_reservoir, partition_features
from .token_layout import (
    SOURCES,
    TYPES,
    VARIANTS,
    VariantSpec,
    build_layout,
    layout_arrays,
    layout_from_arrays,
    token_inputs,
    token_sizes,
    variant_spec,
)
from .torch_flags import set_deterministic

if TYPE_CHECKING:
    from ...robust.selection import Steps


#: Keep tests of the correction: ``blending.py`` (halves) and ``crossfit.py``.
KEEP_TESTS = ("halves", "crossfit")


def _estimators() -> tuple[str, ...]:
    from ...robust.selection import ESTIMATORS

    return ESTIMATORS


@contextmanager
def _torch_settings(threads: int):
    """Deterministic algorithms and ``threads`` intra-op threads, restored afterwards."""
    import torch

    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(max(1, threads))
    set_deterministic(torch, True)
    try:
        yield torch
    finally:
        torch.set_num_threads(old_threads)
        set_deterministic(torch, old_det)


class ReservoirTransformer(DecisionModel):
    """Reservoir bank + Transformer over tokens, with a per-tag benchmark fallback."""

    model_type = "reservoir-transformer"
    #: Rows scored per network call (see :attr:`score_block`).
    network_block = 16384
    network_module_: Any = None
    _network_reader: Callable[[], dict[str, Any]] | None = None

    params = (
        Param("variant", str, "transformer-only", "model variant (token layout)",
              choices=VARIANTS, exposed=True),
        Param("epochs", int, 12, "training epochs of the Transformer", low=0, exposed=True),
        Param("seed", int, 0, "seed of reservoirs, network, splits and thresholds", low=0),
        Param("n_parts", int, 6, "parts of the tag scores, one reservoir or token each", low=1),
        Param("partition", str, "class", "how the tag scores are parted", choices=PARTITIONS),
        Param("token_source", str, "both", "what a reservoir's token holds", choices=SOURCES),
        Param("units", int, 200, "units of each part's reservoir", low=1),
        Param("all_units", int, 300, "units of the all-features reservoir", low=1),
        Param("input_gain", float, 1.0, "reservoir input weight scale", low=0, closed="neither"),
        Param("bias_scale", float, 0.5, "reservoir bias scale", low=0),
        Param("ridge", float, 1.0, "ridge penalty of the read-outs", low=0, closed="neither"),
        Param("d_model", int, 32, "Transformer width (a multiple of n_heads)", low=1),
        Param("n_heads", int, 4, "attention heads", low=1),
        Param("n_layers", int, 1, "encoder layers", low=1),
        Param("dropout", float, 0.1, "dropout rate", low=0, high=1, closed="left"),
        Param("batch_size", int, 512, "training batch size", low=1),
        Param("lr", float, 2e-3, "peak learning rate (one-cycle)", low=0, closed="neither"),
        Param("weight_decay", float, 1e-4, "AdamW weight decay", low=0),
        Param("correction_l2", float, 1e-2, "penalty on the per-tag correction", low=0),
        Param("loss", str, "bce", "training loss", choices=LOSSES),
        Param("patience", int, 3, "epochs without validation gain before stopping", low=1),
        Param("blend_grid", tuple, (0.25, 0.5, 0.75, 1.0), "correction weights tried per tag",
              low=0, high=1, closed="right"),
        Param("keep_margin", float, 0.01, "F1 gain a kept correction needs", low=0),
        Param("keep_test", str, "halves", "where the keep test runs: two group-halves of the "
              "validation split, or crossfit: out-of-fold networks over every training artist",
              choices=KEEP_TESTS),
        Param("keep_folds", int, 4, "artist-grouped folds of the crossfit keep test", low=2),
        Param("min_positives", int, 10, "validation positives a tag needs to keep it", low=0),
        Param("metric", str, "weighted", "target F1 average", choices=AVERAGES, exposed=True),
        CONTEXT_PARAM,
        Param("threshold_method", str, "auto", "threshold estimator", choices=_estimators),
        Param("eps", float, 1e-4, "clipping of [0, 1] scores before the logit",
              low=0, high=0.5, closed="neither"),
        Param("threads", int, 1, "torch intra-op threads", low=1),
    )  # fmt: skip

    @classmethod
    def _check_combination(cls, values: dict[str, Any]) -> None:
        if values["d_model"] % values["n_heads"]:
            raise TrainingError(
                f"d_model ({values['d_model']}) must be a multiple of n_heads ({values['n_heads']})"
            )

    # --- fitting ------------------------------------------------------------------------------
    def fit(
        self,
        train: Dataset,
        validation: Dataset | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        spec = self._check_settings()
        train.require_labels()
        if validation is None:
            train, validation = split_dataset(train, SplitSpec().validation, self.seed)
        self._check_splits(train, validation)
        self._remember_columns(train)
        self.tag_score_index_ = train.tag_feature_index.copy()
        validation = self.align(validation)
        train, validation = self._fit_context(train, validation)
        Y, Yv = train.require_labels(), validation.require_labels()
        self.transform_ = LogitStandardizer(self.eps).fit(train.X)
        Z, Zv = self.transform_.transform(train.X), self.transform_.transform(validation.X)
        n_parts = len(set(train.tag_classes)) if spec.one_per_class else self.n_parts
        parts = partition_features(
            train.feature_names, train.tag_names, train.taxonomy, n_parts, self.partition
        )
        self.tokens_, plan = build_layout(
            spec, parts, Z.shape[1], self._category_groups(train), self.token_source
        )
        self.reservoirs_ = []
        for k, (name, cols) in enumerate(plan):
            _emit(progress, "reservoirs", k, len(plan), f"reservoir {name}")
            self.reservoirs_.append(
                fit_reservoir(
                    name,
                    Z,
                    Y,
                    cols,
                    units=self.all_units if name == "all" else self.units,
                    seed=self.seed * 1009 + k,
                    input_gain=self.input_gain,
                    bias_scale=self.bias_scale,
                    ridge=self.ridge,
                )
            )
        if plan:  # the default variant has no reservoirs: no stage with nothing to do
            _emit(progress, "reservoirs", len(plan), len(plan), "read-outs fitted")
        fit_in = (self._inputs(Z), self._own(Z), Y)
        val_in = (self._inputs(Zv), self._own(Zv), Yv)
        del Z, Zv
        self._train_network(fit_in, val_in, progress)
        self.blend_gain_ = np.full((3, len(self.tag_names_)), np.nan)
        if self.keep_test == "crossfit":
            self._choose_cross_fitted(train, validation, fit_in, val_in, progress)
        else:
            self._choose_decisions(train, validation, val_in, progress)
        return self

    def _check_settings(self) -> VariantSpec:
        """The variant's spec, once every parameter is checked (a :class:`TrainingError`)."""
        self._validate_params()
        return variant_spec(self.variant)

    def _check_splits(self, train: Dataset, validation: Dataset) -> None:
        if train.tag_names != validation.tag_names:
            raise TrainingError("train and validation splits have different tags")
        if train.n_tracks < 2 or validation.n_tracks < 2:
            raise TrainingError("too few tracks to train (need a fit and a validation split)")

    def _category_groups(self, train: Dataset) -> list[np.ndarray]:
        """The category-score columns, one group per class (a token each)."""
        extra = train.extra_feature_index
        if extra.size == 0:
            return []
        classes = np.array(train.taxonomy.subset([train.feature_names[i] for i in extra]).classes)
        return [extra[classes == c] for c in dict.fromkeys(classes)]

    def _inputs(self, Z: np.ndarray) -> np.ndarray:
        return token_inputs(self.tokens_, self.reservoirs_, Z, len(self.tag_names_))

    def _own(self, Z: np.ndarray) -> np.ndarray:
        """Each tag's own transformed score (0 for tags without a score column)."""
        own = columns_or_neg_inf(Z, self.tag_score_index_, fill=0.0)
        return np.ascontiguousarray(own, dtype=np.float32)

    def _network(self):
        from .transformer import TagTransformer

        return TagTransformer(
            token_sizes(self.tokens_, len(self.tag_names_), self.reservoirs_),
            [TYPES.index(t.type) for t in self.tokens_],
            len(self.tag_names_),
            d_model=self.d_model,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            dropout=self.dropout,
        )

    def _settings(self, **changes: Any):  # noqa: ANN202 - a training.TrainSettings
        from .training import TrainSettings

        values = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                  "weight_decay": self.weight_decay, "correction_l2": self.correction_l2,
                  "loss": self.loss, "patience": self.patience, "seed": self.seed}  # fmt: skip
        return TrainSettings(**{**values, **changes})

    def _train_network(self, fit_in, val_in, progress: ProgressCallback | None) -> None:  # noqa: ANN001
        from .training import train_transformer

        with _torch_settings(self.threads) as torch:
            torch.manual_seed(self.seed)
            self.network_ = self._network()
            self.history_ = train_transformer(self.network_, fit_in, val_in, self._settings(),
                                              progress)

    def _choose_cross_fitted(self, train: Dataset, validation: Dataset, fit_in, val_in,  # noqa: ANN001
                             progress: ProgressCallback | None = None) -> None:
        """The ``crossfit`` keep test (``crossfit.py``): out-of-fold networks over every
        training row (the main network's epoch count, no early stop), then per tag the keep
        choice, and thresholds of kept tags on out-of-fold blended scores of every row."""
        from .crossfit import choose_cross_fitted, grouped_folds, out_of_fold
        from .training import predict_parts, train_transformer

        u, z, Y = (np.vstack([a, b]) for a, b in zip(fit_in, val_in, strict=True))
        groups = np.concatenate([_group_ids(train, "f"), _group_ids(validation, "v")])
        folds = grouped_folds(groups, self.keep_folds, self.seed)
        epochs = self.history_.best_epoch

        def fit_fold(rest: np.ndarray, held: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            _emit(progress, "thresholds", k, self.keep_folds + 1, f"cross-fitting fold {k + 1}")
            check = rest[: min(rest.size, 2048)]  # in-sample: no early stop, no leak
            with _torch_settings(self.threads) as torch:
                torch.manual_seed(self.seed * 7919 + k + 1)
                net = self._network()
                settings = self._settings(epochs=epochs, patience=epochs + 1,
                                          seed=self.seed + k + 1)
                train_transformer(net, (u[rest], z[rest], Y[rest]),
                                  (u[check], z[check], Y[check]), settings)
                return predict_parts(net, u[held], z[held])

        own, corr = out_of_fold(u.shape[0], folds, self.keep_folds, fit_fold)
        raw = np.vstack([train.tag_scores(), validation.tag_scores()])
        choice = choose_cross_fitted(raw, own, corr, Y, groups, folds, self.keep_folds,
                                     tuple(self.blend_grid), self.keep_margin, self.min_positives,
                                     self.seed)  # fmt: skip
        self.blend_weights_ = choice.weights.astype(np.float64)
        self.blend_f1_ = np.stack([choice.f1_fallback, choice.f1_chosen])
        self.blend_gain_ = np.stack([choice.gain, choice.gain_low, choice.gain_high])
        kept = self.blend_weights_ > 0
        _emit(progress, "thresholds", self.keep_folds, self.keep_folds + 1,
              f"{int(kept.sum())} tag(s) keep the correction")
        has_score = self.tag_score_index_ >= 0
        thresholds = np.full(len(self.tag_names_), np.inf)
        thresholds[has_score] = self._thresholds(raw[:, has_score], Y[:, has_score], groups,
                                                 has_score)
        if kept.any():
            blended = sigmoid(own[:, kept] + self.blend_weights_[kept] * corr[:, kept])
            thresholds[kept] = self._thresholds(blended, Y[:, kept], groups, kept)
        self.thresholds_ = thresholds
        _emit(progress, "thresholds", self.keep_folds + 1, self.keep_folds + 1, "thresholds tuned")

    def keep_report(self) -> dict[str, dict[str, float]] | None:
        """Per tag, the kept weight and the crossfit keep test's CV F1 gain of the best weight
        with its 95 % group-bootstrap interval (None for the ``halves`` test)."""
        self._check_fitted()
        if not np.isfinite(self.blend_gain_).any():
            return None
        return {
            tag: {"weight": float(w), "cv_gain": float(g), "low": float(lo), "high": float(hi)}
            for tag, w, g, lo, hi in zip(self.tag_names_, self.blend_weights_, *self.blend_gain_,
                                         strict=True)
        }  # fmt: skip

    def _choose_decisions(self, train: Dataset, validation: Dataset, val_in,  # noqa: ANN001
                          progress: ProgressCallback | None = None) -> None:
        """Per tag, keep the learned correction or fall back to the raw score; tune thresholds.

        Reported as the ``thresholds`` stage in steps: the corrections chosen, then each
        cross-validation fold and final fit of the fallback thresholds and of the kept ones.
        """
        from ...robust.selection import N_FOLDS, fit_steps

        groups = np.concatenate([_group_ids(train, "f"), _group_ids(validation, "v")])
        fallback_steps = fit_steps(self.threshold_method, N_FOLDS, groups, groups.size)
        kept_steps = fit_steps(self.threshold_method, N_FOLDS, _group_ids(validation),
                               validation.n_tracks)
        total = 1 + fallback_steps + kept_steps
        _emit(progress, "thresholds", 0, total, "choosing corrections per tag")
        own, corr = self._parts(val_in[0], val_in[1])
        Yv = val_in[2]
        raw_v = validation.tag_scores()
        half = group_halves(_group_ids(validation), self.seed)
        choice = choose_blend(
            raw_v,
            own,
            corr,
            Yv,
            half,
            tuple(self.blend_grid),
            self.keep_margin,
            self.min_positives,
        )
        self.blend_weights_ = choice.weights.astype(np.float64)
        self.blend_f1_ = np.stack([choice.f1_fallback, choice.f1_chosen])
        kept = self.blend_weights_ > 0
        _emit(progress, "thresholds", 1, total, f"{int(kept.sum())} tag(s) keep the correction")

        def stage(offset: int, what: str):  # noqa: ANN202 - a selection.Steps callback
            if progress is None:
                return None
            return lambda step, _n, msg: _emit(
                progress, "thresholds", offset + step, total, f"{what}: {msg}"
            )

        # Fallback: the tag's raw score, thresholds fitted on all training rows (fit + validation).
        has_score = self.tag_score_index_ >= 0
        thresholds = np.full(len(self.tag_names_), np.inf)
        thresholds[has_score] = self._thresholds(
            np.vstack([train.tag_scores(), raw_v])[:, has_score],
            np.vstack([train.require_labels(), Yv])[:, has_score],
            groups,
            has_score,
            stage(1, "raw-score thresholds"),
        )
        if kept.any():
            blended = sigmoid(own[:, kept] + self.blend_weights_[kept] * corr[:, kept])
            thresholds[kept] = self._thresholds(blended, Yv[:, kept], _group_ids(validation), kept,
                                                stage(1 + fallback_steps, "corrected thresholds"))
        self.thresholds_ = thresholds
        _emit(progress, "thresholds", total, total, "thresholds tuned")

    def _thresholds(
        self, scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, tags: np.ndarray,
        progress: Steps | None = None,
    ) -> np.ndarray:
        """Per-tag thresholds by the core's robust estimator ``threshold_method``."""
        from ...robust.selection import fit_thresholds

        categories = [
            c
            for c, ok in zip(self.taxonomy_.subset(self.tag_names_).categories, tags, strict=True)
            if ok
        ]
        return fit_thresholds(
            scores, labels, groups, self.metric, self.threshold_method, self.seed, categories,
            progress,
        )

    # --- scoring ------------------------------------------------------------------------------
    def _parts(self, u: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from .training import predict_parts

        with _torch_settings(self.threads):
            return predict_parts(self.network_, u, z)

    def _scores(self, X: np.ndarray) -> np.ndarray:
        out = np.empty((X.shape[0], len(self.tag_names_)), dtype=np.float64)
        kept = np.flatnonzero(self.blend_weights_ > 0)
        fallback = np.flatnonzero(self.blend_weights_ <= 0)
        if kept.size == 0:
            # No tag keeps the correction: the network cannot change a decision, so it is not
            # run (the same values as the block loop's fallback columns, far faster).
            out[:] = columns_or_neg_inf(X, self.tag_score_index_)
            return out
        weights = self.blend_weights_[kept]
        block = self.network_block
        for start in range(0, X.shape[0], block):
            Xb = X[start : start + block]
            Z = self.transform_.transform(Xb)
            own, corr = self._parts(self._inputs(Z), self._own(Z))
            rows = out[start : start + block]
            # Each tag's columns only: the same float64 operations, element by element, as
            # sigmoid(own + w * corr) for kept tags and the raw score for the others.
            rows[:, fallback] = columns_or_neg_inf(Xb, self.tag_score_index_[fallback])
            rows[:, kept] = sigmoid(own[:, kept] + weights * corr[:, kept])
        return out

    @property
    def score_block(self) -> int | None:  # type: ignore[override]
        """Rows per network call (streamed chunks are cut on these bounds so that they give the
        in-memory bits); None when no tag keeps the correction: scores are then element-wise."""
        weights = getattr(self, "blend_weights_", None)
        if weights is not None and not (np.asarray(weights) > 0).any():
            return None
        return self.network_block

    @score_block.setter
    def score_block(self, rows: int | None) -> None:
        self.network_block = rows or type(self).network_block

    @property
    def network_(self) -> Any:  # noqa: ANN401 - a TagTransformer (torch is imported lazily)
        """The Transformer; a loaded model with no kept tag reads it (and imports torch) only
        when it is first asked for."""
        if self.network_module_ is None and self._network_reader is not None:
            self.network_module_ = self._built_network(self._network_reader())
            self._network_reader = None
        return self.network_module_

    @network_.setter
    def network_(self, value: Any) -> None:  # noqa: ANN401
        self.network_module_ = value

    def _built_network(self, torch_state: dict[str, Any]) -> Any:  # noqa: ANN401
        with _torch_settings(self.threads):
            network = self._network()
            network.load_state_dict(torch_state)
            network.eval()
        return network

    def correction_weights(self) -> np.ndarray:
        """Per tag, the correction weight kept on validation (``blend_weights_``; 0: the tag
        falls back to its raw score with the benchmark-style threshold)."""
        self._check_fitted()
        return np.asarray(self.blend_weights_, dtype=np.float64).copy()

    @property
    def kept_tags(self) -> tuple[str, ...]:
        """Tags whose decision uses the learned correction (the others are the benchmark's)."""
        return tuple(t for t, w in zip(self.tag_names_, self.blend_weights_, strict=True) if w > 0)

    # --- persistence --------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
        arrays: dict[str, np.ndarray] = {
            "thresholds": self.thresholds_,
            "tag_score_index": self.tag_score_index_,
            "blend_weights": self.blend_weights_,
            "blend_f1": self.blend_f1_,
            "blend_gain": self.blend_gain_,
            "history_loss": np.asarray(self.history_.loss, dtype=np.float64),
            "history_val_f1": np.asarray(self.history_.val_f1, dtype=np.float64),
            "history_best_epoch": np.array(self.history_.best_epoch),
            "n_reservoirs": np.array(len(self.reservoirs_)),
            **{f"transform_{k}": v for k, v in self.transform_.state().items()},
            **layout_arrays(self.tokens_),
            **self.context_arrays(),
        }
        for k, res in enumerate(self.reservoirs_):
            arrays.update(res.arrays(f"res{k}_"))
        names = "\x1f".join(r.name for r in self.reservoirs_)
        arrays["reservoir_names"] = np.frombuffer(names.encode(), dtype=np.uint8)
        return arrays, dict(self.network_.state_dict())

    @classmethod
    def from_state(cls, config, arrays, torch_state, columns) -> Self:  # noqa: ANN001
        model = cls.from_config(config)
        if torch_state is None:
            raise ArtifactError("the Transformer's weights (torch.pt) are missing")
        model._restore_columns(columns, np.asarray(arrays["thresholds"]))
        model.tag_score_index_ = np.asarray(arrays["tag_score_index"], dtype=np.int64)
        model.blend_weights_ = np.asarray(arrays["blend_weights"], dtype=np.float64)
        model.blend_f1_ = np.asarray(arrays["blend_f1"])
        model.blend_gain_ = np.asarray(  # NaN in models saved before the crossfit test
            arrays.get("blend_gain", np.full((3, model.blend_weights_.size), np.nan)))
        model._restore_context(arrays)
        model.transform_ = LogitStandardizer.from_state(
            model.eps,
            {
                "mean": arrays["transform_mean"],
                "scale": arrays["transform_scale"],
                "logit": arrays["transform_logit"],
            },
        )
        model.tokens_ = layout_from_arrays(arrays)
        model.history_ = TrainHistory(
            list(map(float, arrays["history_loss"])),
            list(map(float, arrays["history_val_f1"])),
            int(arrays["history_best_epoch"]),
        )
        names = bytes(np.asarray(arrays["reservoir_names"], dtype=np.uint8)).decode()
        names_list = names.split("\x1f") if names else []
        n_res = int(arrays["n_reservoirs"])
        if len(names_list) != n_res:
            raise ArtifactError("reservoir names do not match their count: damaged artifact")
        model.reservoirs_ = [
            FittedReservoir.from_arrays(names_list[k], f"res{k}_", arrays) for k in range(n_res)
        ]
        n_tags = len(model.tag_names_)
        for arr in (model.tag_score_index_, model.blend_weights_):
            if arr.shape != (n_tags,):
                raise ArtifactError("per-tag arrays do not match the tags: damaged artifact")
        if callable(torch_state):  # the artifact's reader: torch only when the network is used
            model._network_reader = torch_state
            if model.kept_tags:
                _ = model.network_
        else:
            model.network_ = model._built_network(torch_state)
        return model


def _group_ids(data: Dataset, prefix: str = "") -> np.ndarray:
    """Group label per row as strings (prefixed so two splits' groups never merge)."""
    return np.array([f"{prefix}{g}" for g in group_labels(data)])


def _emit(progress: ProgressCallback | None, stage: str, step: int, total: int, msg: str) -> None:
    if progress is not None:
        progress(ProgressEvent(stage, step, total, msg))
