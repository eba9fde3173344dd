"""Binormal thresholds, empirical ROC at other prevalences, Platt calibration, EM adaptation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from mewo_core.robust.adaptation import (
    CalibratedCutoff,
    PlattCalibration,
    PriorShiftAdapter,
    em_prevalences,
)
from mewo_core.robust.binormal import BinormalThresholds, EmpiricalROC, binormal_f1
from mewo_core.scoring.metrics import f1_scores
from mewo_core.scoring.thresholds import f1_optimal_thresholds

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mediaeval2019-vggish"


def binormal_data(
    n: int = 4000, n_tags: int = 6, seed: int = 0, prevalence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities whose logits are N(0, 1) for negatives and N(d, 1) for positives."""
    rng = np.random.default_rng(seed)
    pi = np.linspace(0.02, 0.2, n_tags) if prevalence is None else prevalence
    y = rng.random((n, n_tags)) < pi
    d = np.linspace(1.0, 2.5, n_tags)
    z = rng.normal(size=(n, n_tags)) + y * d - 3.0
    return expit(z).astype(np.float32), y


def shifted(
    s: np.ndarray, y: np.ndarray, factors: np.ndarray, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Resample rows in proportion to the product of their tags' factors (a prevalence shift)."""
    rng = np.random.default_rng(seed)
    w = np.exp(y.astype(np.float64) @ np.log(factors))
    rows = rng.choice(len(s), size=len(s) // 2, replace=False, p=w / w.sum())
    return s[rows], y[rows]


# --- empirical ROC and binormal -----------------------------------------------------------------


def test_empirical_roc_at_labelled_prevalences_is_the_benchmark() -> None:
    s, y = binormal_data()
    roc = EmpiricalROC().fit(s, y)
    bench = f1_optimal_thresholds(s, y)
    np.testing.assert_array_equal(roc.thresholds_at(None), bench)
    np.testing.assert_array_equal(roc.thresholds_at(roc.prevalences_), bench)


def test_empirical_roc_lower_threshold_for_higher_prevalence() -> None:
    s, y = binormal_data()
    roc = EmpiricalROC().fit(s, y)
    up, down = roc.thresholds_at(roc.prevalences_ * 3), roc.thresholds_at(roc.prevalences_ / 3)
    assert np.all(up <= roc.thresholds_at(None))
    assert np.all(down >= roc.thresholds_at(None))


def test_binormal_without_blend_is_the_benchmark() -> None:
    s, y = binormal_data()
    est = BinormalThresholds(pooling=50.0, blend=0.0).fit(s, y)
    np.testing.assert_array_equal(est.thresholds_, f1_optimal_thresholds(s, y))


def test_binormal_infinite_positives_limit_is_the_benchmark() -> None:
    s, y = binormal_data()
    bench = f1_optimal_thresholds(s, y)
    small = BinormalThresholds(pooling=0.0, blend=1e-9).fit(s, y).thresholds_
    np.testing.assert_allclose(small, bench, rtol=1e-6)


def test_binormal_zero_pooling_keeps_each_tags_fit() -> None:
    s, y = binormal_data()
    est = BinormalThresholds(pooling=0.0, blend=100.0).fit(s, y)
    z = est.transform_.forward(s)
    for j in range(s.shape[1]):
        assert est.mu1_[j] == pytest.approx(z[y[:, j], j].mean())
        assert est.sd1_[j] == pytest.approx(z[y[:, j], j].std(ddof=1))


def test_binormal_pooling_moves_rare_tags_toward_the_category() -> None:
    s, y = binormal_data()
    free = BinormalThresholds(pooling=0.0).fit(s, y)
    pooled = BinormalThresholds(pooling=1e6).fit(s, y)
    d_free = (free.mu1_ - free.mu0_) / free.sd0_
    d_pooled = (pooled.mu1_ - pooled.mu0_) / pooled.sd0_
    assert np.ptp(d_pooled) < 1e-3 * np.ptp(d_free)
    assert d_pooled[0] == pytest.approx(d_free.mean(), rel=1e-3)


def test_binormal_model_threshold_matches_the_true_optimum() -> None:
    s, y = binormal_data(n=60000, seed=3)
    est = BinormalThresholds(pooling=0.0, blend=1e9, n_grid=4000).fit(s, y)
    n_tags = s.shape[1]
    pi, d = np.linspace(0.02, 0.2, n_tags), np.linspace(1.0, 2.5, n_tags)
    truth = (np.full(n_tags, -3.0), np.ones(n_tags), d - 3.0, np.ones(n_tags), pi)
    grid = np.linspace(-8.0, 4.0, 6001)
    f_true = binormal_f1(grid, *truth)
    z_est = est.transform_.forward(est.thresholds_)
    np.testing.assert_allclose(z_est, grid[f_true.argmax(axis=1)], atol=0.05)
    f_est = np.array([binormal_f1(z_est[[j]], *(a[[j]] for a in truth))[0, 0] for j in range(6)])
    assert np.all(f_est >= f_true.max(axis=1) - 1e-3)


def test_binormal_deterministic_finite_where_positives_exist() -> None:
    s, y = binormal_data()
    y[:, 2] = False
    a = BinormalThresholds().fit(s, y).thresholds_
    b = BinormalThresholds().fit(s, y).thresholds_
    np.testing.assert_array_equal(a, b)
    has = y.any(axis=0)
    assert np.isfinite(a[has]).all() and np.isinf(a[~has]).all()


def test_binormal_with_categories_and_identity_scores() -> None:
    s, y = binormal_data()
    raw = np.log(s / (1 - s)) * 3.0  # not probabilities: the identity transform
    est = BinormalThresholds().fit(raw, y, categories=["a", "a", "a", "b", "b", "b"])
    assert not est.transform_.logit
    assert np.isfinite(est.thresholds_).all()
    with pytest.raises(ValueError):
        BinormalThresholds().fit(raw, y, categories=["a"])


# --- calibration and EM -------------------------------------------------------------------------


def test_platt_posteriors_average_to_the_prevalence() -> None:
    s, y = binormal_data()
    cal = PlattCalibration().fit(s, y)
    np.testing.assert_allclose(cal.predict_proba(s).mean(axis=0), y.mean(axis=0), atol=1e-12)
    assert np.all(cal.coef_ > 0)


def test_em_on_the_labelled_scores_returns_their_prevalences() -> None:
    s, y = binormal_data()
    cal = PlattCalibration().fit(s, y)
    q = em_prevalences(cal.log_odds(s), cal.prevalences_)
    np.testing.assert_allclose(q, cal.prevalences_, rtol=1e-9)


@pytest.mark.parametrize("estimator", ["empirical", "binormal"])
def test_adaptation_unchanged_at_the_labelled_prevalences(estimator: str) -> None:
    s, y = binormal_data()
    adapter = PriorShiftAdapter(estimator).fit(s, y)
    thresholds, q = adapter.adapt(s)
    np.testing.assert_array_equal(q, adapter.prevalences_)
    np.testing.assert_array_equal(thresholds, adapter.thresholds_)
    if estimator == "empirical":
        np.testing.assert_array_equal(thresholds, f1_optimal_thresholds(s, y))


def test_em_recovers_a_resampled_prevalence_shift() -> None:
    s, y = binormal_data(n=20000)
    factors = np.array([3.0, 0.4, 2.0, 0.5, 1.5, 1.0])
    s2, y2 = shifted(s, y, factors)
    adapter = PriorShiftAdapter().fit(s, y)
    q = adapter.estimate_prevalences(s2)
    true_q, pi = y2.mean(axis=0), y.mean(axis=0)
    moved = np.abs(np.log(true_q / pi)) > 0.3
    assert np.all(np.sign(q - pi)[moved] == np.sign(true_q - pi)[moved])
    assert np.mean(np.abs(np.log(q / true_q))) < 0.5 * np.mean(np.abs(np.log(pi / true_q)))


def test_adaptation_improves_f1_under_a_resampled_shift() -> None:
    s, y = binormal_data(n=20000)
    s2, y2 = shifted(s, y, np.array([4.0, 0.3, 3.0, 0.3, 2.5, 0.4]))
    adapter = PriorShiftAdapter().fit(s, y)
    adapted = f1_scores(y2, s2 >= adapter.adapt(s2)[0])
    plain = f1_scores(y2, s2 >= adapter.thresholds_)
    assert adapted["weighted"] > plain["weighted"]


def test_map_strength_keeps_the_estimate_near_the_prior() -> None:
    s, y = binormal_data(n=20000)
    s2, _ = shifted(s, y, np.array([4.0, 0.3, 3.0, 0.3, 2.5, 0.4]))
    free = PriorShiftAdapter().fit(s, y)
    tied = PriorShiftAdapter(strength=1e9).fit(s, y)
    pi = free.prevalences_
    assert np.abs(tied.estimate_prevalences(s2) - pi).max() < 1e-4
    assert np.abs(free.estimate_prevalences(s2) - pi).max() > 1e-2


def test_calibrated_cutoff_near_half_the_micro_f1() -> None:
    s, y = binormal_data(n=20000)
    cut = CalibratedCutoff().fit(s, y)
    micro = f1_scores(y, s >= cut.thresholds_)["micro"]
    assert cut.cutoff_ == pytest.approx(micro / 2, abs=0.03)
    np.testing.assert_array_equal(cut.thresholds_at(cut.prevalences_), cut.thresholds_)
    assert np.all(cut.thresholds_at(cut.prevalences_ * 2) <= cut.thresholds_)


@pytest.mark.skipif(not REAL.is_dir(), reason="real MediaEval data not present")
def test_real_scores_adaptation_fixed_point_and_finite() -> None:
    from mewo_core.data import load_folder

    data = load_folder(REAL).train
    s, y = data.tag_scores(), data.Y.astype(bool)
    adapter = PriorShiftAdapter("binormal").fit(s, y)
    np.testing.assert_array_equal(adapter.adapt(s)[0], adapter.thresholds_)
    assert np.isfinite(adapter.thresholds_).all()
