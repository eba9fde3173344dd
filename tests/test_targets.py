"""Precision / recall targets with a stated guarantee (mewo_core.targets): the bound keeps its
promise on synthetic grouped data where the naive and the i.i.d. choices break theirs; tags
that cannot promise are marked and never positive; parsing errors are clear; the CLI's train
and evaluate round trip; the CLI and the app's form make the same thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import load_model
from mewo_core.artifacts.training import train_and_save, train_params
from mewo_core.cli import main
from mewo_core.data import load_folder
from mewo_core.errors import DataError, TrainingError
from mewo_core.models import model_class
from mewo_core.targets.bounds import grouped_lower_bound, min_trials
from mewo_core.targets.fit import CANNOT, PROMISED, fit_targets, naive_thresholds
from mewo_core.targets.spec import Target, parse_target, read_targets_csv, resolve_targets
from tests.conftest import write_tiny_folder

DELTA = 0.1
SEEDS = 200
# the violation rate is a mean of SEEDS Bernoulli draws: 3 standard errors at delta
MARGIN = 3 * np.sqrt(DELTA * (1 - DELTA) / SEEDS)


# --- synthetic grouped data with a known population ----------------------------------------


def _draw(rng: np.random.Generator, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Artists of geometric sizes (mean 10); each artist shifts both the chance of the tag
    (labels) and the tagger's scores (an artist's tracks are right or wrong together)."""
    sizes = rng.geometric(0.1, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    a, b = rng.normal(size=(2, n_groups))
    y = (rng.random(g.size) < 1 / (1 + np.exp(1.5 - 1.5 * a[g]))).astype(np.uint8)
    s = (2.5 * y + 0.8 * b[g] + rng.normal(size=g.size)).astype(np.float32)
    return s, y, g


@pytest.fixture(scope="module")
def population() -> tuple[np.ndarray, np.ndarray]:
    """The population's curve: scores sorted high first and cumulative positives (60k artists,
    ~600k tracks: its precision and recall are exact to about 0.002)."""
    s, y, _ = _draw(np.random.default_rng(12345), 60_000)
    order = np.argsort(-s)
    return s[order], np.cumsum(y[order])


def _true(population, threshold: float, metric: str) -> float:  # noqa: ANN001
    desc, cum = population
    k = int(np.searchsorted(-desc, -threshold, "right"))
    if metric == "precision":
        return cum[k - 1] / k if k else 1.0
    return cum[k - 1] / cum[-1] if k else 0.0


@pytest.mark.parametrize("metric", ["precision", "recall"])
def test_the_bound_keeps_its_promise_where_the_naive_and_iid_choices_do_not(
    population, metric: str
) -> None:
    target = [Target(metric, 0.8)]
    violations = {"grouped": 0, "iid": 0, "naive": 0}
    promised = 0
    for seed in range(SEEDS):
        s, y, g = _draw(np.random.default_rng(seed), 150)  # ~1,500 tuning tracks
        S, Y = s[:, None], y[:, None]
        chosen = {
            "grouped": fit_targets(S, Y, g, target, DELTA).thresholds[0],
            "iid": fit_targets(S, Y, None, target, DELTA).thresholds[0],
            "naive": naive_thresholds(S, Y, target)[0],
        }
        promised += np.isfinite(chosen["grouped"])
        for name, threshold in chosen.items():
            # no promise (+inf) shows no track: no violation
            if np.isfinite(threshold) and _true(population, threshold, metric) < 0.8:
                violations[name] += 1
    rate = {k: v / SEEDS for k, v in violations.items()}
    assert promised > SEEDS / 2  # the test has power: most seeds promise something
    assert rate["grouped"] <= DELTA + MARGIN, rate
    assert rate["naive"] >= 0.3, rate  # the in-sample choice breaks its promise often
    assert rate["iid"] > rate["grouped"], rate  # ignoring the artists costs validity


def test_the_bound_counts_groups_not_tracks() -> None:
    # 40 selected tracks, all positive: alone they promise more than as 4 artists of 10
    alone = grouped_lower_bound(np.array([40]), np.array([40]), np.array([40]), DELTA)[0]
    grouped = grouped_lower_bound(np.array([40]), np.array([40]), np.array([400]), DELTA)[0]
    assert alone == pytest.approx(DELTA ** (1 / 40))  # Clopper-Pearson with no failure
    assert grouped == pytest.approx(DELTA ** (1 / 4))
    assert min_trials(0.9, DELTA) == pytest.approx(np.log(0.1) / np.log(0.9))


def test_a_tag_with_too_few_positives_is_marked_and_never_positive(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    y = np.zeros((n, 2), dtype=np.uint8)
    y[: n // 3, 0] = 1
    y[rng.choice(n, 8, replace=False), 1] = 1  # 8 positives cannot show precision 0.9
    s = (2.0 * y + rng.normal(size=(n, 2))).astype(np.float32)
    fit = fit_targets(s, y, np.arange(n) // 5, [Target("precision", 0.9)] * 2, DELTA)
    assert list(fit.status) == [PROMISED, CANNOT]
    assert np.isfinite(fit.thresholds[0]) and fit.thresholds[1] == np.inf
    assert fit.bound[0] >= 0.9 and np.isnan(fit.bound[1])
    assert 0 < fit.best_bound[1] < 0.9  # the best it could promise is reported
    assert not (s[:, 1] >= fit.thresholds[1]).any()
    fallback = fit_targets(s, y, np.arange(n) // 5, [Target("precision", 0.9)] * 2, DELTA,
                           fallback="f1")  # fmt: skip
    assert fallback.status[1] == "fallback" and np.isfinite(fallback.thresholds[1])


def test_a_shared_threshold_keeps_each_tags_promise() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    y = (rng.random((n, 3)) < [0.3, 0.2, 0.1]).astype(np.uint8)
    s = (np.array([2.0, 2.5, 3.0]) * y + rng.normal(size=(n, 3))).astype(np.float32)
    fit = fit_targets(s, y, np.arange(n) // 4, [Target("precision", 0.85)] * 3, DELTA,
                      scope=["a", "a", "a"])  # fmt: skip
    promised = fit.status == PROMISED
    assert promised.sum() >= 2
    assert np.unique(fit.thresholds[promised]).size == 1  # one threshold for the category
    assert (fit.bound[promised] >= 0.85).all()
    own = fit_targets(s, y, np.arange(n) // 4, [Target("precision", 0.85)] * 3, DELTA)
    assert (fit.thresholds[promised] >= own.thresholds[promised]).any()  # the weakest decides
    mixed = [Target("precision", 0.8), Target("recall", 0.8), Target("precision", 0.8)]
    with pytest.raises(TrainingError, match="both precision and recall"):
        fit_targets(s, y, None, mixed, DELTA, scope=["a", "a", "a"])


def test_the_fit_is_deterministic_and_independent_of_threads() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random((4000, 12)) < 0.2).astype(np.uint8)
    s = (2.0 * y + rng.normal(size=y.shape)).astype(np.float32)
    groups = np.arange(4000) // 7
    targets = [Target("precision", 0.8)] * 6 + [Target("recall", 0.7)] * 6
    one = fit_targets(s, y, groups, targets, DELTA, n_jobs=1)
    two = fit_targets(s, y, groups, targets, DELTA, n_jobs=2)
    assert one.thresholds.tobytes() == two.thresholds.tobytes()
    assert one.bound.tobytes() == two.bound.tobytes()
    as64 = fit_targets(s.astype(np.float64), y, groups, targets, DELTA)  # the argsort path
    np.testing.assert_array_equal(as64.thresholds, one.thresholds)


# --- the targets and their errors ----------------------------------------------------------


def test_targets_parse_and_bad_ones_are_named() -> None:
    assert parse_target("precision>=0.9") == Target("precision", 0.9)
    assert parse_target(" Recall >= 80% ") == Target("recall", 0.8)
    assert str(parse_target("precision≥.75")) == "precision>=0.75"
    with pytest.raises(TrainingError, match="--target: cannot read target 'precision>0.9'"):
        parse_target("precision>0.9")
    with pytest.raises(TrainingError, match="unknown target metric 'f1'"):
        parse_target("f1>=0.5")
    with pytest.raises(TrainingError, match="between 0 and 1"):
        parse_target("precision>=1.5")


def test_targets_csv_errors_name_the_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "t.csv"
    good.write_text("category,metric,target\ngenres-band,precision,0.9\nmoods-happy,recall,0.7\n")
    assert read_targets_csv(good) == {"genres-band": Target("precision", 0.9),
                                      "moods-happy": Target("recall", 0.7)}  # fmt: skip
    cases = {
        "cat,metric,target\nx,precision,0.9\n": "line 1: header must be category,metric,target",
        "category,metric,target\nx,precision\n": "line 2: expected 3 values",
        "category,metric,target\nx,precision,0.9\nx,recall,0.5\n": "line 3: category 'x' is",
        "category,metric,target\nx,accuracy,0.9\n": "line 2: unknown target metric",
        "category,metric,target\nx,precision,2\n": "line 2: the target value must be",
        "": "the targets file is empty",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(DataError, match=message):
            read_targets_csv(bad)
    with pytest.raises(DataError, match="not found"):
        read_targets_csv(tmp_path / "missing.csv")
    with pytest.raises(TrainingError, match="no tag has the category 'nope'"):
        resolve_targets(["a", "b"], None, {"nope": Target("precision", 0.9)})
    with pytest.raises(TrainingError, match="no target for the categories b"):
        resolve_targets(["a", "b"], None, {"a": Target("precision", 0.9)})


# --- the model, the CLI and the app's form -------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_folder(tmp_path_factory.mktemp("targets") / "data", n=1500, seed=3)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_train_then_evaluate_reports_targets(folder: Path, tmp_path: Path, capsys) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("category,metric,target\ngenres-band,precision,0.8\n")
    out = tmp_path / "m"
    status, printed, err = _cli(
        capsys, "train", "--data", str(folder), "--model", "robust-thresholds",
        "--target", "recall>=0.7", "--targets-csv", str(targets), "--delta", "0.2",
        "--per", "category", "--context", "none", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert status == 0, err
    model = load_model(out)
    fit = model.targets_
    assert list(fit.metric) == ["precision", "precision", "recall", "recall"]
    assert fit.delta == 0.2 and list(fit.scope[:2]) == ["genres-band"] * 2
    np.testing.assert_array_equal(fit.thresholds, model.thresholds_)
    status, printed, err = _cli(capsys, "evaluate", "--model", str(out), "--json",
                                "--bootstrap", "0")  # fmt: skip
    assert status == 0, err
    report = json.loads(printed)["targets"]
    assert report["promised"] == 4 and report["delta"] == 0.2
    test = load_folder(folder).test
    decisions = model.predict(test)
    labels = test.require_labels()
    for t, row in enumerate(report["tags"]):  # the realised values are the split's
        tp = int((decisions[:, t] & labels[:, t]).sum())
        assert row["precision"] == pytest.approx(tp / decisions[:, t].sum())
        assert row["recall"] == pytest.approx(tp / labels[:, t].sum())
        realised = row[row["metric"]]
        assert row["met"] == (realised >= row["target"])
    assert report["met"] == sum(r["met"] for r in report["tags"])
    status, printed, _ = _cli(capsys, "evaluate", "--model", str(out), "--bootstrap", "0")
    assert status == 0 and "promised tags meeting their target" in printed


def test_cli_refuses_bad_targets_without_traceback(folder: Path, tmp_path: Path, capsys) -> None:
    base = ["train", "--data", str(folder), "--model", "robust-thresholds", "--quiet",
            "--out", str(tmp_path / "m")]  # fmt: skip
    status, _, err = _cli(capsys, *base, "--target", "precision=0.9")
    assert status == 2 and err.startswith("error: --target: cannot read target")
    status, _, err = _cli(capsys, *base, "--per", "category")
    assert status == 2 and "give --target or --targets-csv" in err
    bad = tmp_path / "t.csv"
    bad.write_text("category,metric,target\nno-such-category,precision,0.9\n")
    status, _, err = _cli(capsys, *base, "--targets-csv", str(bad), "--target", "recall>=0.5")
    assert status == 2 and "no tag has the category 'no-such-category'" in err
    with pytest.raises(SystemExit) as exit_:  # argparse checks the bounds of --delta
        main([*base, "--target", "precision>=0.9", "--delta", "1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "delta must be a number > 0 and < 1" in err
    assert not (tmp_path / "m").exists()


def test_cli_and_app_form_make_the_same_thresholds(folder: Path, tmp_path: Path, capsys) -> None:
    status, _, err = _cli(
        capsys, "train", "--data", str(folder), "--model", "robust-thresholds",
        "--target", "precision>=0.8", "--per", "class", "--out", str(tmp_path / "cli"), "--quiet",
    )  # fmt: skip
    assert status == 0, err
    # the Models page passes every exposed option, widgets at their defaults but the target
    form = {p.name: p.default for p in model_class("robust-thresholds").exposed_params()}
    form.update(target="precision>=0.8", per="class")
    params = train_params("robust-thresholds", form, seed=0)
    train_and_save(load_folder(folder), "robust-thresholds", params, tmp_path / "app")
    cli, app = (json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("cli", "app"))
    assert cli["config"] == app["config"] and cli["config"]["per"] == "class"
    with (np.load(tmp_path / "cli" / "arrays.npz") as a, np.load(tmp_path / "app" / "arrays.npz")
          as b):  # fmt: skip
        assert sorted(a.files) == sorted(b.files) and "target_bound" in a.files
        for key in a.files:
            assert a[key].tobytes() == b[key].tobytes(), key


def test_edited_thresholds_are_marked_edited(folder: Path, tmp_path: Path) -> None:
    from mewo_core.artifacts import save_model
    from mewo_core.targets.report import target_report

    params = train_params("robust-thresholds", {"target": "precision>=0.8", "context": "none"})
    model = train_and_save(load_folder(folder), "robust-thresholds", params, None).model
    edited = model.with_thresholds(model.thresholds_ + [0.0, 0.01, 0.0, 0.0])
    loaded = load_model(save_model(edited, tmp_path / "edited"))
    np.testing.assert_array_equal(loaded.targets_.thresholds, model.thresholds_)  # as fitted
    test = load_folder(folder).test
    report = target_report(loaded.targets_, test.tag_names, test.require_labels(),
                           loaded.predict(test), loaded.thresholds_, "test")  # fmt: skip
    assert list(report.table["status"]) == ["promised", "edited", "promised", "promised"]


def test_an_f1_model_has_no_target_report(folder: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "f1"
    params = {"method": "benchmark", "context": "none"}
    train_and_save(load_folder(folder), "robust-thresholds", params, out)
    assert load_model(out).targets_ is None
    status, printed, _ = _cli(capsys, "evaluate", "--model", str(out), "--json", "--bootstrap", "0")
    assert status == 0 and "targets" not in json.loads(printed)


def test_target_columns_of_the_report_frame() -> None:
    from mewo_core.targets.report import target_report

    y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=np.uint8)
    fit = fit_targets(np.zeros((4, 2), np.float32), y, None, [Target("precision", 0.5)] * 2, 0.1)
    decisions = np.array([[1, 0], [1, 0], [1, 0], [0, 0]], dtype=np.uint8)
    report = target_report(fit, ["a", "b"], y, decisions, fit.thresholds, "test")
    table = report.table
    assert isinstance(table, pd.DataFrame)
    assert table.loc[0, "precision"] == pytest.approx(2 / 3)
    assert np.isnan(table.loc[1, "precision"])  # no positive decision
    assert report.to_dict()["tags"][1]["precision"] is None  # JSON: null, not NaN
