"""The review queue, its calibration and budget curve, label issues, the demo's label noise, and
the ``review`` / ``label-issues`` commands (small data: seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.cli import main
from mewo_core.data import load_folder
from mewo_core.demo import write_demo_data
from mewo_core.demo.noise import NOISE_FILE, LabelNoise
from mewo_core.review import (
    TagCalibrator,
    TopK,
    budget_curve,
    build_queue,
    ece_by_class,
    expected_counts,
    expected_gain,
    ordering,
    top_positions,
)
from mewo_core.review.label_issues import album_mates, find_label_issues, reason
from mewo_core.review.workflow import fit_calibrator, review_split, whole_catalogue
from mewo_core.scoring.counts import count_decisions
from mewo_core.scoring.metrics import f1_score

N_DEMO = 3000


def _calibrated(n: int = 3000, n_tags: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities with per-tag prevalence from 2 % to 40 %, and decisions at p >= 0.3."""
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.02, 0.4, n_tags)
    logit = np.log(prevalence / (1 - prevalence)) + rng.normal(0, 2.0, (n, n_tags))
    p = 1 / (1 + np.exp(-logit))
    return p, p >= 0.3


# --- the gain rule -----------------------------------------------------------------------------
def test_one_check_gain_is_the_exact_f1_change_at_the_expected_counts() -> None:
    """At integer counts, the rule's rise is the F1 change of flipping that one decision."""
    y = np.array([[1, 0], [1, 1], [0, 0], [1, 0], [0, 1]])
    d = np.array([[1, 1], [0, 1], [1, 0], [1, 0], [0, 0]], dtype=bool)
    before = f1_score(count_decisions(y, d), "weighted")
    gain = expected_gain(y.astype(float) * 0 + 0.5, d)  # the rule at p = 1/2 ...
    e = expected_counts(y.astype(float), d)  # ... and at the true counts (p = labels)
    exact = expected_gain(np.full(y.shape, 0.5), d, counts=e)
    for i, j in [(0, 1), (1, 0), (2, 0)]:  # a false positive, a false negative, another FP
        fixed = d.copy()
        fixed[i, j] = y[i, j]
        change = f1_score(count_decisions(y, fixed), "weighted") - before
        assert exact[i, j] == pytest.approx(0.5 * change, rel=1e-5)
    assert gain.shape == d.shape and (gain >= 0).all()


def test_expected_gain_matches_the_measured_gain_on_calibrated_data() -> None:
    """Labels drawn from the probabilities: the queue's expected gain is the mean measured gain,
    within sampling error, and its first-order sum matches for a short queue."""
    p, d = _calibrated()
    fractions = (0.005, 0.02, 0.05)
    order = ordering("gain", int(0.05 * d.size), probability=p, decisions=d)
    expected = budget_curve(order, d, probability=p, fractions=fractions)["expected_gain"]
    rng = np.random.default_rng(1)
    measured = np.array([
        budget_curve(order, d, rng.random(p.shape) < p, fractions=fractions)["gain"].to_numpy()
        for _ in range(40)
    ])  # fmt: skip
    mean, se = measured.mean(axis=0), measured.std(axis=0, ddof=1) / np.sqrt(len(measured))
    assert (np.abs(mean - expected.to_numpy()) < 4 * se + 1e-4).all(), (mean, expected, se)
    assert expected.iloc[0] > 0.003 and expected.iloc[-1] > 0.03  # a real effect, not zeros
    short = build_queue(p, d, budget=int(0.005 * d.size))
    assert short.gain.sum() == pytest.approx(expected.iloc[0], rel=0.1)


def test_the_queue_beats_closest_to_threshold_and_random_on_miscalibrated_scores() -> None:
    """Raw scores on per-tag scales (as a tagger's): closest-to-threshold misjudges which
    decisions are uncertain; the queue reads the calibrated probability and the tag's leverage."""
    p, _ = _calibrated(seed=2)
    gamma = np.linspace(0.3, 3.0, p.shape[1])
    scores = p**gamma
    thresholds = 0.3**gamma
    d = scores >= thresholds
    y = np.random.default_rng(3).random(p.shape) < p
    k = int(0.05 * d.size)
    gains = {
        name: budget_curve(
            ordering(name, k, probability=p, decisions=d, scores=scores, thresholds=thresholds),
            d, y, fractions=(0.05,),
        )["gain"].iloc[0]
        for name in ("gain", "closest", "random")
    }  # fmt: skip
    assert gains["gain"] > gains["closest"] > gains["random"] > 0


def test_top_positions_is_a_total_order_and_chunks_keep_it() -> None:
    rng = np.random.default_rng(0)
    key = rng.integers(0, 20, (300, 7)).astype(np.float32)  # many ties
    top = top_positions(key, 100)
    flat = key.ravel()
    full = np.lexsort((np.arange(flat.size), -flat))[:100]
    assert (top == full).all()
    acc = TopK(100, 7)
    for start in range(0, 300, 64):
        part = key[start : start + 64]
        acc.add(part, np.zeros(part.shape), np.zeros(part.shape, dtype=bool))
    q = acc.queue()
    assert ((q.rows * 7 + q.tags) == full).all()


# --- calibration -------------------------------------------------------------------------------
def test_calibrator_keeps_calibrated_tags_and_fixes_miscalibrated_ones() -> None:
    p, _ = _calibrated(n=6000, n_tags=6, seed=4)
    y = np.random.default_rng(5).random(p.shape) < p
    scores = p.copy()
    scores[:, 3:] = p[:, 3:] ** 3  # miscalibrated (too low)
    scores[:, 5] = -np.inf  # no score column: the tag's positive rate
    groups = np.arange(6000) // 10
    fit, held = slice(0, 4000), slice(4000, None)
    cal = TagCalibrator(seed=0).fit(scores[fit], y[fit], groups[fit])
    assert set(cal.method_[3:5]) <= {"platt", "isotonic"}
    assert cal.method_[:3].tolist().count("identity") >= 2
    out = cal.predict_proba(scores[held])
    assert np.allclose(out[:, 5], y[fit][:, 5].mean())
    classes = ["a"] * 6
    before = ece_by_class(np.clip(scores[held][:, 3:5], 0, 1), y[held][:, 3:5], classes[:2])
    after = ece_by_class(out[:, 3:5], y[held][:, 3:5], classes[:2])
    assert after["ece"].iloc[-1] < 0.3 * before["ece"].iloc[-1]


# --- label issues ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    noisy = tmp_path_factory.mktemp("noisy")
    clean = tmp_path_factory.mktemp("clean")
    write_demo_data(noisy, n_tracks=N_DEMO, seed=0, label_noise=LabelNoise())
    write_demo_data(clean, n_tracks=N_DEMO, seed=0)
    return noisy, clean


def test_label_noise_is_recorded_off_by_default_and_chunk_free(
    demo_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    noisy, clean = demo_pair
    assert not (clean / NOISE_FILE).exists()
    places = pd.read_csv(noisy / NOISE_FILE)
    a, b = whole_catalogue(load_folder(noisy)), whole_catalogue(load_folder(clean))
    assert (a.X == b.X).all()  # scores untouched
    changed = np.argwhere(a.Y != b.Y)
    assert len(changed) == len(places)
    pos = {t: j for j, t in enumerate(a.tag_names)}
    row = {int(i): r for r, i in enumerate(a.ids)}
    got = {(int(a.ids[r]), a.tag_names[t]) for r, t in changed}
    assert got == set(zip(places["ChallengeID"], places["tag"], strict=True))
    flips = places.assign(r=places["ChallengeID"].map(row), t=places["tag"].map(pos))
    assert (b.Y[flips["r"], flips["t"]] == flips["true_label"]).all()
    positives, negatives = b.Y.sum(), b.Y.size - b.Y.sum()
    assert (places["true_label"] == 1).sum() / positives == pytest.approx(0.05, rel=0.15)
    assert (places["true_label"] == 0).sum() / negatives == pytest.approx(0.005, rel=0.15)
    small = write_demo_data(tmp_path, n_tracks=N_DEMO, seed=0, chunk_tracks=500,
                            label_noise=LabelNoise())  # fmt: skip
    assert small["label_noise"].read_bytes() == (noisy / NOISE_FILE).read_bytes()


def test_injected_label_errors_are_found_far_above_chance(demo_pair: tuple[Path, Path]) -> None:
    noisy, clean = demo_pair
    data = whole_catalogue(load_folder(noisy))
    places = pd.read_csv(noisy / NOISE_FILE)
    injected = set(zip(places["ChallengeID"], places["tag"], strict=True))
    issues = find_label_issues(data, n_folds=3)
    top = issues.frame(200)
    precision = np.mean([(t, g) in injected for t, g in zip(top["track"], top["tag"], strict=True)])
    chance = len(injected) / data.Y.size
    assert precision > 20 * chance and precision > 0.3, (precision, chance)
    assert top["issue_score"].is_monotonic_decreasing
    clean_issues = find_label_issues(whole_catalogue(load_folder(clean)), n_folds=3)
    assert clean_issues.flagged(0.5) < issues.flagged(0.5)


def test_album_mates_and_reason() -> None:
    y = np.array([[1, 0], [1, 1], [0, 1], [1, 0]])
    with_tag, mates = album_mates(y, np.array([7, 7, 7, 9]))
    assert with_tag.tolist() == [[1, 2], [1, 1], [2, 1], [0, 0]]
    assert mates.tolist() == [2, 2, 2, 0]
    text = reason("piano", 0.93, 5, 6, 0)
    assert text == "scored 0.93 for piano, 5 of 6 album mates have piano, the label says no"


# --- commands ----------------------------------------------------------------------------------
def test_review_cli_writes_the_api_queue_and_streams_the_same(
    demo_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    from mewo_core.session import Session

    folder = demo_pair[1]
    out = tmp_path / "queue.csv"
    argv = ["review", "--model", "baseline", "--data", str(folder), "--budget", "300"]
    assert main([*argv, "--out", str(out)]) == 0
    written = pd.read_csv(out)
    session = Session(load_folder(folder), str(folder))
    calibrator = fit_calibrator(session.tuning_data("model"), session.scores("model", "tuning"))
    api = review_split(session.model, calibrator, session.part("test"), budget=300).frame()
    pd.testing.assert_frame_equal(written, api, check_dtype=False)
    streamed = tmp_path / "streamed.csv"
    x = str(folder / "x_test.csv")
    assert main([*argv, "--x", x, "--chunk-rows", "97", "--out", str(streamed)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(streamed), written)
    assert main([*argv, "--out", str(out)]) == 2  # exists: refused without --force


def test_label_issues_cli(demo_pair: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "issues.csv"
    argv = ["label-issues", "--data", str(demo_pair[0]), "--top", "50", "--folds", "3"]
    assert main([*argv, "--class", "instruments", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == 50 and set(table["class"]) == {"instruments"}
    assert table["reason"].str.contains("album mate").all()
    assert main([*argv, "--tag", "nope", "--out", str(tmp_path / "x.csv")]) == 2
    assert "unknown --tag 'nope'" in capsys.readouterr().err


# --- the app page ------------------------------------------------------------------------------
@pytest.mark.slow
def test_review_page_shows_the_cli_queue(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Review page gives the CLI's queue for the same inputs (the demo, the baseline, the
    validation split, 500 checks)."""
    from mewo_core.demo import ensure_demo_data
    from tests.apptest_helpers import open_app, set_app_env, switch_page

    set_app_env(monkeypatch, tmp_path_factory, 1500)
    at = switch_page(open_app(timeout=300), "pages/review.py")
    assert not at.exception and not at.error
    shown = next(df.value for df in at.dataframe if "expected_gain" in df.value.columns)
    out = tmp_path / "queue.csv"
    folder = ensure_demo_data()
    argv = ["review", "--model", "baseline", "--data", str(folder), "--split", "validation"]
    assert main([*argv, "--budget", "500", "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), pd.read_csv(out),
                                  check_dtype=False)  # fmt: skip
