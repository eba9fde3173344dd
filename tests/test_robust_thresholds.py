"""Robust threshold estimators, the ``robust-thresholds`` model, its artifact and CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mewo_core.robust import selection
from mewo_core.robust.candidates import Candidate, FitContext, refit
from mewo_core.robust.estimators import (
    aggregate_resamples,
    micro_optimal_thresholds,
    resample_thresholds,
    shared_thresholds,
    shrink,
)
from mewo_core.scoring.counts import counts_at
from mewo_core.scoring.metrics import AVERAGES, f1_score
from mewo_core.scoring.space import ScoreSpace
from mewo_core.scoring.thresholds import f1_optimal_thresholds

fit_robust, fit_thresholds = selection.fit_robust, selection.fit_thresholds

METHODS = ("benchmark", "global", "category", "bootstrap", "micro-tag", "shrinkage", "auto")


def micro_f1(scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray) -> float:
    return f1_score(counts_at(scores, labels, thresholds), "micro")


def make_data(n: int = 600, n_tags: int = 8, seed: int = 0):
    """Scores in (0, 1) informative of labels; tag 0 never positive, tag 1 rare; 60 groups."""
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.02, 0.4, n_tags)
    labels = (rng.random((n, n_tags)) < prevalence).astype(np.uint8)
    labels[:, 0] = 0
    labels[:, 1] = 0
    labels[rng.choice(n, 4, replace=False), 1] = 1
    logits = 1.5 * labels + rng.normal(-1.0, 1.0, (n, n_tags))
    scores = (1 / (1 + np.exp(-logits))).astype(np.float32)
    groups = np.arange(n) // 10
    categories = ["a"] * (n_tags // 2) + ["b"] * (n_tags - n_tags // 2)
    return scores, labels, groups, categories


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("metric", AVERAGES)
def test_finite_where_positives_and_never_where_none(method: str, metric: str) -> None:
    scores, labels, groups, cats = make_data()
    t = fit_thresholds(scores, labels, groups, metric, method, seed=0, categories=cats)
    has_pos = labels.sum(axis=0) > 0
    assert t.shape == (labels.shape[1],)
    assert np.isfinite(t[has_pos]).all()
    assert np.isposinf(t[~has_pos]).all()
    assert not (scores[:, ~has_pos] >= t[~has_pos]).any()


def test_identity_scores_outside_unit_interval() -> None:
    scores, labels, groups, cats = make_data()
    logits = np.log(scores) - np.log1p(-scores) + 3.0
    assert ScoreSpace.for_scores(logits).kind == "identity"
    assert ScoreSpace.for_scores(scores).kind == "logit"
    t = fit_thresholds(logits, labels, groups, "weighted", "shrinkage", categories=cats)
    assert np.isfinite(t[labels.sum(axis=0) > 0]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logit_and_sigmoid_are_their_formulas_bit_for_bit(dtype) -> None:  # noqa: ANN001
    """The in-place steps give the plain formulas' bits, keep the input intact, and take
    scalars."""
    from mewo_core.scoring.space import logit, sigmoid

    rng = np.random.default_rng(4)
    p = rng.random(5000).astype(dtype)
    p[:4] = [0.0, 1.0, 0.5, 1e-9]
    kept = p.copy()
    clipped = np.clip(p, 1e-4, 1 - 1e-4)
    got = logit(p, 1e-4)
    np.testing.assert_array_equal(got, np.log(clipped) - np.log1p(-clipped))
    assert got.dtype == dtype and np.array_equal(p, kept)
    x = (rng.normal(size=5000) * 40).astype(dtype)
    want = 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -60, 60)))
    np.testing.assert_array_equal(sigmoid(x), want)
    assert sigmoid(0.0) == 0.5 and logit(0.5) == 0.0


def test_score_space_round_trip_keeps_infinities() -> None:
    space = ScoreSpace("logit")
    values = np.array([0.2, 0.5, 0.9, np.inf, -np.inf])
    back = space.inverse(space.forward(values))
    np.testing.assert_allclose(back[:3], values[:3])
    assert back[3] == np.inf and back[4] == -np.inf


def test_shrinkage_with_zero_strength_is_the_benchmark() -> None:
    scores, labels, groups, cats = make_data()
    bench = f1_optimal_thresholds(scores, labels)
    ctx = FitContext.build(scores, labels, groups, "weighted", cats, n_resamples=8, seed=0)
    space = ctx.space
    out = shrink(bench, ctx.priors["global"], ctx.var, 0.0, space)
    np.testing.assert_array_equal(out, bench)
    # a positive strength moves some finite thresholds toward the prior, never the +inf ones
    moved = shrink(bench, ctx.priors["global"], ctx.var, 10.0, space)
    assert (moved != bench).any()
    assert np.array_equal(np.isinf(moved), np.isinf(bench))


def test_bootstrap_of_one_resample_of_everything_is_the_benchmark() -> None:
    scores, labels, groups, _ = make_data()
    bench = f1_optimal_thresholds(scores, labels)
    space = ScoreSpace.for_scores(scores)
    for how in ("mean", "median"):
        stats = resample_thresholds(
            scores, labels, groups, n_resamples=1, fraction=1.0, replace=False, space=space
        )
        np.testing.assert_array_equal(aggregate_resamples(stats, bench, space, how), bench)


def test_bootstrap_resamples_differ_and_aggregate_between_extremes() -> None:
    scores, labels, groups, _ = make_data()
    space = ScoreSpace.for_scores(scores)
    stats = resample_thresholds(scores, labels, groups, n_resamples=10, space=space, seed=3)
    has_pos = labels.sum(axis=0) > 0
    assert (stats.var[has_pos] > 0).any()
    assert np.isnan(stats.mean[~has_pos]).all()


def test_global_and_category_thresholds_are_shared() -> None:
    scores, labels, _, cats = make_data()
    has_pos = labels.sum(axis=0) > 0
    for metric in AVERAGES:
        g = shared_thresholds(scores, labels, metric)
        assert np.unique(g[has_pos]).size == 1
        c = shared_thresholds(scores, labels, metric, cats)
        for cat in set(cats):
            tags = np.flatnonzero((np.array(cats) == cat) & has_pos)
            assert np.unique(c[tags]).size == 1


def test_global_threshold_tuned_for_micro_beats_others_in_sample() -> None:
    scores, labels, _, _ = make_data()
    g = shared_thresholds(scores, labels, "micro")
    best = micro_f1(scores, labels, g)
    for q in (0.3, 0.5, 0.7, 0.9):
        other = np.full(labels.shape[1], np.quantile(scores, q))
        assert micro_f1(scores, labels, other) <= best + 1e-12


def test_micro_tag_raises_in_sample_micro_f1_over_the_benchmark() -> None:
    scores, labels, _, _ = make_data()
    bench = f1_optimal_thresholds(scores, labels)
    micro = micro_optimal_thresholds(scores, labels)
    f_bench = micro_f1(scores, labels, bench)
    f_micro = micro_f1(scores, labels, micro)
    assert f_micro >= f_bench
    # each tag is at a coordinate-wise optimum: no single positive's score does better
    for j in np.flatnonzero(labels.sum(axis=0) > 0):
        for t in np.unique(scores[labels[:, j] == 1, j]):
            other = micro.copy()
            other[j] = t
            assert micro_f1(scores, labels, other) <= f_micro + 1e-12


@pytest.mark.parametrize("method", ("bootstrap", "shrinkage", "auto"))
def test_deterministic_for_a_seed(method: str) -> None:
    scores, labels, groups, cats = make_data()
    a = fit_thresholds(scores, labels, groups, "micro", method, seed=5, categories=cats)
    b = fit_thresholds(scores, labels, groups, "micro", method, seed=5, categories=cats)
    np.testing.assert_array_equal(a, b)


def test_auto_reports_its_choice_and_cv_scores() -> None:
    scores, labels, groups, cats = make_data()
    fit = fit_robust(scores, labels, groups, "weighted", "auto", 0, cats, n_resamples=4)
    assert fit.cv is not None and fit.chosen in fit.cv.scores
    assert {"benchmark", "global", "category", "bootstrap"} <= {c.name for c in fit.cv.scores}
    # the chosen candidate is refitted as it is, on all rows
    again = refit(fit.chosen, scores, labels, groups, "weighted", cats, 4, 0)
    np.testing.assert_array_equal(fit.thresholds, again)


# --- candidates as objects ----------------------------------------------------------------------


def test_candidate_names_and_validation() -> None:
    assert Candidate("bootstrap").name == "bootstrap"
    assert Candidate.shrinkage("global").name == "shrinkage-global-x1"
    assert Candidate.shrinkage("category", 1 / 3, "micro-tag").name == (
        "micro-tag-shrinkage-category-x0.333"
    )
    assert Candidate.shrinkage("global", 1 / 3) != Candidate.shrinkage("global", 0.333)
    for bad in (
        lambda: Candidate("magic"),
        lambda: Candidate.shrinkage("nowhere"),
        lambda: Candidate.shrinkage("global", 0.0),
        lambda: Candidate.shrinkage("global", 1.0, "benchmark"),
    ):
        with pytest.raises(ValueError):
            bad()


def test_cross_validation_compares_every_candidate_once() -> None:
    scores, labels, groups, cats = make_data()
    cv = selection.cross_validate(
        scores, labels, groups, "micro", ["global", "category", "shrinkage", "micro-tag"], cats,
        n_folds=3, n_resamples=4,
    )  # fmt: skip
    names = [c.name for c in cv.scores]
    assert len(names) == len(set(names)) == 2 + 2 * 2 * 5 + 1  # priors, shrinkage, micro-tag
    assert all(cv.per_fold[c].shape == (3,) for c in cv.scores)


def test_refit_uses_exactly_the_setting_cross_validation_chose(monkeypatch) -> None:
    scores, labels, groups, cats = make_data()
    third = Candidate.shrinkage("category", 1 / 3)
    monkeypatch.setattr(selection.CVResult, "choose", lambda self, default: third)
    fit = fit_robust(scores, labels, groups, "weighted", "auto", 0, cats, n_resamples=4)
    assert fit.chosen is third and third in fit.cv.scores
    ctx = FitContext.build(scores, labels, groups, "weighted", cats, n_resamples=4, seed=0)
    np.testing.assert_array_equal(fit.thresholds, ctx.fit(third).thresholds)
    strength = (1 / 3) / ctx.tau2["bootstrap", "category"]
    want = shrink(ctx.centers["bootstrap"], ctx.priors["category"], ctx.var, strength, ctx.space)
    np.testing.assert_array_equal(fit.thresholds, want)
    # the strength read back from the name ("x0.333") is another setting, with other thresholds
    rounded = ctx.fit(Candidate.shrinkage("category", 0.333)).thresholds
    assert (rounded != fit.thresholds).any()


def test_bad_arguments_are_refused() -> None:
    scores, labels, groups, _ = make_data()
    with pytest.raises(ValueError, match="metric"):
        fit_thresholds(scores, labels, groups, metric="f2")
    with pytest.raises(ValueError, match="method"):
        fit_thresholds(scores, labels, groups, method="magic")
    with pytest.raises(ValueError, match="shape"):
        fit_thresholds(scores, labels[:, :3], groups)


# --- the decision model -------------------------------------------------------------------------


def test_model_save_load_gives_identical_decisions(tiny_folder: Path, tmp_path: Path) -> None:
    from mewo_core.artifacts import load_model, save_model
    from mewo_core.data import load_folder
    from mewo_core.models import create_model

    bundle = load_folder(tiny_folder)
    model = create_model("robust-thresholds", metric="micro", n_resamples=4).fit(bundle.train)
    assert model.chosen_
    path = save_model(model, tmp_path / "robust")
    loaded = load_model(path)
    assert loaded.chosen_ == model.chosen_
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.thresholds_, model.thresholds_)
    np.testing.assert_array_equal(loaded.predict(bundle.test), model.predict(bundle.test))


def test_model_refuses_unknown_metric(tiny_folder: Path) -> None:
    from mewo_core.data import load_folder
    from mewo_core.errors import TrainingError
    from mewo_core.models import create_model

    with pytest.raises(TrainingError, match="unknown metric 'f2'; known: weighted"):
        create_model("robust-thresholds", metric="f2").fit(load_folder(tiny_folder).train)


def test_cli_train_then_evaluate(tiny_folder: Path, tmp_path: Path, capsys) -> None:
    from mewo_core.cli import main

    out = tmp_path / "artifacts" / "robust-micro"
    args = ["train", "--data", str(tiny_folder), "--model", "robust-thresholds"]
    assert main([*args, "--metric", "micro", "--out", str(out), "--quiet"]) == 0
    assert (out / "manifest.json").exists()
    assert main(["evaluate", "--model", str(out), "--data", str(tiny_folder)]) == 0
    assert "robust-micro" in capsys.readouterr().out
