"""The Why view (Track inspector) and the Relations page under Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from tests.apptest_helpers import no_exception, one, open_app, switch_page  # noqa: E402
from tests.test_app_pages import env  # noqa: E402, F401

FAST = {"units": 24, "all_units": 32, "d_model": 16, "n_heads": 2, "n_layers": 1,
        "batch_size": 256, "epochs": 4, "threads": 1, "threshold_method": "benchmark",
        "variant": "tokens"}  # fmt: skip


@pytest.fixture(scope="module")
def rt_model(env: Path) -> str:  # noqa: F811
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    if not (env / "rt-explain").exists():
        train_and_save(bundle, "reservoir-transformer", FAST, env / "rt-explain")
    return "rt-explain"


def test_why_view_and_what_if(env: Path, rt_model: str) -> None:  # noqa: F811
    at = open_app()
    one(at.sidebar.selectbox, "Model").set_value(rt_model).run()
    switch_page(at, "pages/track_inspector.py")
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "Why" for s in at.subheader)
    assert one(at.metric, "Model").value in ("yes", "no")
    assert any("Top contributors" in m.value for m in at.markdown)
    inputs = [w for w in at.number_input if w.key and ":whatif:" in w.key]
    assert inputs, "no what-if input"
    inputs[0].set_value(float(inputs[0].value) + 5.0).run()
    one(at.button, "Apply what-if").click().run()
    no_exception(at)
    assert any("What-if edits" in m.value for m in at.markdown)
    one(at.button, "Reset edits").click().run()
    no_exception(at)
    assert not any("What-if edits" in m.value for m in at.markdown)


def test_why_view_for_the_baseline(env: Path) -> None:  # noqa: F811
    at = switch_page(open_app(), "pages/track_inspector.py")
    no_exception(at)
    assert any(s.value == "Why" for s in at.subheader)
    assert any("threshold model" in i.value for i in at.info)


def test_relations_page(env: Path, rt_model: str) -> None:  # noqa: F811
    at = open_app()
    one(at.sidebar.selectbox, "Model").set_value(rt_model).run()
    switch_page(at, "pages/relations.py")
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert one(at.metric, "Tags keeping a correction").value
    if at.selectbox:
        one(at.radio, "Map").set_value("decision flips").run()
        no_exception(at)
        one(at.radio, "Data").set_value("score correlation").run()
        no_exception(at)
    at2 = switch_page(open_app(), "pages/relations.py")  # the baseline: a message, no failure
    no_exception(at2)
    assert any("threshold model" in i.value for i in at2.info)
