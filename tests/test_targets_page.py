"""The Thresholds page's target mode: the thresholds it starts from are the bytes of
``train --model robust-thresholds --target ... --context none`` on the same data (one fit behind
both), it shows each tag's promise and marks those that cannot promise it, and a threshold set
saved from it keeps those bytes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("streamlit")

from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page  # noqa: E402

pytestmark = pytest.mark.slow
TRACKS = 1500


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    _, artifacts = set_app_env(mp, tmp_path_factory, TRACKS)
    yield artifacts
    mp.undo()


def test_target_mode_uses_the_clis_thresholds_and_saves_them(env, tmp_path) -> None:
    from mewo_core import demo
    from mewo_core.artifacts import load_model
    from mewo_core.cli import main

    folder = demo.ensure_demo_data()
    out = tmp_path / "p80"
    assert main(["train", "--data", str(folder), "--model", "robust-thresholds",
                 "--target", "precision>=0.8", "--delta", "0.1", "--context", "none",
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    cli = load_model(out)

    at = switch_page(open_app(), "pages/thresholds.py")
    one(at.selectbox, "Threshold method").set_value("Target: promise a precision or recall").run()
    one(at.number_input, "at least").set_value(0.8).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    table = next(d.value for d in at.dataframe if "best_bound" in d.value.columns)
    statuses = set(table["status"])
    assert statuses <= {"promised", "cannot", "no-score"} and "cannot" in statuses
    fitted = dict(zip(cli.tag_names_, cli.targets_.status, strict=True))
    assert dict(zip(table["tag"], table["status"], strict=True)) == fitted

    one(at.text_input, "New artifact name").set_value("page-p80").run()
    one(at.button, "Save threshold set as a new artifact").click().run()
    no_exception(at)
    saved = load_model(env / "page-p80")
    assert saved.thresholds_.tobytes() == cli.thresholds_.tobytes()
    assert np.isinf(saved.thresholds_[cli.targets_.status == "cannot"]).all()


def test_compare_shows_a_target_models_promises_beside_the_f1_baseline(env) -> None:
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    train_and_save(bundle, "robust-thresholds",
                   {"target": "precision>=0.7", "delta": 0.1, "context": "none"},
                   env / "p70")  # fmt: skip
    at = switch_page(open_app({"model": "p70", "split": "test"}), "pages/compare.py")
    no_exception(at)
    assert any(e.label.startswith("Promises: ") for e in at.expander)
    table = next(d.value for d in at.dataframe if "precision_b" in d.value.columns)
    promised = table[table["status"] == "promised"]
    assert len(promised) and {"met_a", "met_b", "recall_a", "recall_b"} <= set(table.columns)
    # "met" is the realised precision against the target, for each side
    for side in ("a", "b"):
        realised = promised[f"precision_{side}"]
        want = realised.isna() | (realised >= promised["target"])
        assert list(promised[f"met_{side}"].astype(bool)) == list(want), side
