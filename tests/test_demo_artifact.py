"""The shipped demo model loads and reproduces its stored test metrics on the regenerated data.

``artifacts/demo-model`` was made by::

    python -m mewo_core demo-data --out data/demo
    python -m mewo_core train --data data/demo --out artifacts/demo-model

The default catalogue is deterministic, so it is regenerated once per session (slow: ~1 min).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mewo_core.artifacts import load_model, read_manifest
from mewo_core.data import load_folder

ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "demo-model"


def test_demo_artifact_is_small_and_complete() -> None:
    manifest = read_manifest(ARTIFACT)
    size = sum(f.stat().st_size for f in ARTIFACT.iterdir())
    assert size < 20 * 2**20
    assert manifest["model_type"] == "reservoir-transformer"
    assert {"validation", "test"} <= set(manifest["metrics"])
    load_model(ARTIFACT)  # hashes and weights check out


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory):
    from mewo_core.synthetic import write_demo_data

    folder = tmp_path_factory.mktemp("demo-default")
    write_demo_data(folder)
    return load_folder(folder)


@pytest.mark.slow
def test_demo_artifact_reproduces_its_test_metrics(default_demo) -> None:
    from mewo_core.evaluation import evaluate_model

    manifest = read_manifest(ARTIFACT)
    assert manifest["data_fingerprint"] == default_demo.train.fingerprint, (
        "the demo catalogue changed since the artifact was trained: retrain it"
    )
    model = load_model(ARTIFACT)
    got = evaluate_model(model, default_demo.test).overall
    for average, stored in manifest["metrics"]["test"].items():
        assert got[average] == pytest.approx(stored, abs=1e-9), average
