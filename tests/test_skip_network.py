"""A network model whose correction no tag keeps never runs its network (issue 20)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import load_model, save_model
from mewo_core.data import columns_or_neg_inf, load_folder
from mewo_core.models.reservoir_transformer import ReservoirTransformer
from mewo_core.predict import predict_stream
from tests.conftest import write_tiny_folder

TINY = {"d_model": 8, "n_heads": 2, "epochs": 1, "batch_size": 64, "threads": 1,
        "threshold_method": "benchmark", "context": "none", "min_positives": 0}  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_folder(tmp_path_factory.mktemp("skipnet") / "data", n=240)


def _counted(model: ReservoirTransformer) -> list[int]:
    """A list that grows by one at every forward call of ``model``'s network."""
    calls: list[int] = []
    model.network_.register_forward_pre_hook(lambda *_: calls.append(1))
    return calls


def _fit(folder: Path, **params: object) -> ReservoirTransformer:
    return ReservoirTransformer(**{**TINY, **params}).fit(load_folder(folder).train)


def test_no_kept_tag_never_runs_the_network(folder: Path, tmp_path: Path) -> None:
    test = load_folder(folder).test
    model = _fit(folder, keep_margin=2.0)  # an F1 gain above 1 is impossible: nothing is kept
    assert model.kept_tags == ()
    # the decisions the network path gave: each tag's raw score against its threshold
    aligned = model.align(test)
    raw = columns_or_neg_inf(aligned.X, model.tag_score_index_).astype(np.float64)
    calls = _counted(model)
    scores = model.decision_scores(test)
    np.testing.assert_array_equal(scores, raw)
    assert scores.dtype == np.float64
    np.testing.assert_array_equal(model.predict(test), (raw >= model.thresholds_).astype(np.uint8))
    out = tmp_path / "out.csv"
    predict_stream(model, folder / "x_test.csv", out, chunk_rows=50, workers=2)
    streamed = pd.read_csv(out).set_index("ChallengeID").loc[test.ids]
    np.testing.assert_array_equal(streamed[list(model.tag_names_)].to_numpy(),
                                  model.predict(test))
    assert calls == []
    saved = save_model(model, tmp_path / "m")
    reloaded = load_model(saved)
    np.testing.assert_array_equal(reloaded.decision_scores(test), scores)
    assert reloaded.network_module_ is None  # its weights were not even read
    calls = _counted(reloaded)  # asking for the network reads it
    np.testing.assert_array_equal(reloaded.predict(test), model.predict(test))
    assert calls == []
    # a fresh process loads and predicts without importing torch
    code = (f"import sys; from mewo_core.artifacts import load_model; from mewo_core.data import "
            f"load_folder; m = load_model({str(saved)!r}); "
            f"m.predict(load_folder({str(folder)!r}).test); print('torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True)
    assert run.stdout.strip() == "False", run.stderr


def test_a_kept_tag_runs_the_network(folder: Path) -> None:
    """The counter can fail: a model that keeps a correction calls the network."""
    model = _fit(folder)
    test = load_folder(folder).test
    model.blend_weights_ = np.where(np.arange(len(model.tag_names_)) == 0, 0.5, 0.0)
    calls = _counted(model)
    model.decision_scores(test)
    assert len(calls) >= 1
