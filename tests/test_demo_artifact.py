"""The shipped demo model loads and reproduces its stored test metrics on the regenerated data.

``artifacts/demo-model`` was made by::

    python -m mewo_core demo-data --out data/demo
    python -m mewo_core train --data data/demo --out artifacts/demo-model

The default catalogue has the same bytes on every machine (``tests/test_demo_generator.py``
pins a small one), so it is regenerated once per session. The model's decisions are equal within
a tolerance across machines: torch's float32 kernels differ by CPU, which can flip a decision
whose probability lies within about 1e-7 of its threshold (each flip moves an F1 by < 1e-5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mewo_core.artifacts import load_model, read_manifest
from mewo_core.data import load_folder
from mewo_core.demo.reference import DEFAULT_TRAIN_FINGERPRINT

ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "demo-model"
METRIC_TOLERANCE = 1e-4  # about 20 flipped decisions out of 5.6 million


def test_demo_artifact_is_small_and_complete() -> None:
    manifest = read_manifest(ARTIFACT)
    size = sum(f.stat().st_size for f in ARTIFACT.iterdir())
    assert size < 20 * 2**20
    assert manifest["model_type"] == "reservoir-transformer"
    assert {"validation", "test"} <= set(manifest["metrics"])
    load_model(ARTIFACT)  # hashes and weights check out


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory):
    from mewo_core.demo import write_demo_data

    folder = tmp_path_factory.mktemp("demo-default")
    write_demo_data(folder)
    return load_folder(folder)


@pytest.mark.slow
def test_demo_artifact_reproduces_its_test_metrics(default_demo) -> None:
    from mewo_core.compare.evaluation import evaluate_model

    manifest = read_manifest(ARTIFACT)
    assert default_demo.train.fingerprint == DEFAULT_TRAIN_FINGERPRINT, (
        "the regenerated default demo catalogue differs from the pinned one: either "
        "mewo_core/demo/ changed (update mewo_core/demo/reference.py and retrain "
        "artifacts/demo-model) or this "
        "machine draws other bytes (a determinism bug; see tests/test_demo_generator.py)"
    )
    assert manifest["data_fingerprint"] == DEFAULT_TRAIN_FINGERPRINT, (
        "artifacts/demo-model was trained on another catalogue: retrain it"
    )
    model = load_model(ARTIFACT)
    got = evaluate_model(model, default_demo.test).overall
    for average, stored in manifest["metrics"]["test"].items():
        assert got[average] == pytest.approx(stored, abs=METRIC_TOLERANCE), average
