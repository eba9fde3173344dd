"""One rule for which rows a model was tuned on (mewo_core.models.tuning): training, the session
(Thresholds, Compare, robust refits), ``evaluate`` and the Thresholds page name the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mewo_core.artifacts.training import train_and_save
from mewo_core.cli import main
from mewo_core.data import Dataset, SplitSpec, load_folder
from mewo_core.models import MODEL_TYPES, model_class
from mewo_core.session import Session
from tests.conftest import write_tiny_folder
from tests.helpers import fast_params


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_folder(tmp_path_factory.mktemp("tuning") / "d", n=240, with_test=False)


def _trained(folder: Path, model_type: str, out: Path, monkeypatch: pytest.MonkeyPatch):
    """Train ``model_type``, recording the rows ``fit`` received (fit part, tuning part)."""
    cls = model_class(model_type)
    seen: dict[str, np.ndarray] = {}
    original = cls.fit

    def recording(self, train: Dataset, validation: Dataset | None = None, progress=None):
        seen["fit"] = np.sort(train.ids)
        seen["tune"] = np.sort((validation if validation is not None else train).ids)
        return original(self, train, validation, progress=progress)

    monkeypatch.setattr(cls, "fit", recording)
    result = train_and_save(load_folder(folder), model_type, fast_params(model_type), out,
                            spec=SplitSpec(seed=0))  # fmt: skip
    monkeypatch.undo()
    return result, seen


@pytest.mark.parametrize("model_type", sorted(MODEL_TYPES))
def test_every_consumer_names_the_rows_training_tuned_on(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_type: str, capsys
) -> None:
    result, seen = _trained(folder, model_type, tmp_path / "m", monkeypatch)
    session = Session.open(load_folder(folder), "t", result.path)
    rows = session.tuning_rows("model")
    # the session's tuning data is exactly what fit tuned on (robust refits, threshold sources)
    assert np.array_equal(np.sort(session.tuning_data("model").ids), seen["tune"])
    part = session.tuning_part("model")
    assert np.array_equal(np.sort(getattr(session.splits, part).ids), seen["tune"])
    # Compare's and evaluate's "tuned on" name that part, with its size
    tuned_on = session.side("model", "test").tuned_on
    n_tune = len(seen["tune"])
    if model_type == "global-threshold":
        assert tuned_on.startswith("nothing")
    elif part == "train":
        assert tuned_on.startswith(f"all of train ({n_tune:,} tracks")
    else:
        assert f"validation split ({n_tune:,}" in tuned_on
    assert session.side("model", "validation").in_sample == rows.tunes
    assert not session.side("model", "test").in_sample
    assert main(["evaluate", "--model", str(result.path), "--data", str(folder), "--json",
                 "--bootstrap", "0"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["sides"]["model"]["tuned_on"] == tuned_on


def test_threshold_models_tune_on_all_of_train_and_learned_ones_on_validation() -> None:
    for name in ("baseline", "global-threshold", "robust-thresholds"):
        assert model_class(name).tuning.tune == "train", name
    assert model_class("reservoir-transformer").tuning.tune == "validation"


@pytest.mark.slow
def test_thresholds_page_names_the_robust_models_tuning_rows(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The Thresholds page of a robust-thresholds artifact says "tuned on train" (it said
    validation, and refitted its robust methods there, before the rule had one owner)."""
    pytest.importorskip("streamlit")
    from mewo_core import demo
    from tests.apptest_helpers import no_exception, open_app, set_app_env, switch_page

    mp = pytest.MonkeyPatch()
    try:
        _, artifacts = set_app_env(mp, tmp_path_factory, 1500)
        bundle = demo.load_demo_bundle(demo.ensure_demo_data())
        train_and_save(bundle, "robust-thresholds", fast_params("robust-thresholds"),
                       artifacts / "rt")  # fmt: skip
        at = switch_page(open_app({"model": "rt"}), "pages/thresholds.py")
        no_exception(at)
        captions = " ".join(c.value for c in at.caption)
        assert "(tuned on train)" in captions, captions
        assert "(tuned on validation)" not in captions
    finally:
        mp.undo()
