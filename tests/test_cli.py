"""The command line end to end on a tiny folder: evaluate, train, predict, list, validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from mewo_core.cli import main
from mewo_core.data import load_folder
from mewo_core.scoring.thresholds import f1_optimal_thresholds
from tests.conftest import write_tiny_folder


def _train_baseline(capsys: pytest.CaptureFixture[str], data: Path, out: Path) -> None:
    status, _, err = _run(
        capsys, "train", "--data", str(data), "--model", "baseline", "--out", str(out), "--quiet"
    )
    assert status == 0, err


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_evaluate_baseline_json_matches_sklearn(tiny_folder: Path, capsys) -> None:
    status, out, _ = _run(capsys, "evaluate", "--data", str(tiny_folder), "--json")
    assert status == 0
    report = json.loads(out)
    bundle = load_folder(tiny_folder)
    thr = f1_optimal_thresholds(bundle.train.tag_scores(), bundle.train.Y)
    pred = bundle.test.tag_scores() >= thr
    for avg in ("weighted", "micro", "macro", "samples"):
        expected = f1_score(bundle.test.Y, pred, average=avg, zero_division=0)
        assert report["overall"][avg] == pytest.approx(expected, abs=1e-12)
    assert {r["class"] for r in report["per_class"]} == {"genres", "instruments", "moods"}
    assert len(report["per_tag"]) == 4


def test_evaluate_text_report(tiny_folder: Path, capsys) -> None:
    status, out, _ = _run(
        capsys, "evaluate", "--data", str(tiny_folder), "--model", "global-threshold"
    )
    assert status == 0
    for word in (
        "Overall F1",
        "micro avg",
        "macro avg",
        "weighted avg",
        "samples avg",
        "Per class",
        "Per category",
        "genres-band",
    ):
        assert word in out


def test_train_predict_evaluate_list(tiny_folder: Path, tmp_path: Path, capsys) -> None:
    art = tmp_path / "artifacts" / "thr"
    status, out, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "baseline",
        "--out",
        str(art),
        "--quiet",
    )
    assert status == 0, err
    assert "saved" in out and (art / "manifest.json").exists()
    # a second training to the same name is refused and leaves the first untouched
    before = (art / "arrays.npz").read_bytes()
    status, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "baseline",
        "--out",
        str(art),
        "--quiet",
    )
    assert status == 2 and "already exists" in err
    assert (art / "arrays.npz").read_bytes() == before

    decisions = tmp_path / "decisions.csv"
    status, out, err = _run(
        capsys,
        "predict",
        "--model",
        str(art),
        "--x",
        str(tiny_folder / "x_test.csv"),
        "--out",
        str(decisions),
    )
    assert status == 0, err
    frame = pd.read_csv(decisions)
    x_test = pd.read_csv(tiny_folder / "x_test.csv")
    assert frame.columns.tolist() == [
        "ChallengeID",
        *pd.read_csv(tiny_folder / "y_test.csv").columns[1:],
    ]
    assert frame["ChallengeID"].tolist() == x_test["ChallengeID"].tolist()
    assert set(np.unique(frame.iloc[:, 1:].to_numpy())) <= {0, 1}

    status, out, _ = _run(capsys, "evaluate", "--model", str(art), "--json")
    assert status == 0
    report = json.loads(out)
    deltas = [row["delta"] for row in report["overall"]]
    assert deltas == [0.0, 0.0, 0.0, 0.0]  # the saved baseline is the baseline

    status, out, _ = _run(capsys, "list", "--root", str(tmp_path / "artifacts"))
    assert status == 0 and "thr: baseline" in out


def test_train_refuses_unknown_option_and_model(tiny_folder: Path, tmp_path: Path, capsys) -> None:
    status, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "baseline",
        "--epochs",
        "3",
        "--out",
        str(tmp_path / "a"),
    )
    assert status == 2 and "takes no option --epochs" in err
    status, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "magic",
        "--out",
        str(tmp_path / "a"),
    )
    assert status == 2 and "unknown model type 'magic'" in err
    status, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "baseline",
        "--out",
        str(tmp_path / "bad name!"),
    )
    assert status == 2 and "invalid artifact name" in err
    assert not (tmp_path / "bad name!").exists()


def test_predict_refuses_mismatched_x(tiny_folder: Path, tmp_path: Path, capsys) -> None:
    art = tmp_path / "m"
    _train_baseline(capsys, tiny_folder, art)
    x = pd.read_csv(tiny_folder / "x_test.csv").drop(columns="genres-punk")
    x.to_csv(tmp_path / "x_bad.csv", index=False)
    status, _, err = _run(
        capsys,
        "predict",
        "--model",
        str(art),
        "--x",
        str(tmp_path / "x_bad.csv"),
        "--out",
        str(tmp_path / "d.csv"),
    )
    assert status == 2 and "genres-punk" in err
    assert not (tmp_path / "d.csv").exists()


def test_validate_reports_summary(tiny_folder: Path, capsys) -> None:
    status, out, _ = _run(capsys, "validate", "--data", str(tiny_folder), "--json")
    assert status == 0
    info = json.loads(out)
    assert info["summary"]["train"]["tracks"] == 60
    assert info["summary"]["train"]["tags_per_class"] == {"genres": 2, "instruments": 1, "moods": 1}


def test_module_entry_point_user_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mewo_core", "evaluate", "--data", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_evaluate_model_whose_data_folder_is_gone(
    tiny_folder: Path, tmp_path: Path, capsys
) -> None:
    art = tmp_path / "m"
    _train_baseline(capsys, tiny_folder, art)
    moved = tiny_folder.rename(tmp_path / "moved")
    status, _, err = _run(capsys, "evaluate", "--model", str(art))
    assert status == 2 and "which is not here: pass --data" in err
    assert _run(capsys, "evaluate", "--model", str(art), "--data", str(moved))[0] == 0


def test_cli_refuses_negative_numbers_without_traceback(tiny_folder: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(tiny_folder), "--seed", "-1", "--out", "x"])
    assert info.value.code == 2
    assert "-1 is negative" in capsys.readouterr().err


def test_demo_data_never_overwrites_and_reports_unwritable(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x_train.csv").write_text("precious")
    status, _, err = _run(capsys, "demo-data", "--out", str(folder), "--tracks", "200")
    assert status == 2 and "not empty" in err
    assert (folder / "x_train.csv").read_text() == "precious"
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = _run(capsys, "demo-data", "--out", str(blocker / "sub"), "--tracks", "200")
    assert status == 2 and err.startswith("error: ") and "cannot write" in err


def test_threshold_models_take_no_options(tiny_folder: Path, tmp_path: Path, capsys) -> None:
    status, _, err = _run(
        capsys,
        "train",
        "--data",
        str(tiny_folder),
        "--model",
        "baseline",
        "--variant",
        "x",
        "--out",
        str(tmp_path / "a"),
    )
    assert status == 2 and "it takes: none" in err


def test_evaluate_warns_when_model_was_trained_on_other_data(
    tiny_folder: Path, tmp_path: Path, capsys
) -> None:
    art = tmp_path / "m"
    _train_baseline(capsys, tiny_folder, art)
    other = write_tiny_folder(tmp_path / "other", seed=5)
    status, _, err = _run(capsys, "evaluate", "--model", str(art), "--data", str(other))
    assert status == 0 and "trained on other data" in err
    status, _, err = _run(capsys, "evaluate", "--model", str(art), "--data", str(tiny_folder))
    assert status == 0 and "warning" not in err
