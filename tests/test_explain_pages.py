"""The Why view (Track inspector) and the Relations page under Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from tests.apptest_helpers import no_exception, one, open_app, switch_page  # noqa: E402
from tests.helpers import SMALL_RT  # noqa: E402
from tests.test_app_pages import env  # noqa: E402, F401

FAST = {**SMALL_RT, "variant": "tokens"}


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
    assert any(m.value.startswith("**Path**") for m in at.markdown)
    assert any("Top contributors" in m.value or "nothing but" in m.value for m in at.markdown)
    assert not [w for w in at.number_input if w.key and ":whatif:" in w.key]  # editor closed
    one(at.toggle, "What if: edit input scores (raw, the tagger's scale)").set_value(True).run()
    inputs = [w for w in at.number_input if w.key and ":whatif:" in w.key]
    assert inputs, "no what-if input"
    inputs[0].set_value(float(inputs[0].value) + 5.0).run()
    one(at.button, "Apply what-if").click().run()
    no_exception(at)
    assert any("What-if edits" in m.value for m in at.markdown)
    assert one(at.toggle, "What if: edit input scores (raw, the tagger's scale)").value  # open
    one(at.button, "Reset edits").click().run()
    no_exception(at)
    assert not any("What-if edits" in m.value for m in at.markdown)


def test_why_view_for_the_baseline(env: Path) -> None:  # noqa: F811
    at = switch_page(open_app(), "pages/track_inspector.py")
    no_exception(at)
    assert any(s.value == "Why" for s in at.subheader)
    assert any("nothing but its own score and its threshold" in m.value for m in at.markdown)
    assert not any("Top contributors" in m.value for m in at.markdown)


def test_why_follows_the_outcome_filters_tag(env: Path) -> None:  # noqa: F811
    at = switch_page(open_app(), "pages/track_inspector.py")
    one(at.selectbox, "Outcome").set_value("False negatives of a tag").run()
    seen = []
    for other in one(at.selectbox, "Tag (type to search)").options[:40]:
        one(at.selectbox, "Tag (type to search)").set_value(other).run()
        no_exception(at)
        why = [s for s in at.selectbox if s.label.startswith("Tag to explain")]
        if why:  # this tag has false negatives: a track is shown and explained
            assert why[0].value == other
            assert one(at.metric, "Model").value == "no"  # a false negative
            seen.append(other)
        if len(seen) == 2:
            break
    assert len(seen) == 2, seen


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


REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mediaeval2019-vggish"
REAL = REAL if REAL.is_dir() else Path("/work/shared/data/mediaeval2019-vggish")


def _drawn(chart) -> tuple[float, float]:  # noqa: ANN001
    """(end of the waterfall, threshold line) of a Plotly chart element under AppTest."""
    import json

    fig = json.loads(chart.proto.spec)
    trace = fig["data"][0]
    end = 0.0
    for y, m in zip(trace["y"], trace["measure"], strict=True):
        end = y if m == "absolute" else end + (y if m == "relative" else 0.0)
    return end, fig["layout"]["shapes"][0]["y0"]


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="the real MediaEval folder is not here")
def test_real_folder_why_has_no_contradiction(tmp_path_factory) -> None:  # noqa: ANN001
    """The issue's case on the real folder (default model, album context on): track 387516's
    moods-children is no, its chart ends below the threshold, the album step is shown."""
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import load_folder
    from tests.apptest_helpers import set_app_env

    mp = pytest.MonkeyPatch()
    try:
        _, artifacts = set_app_env(mp, tmp_path_factory, 1500, MEWO_DATA_ROOTS=str(REAL.parent))
        train_and_save(load_folder(REAL), "reservoir-transformer", {}, artifacts / "rt-real")
        at = open_app()
        one(at.text_input, "Folder path").set_value(str(REAL)).run()
        one(at.button, "Load folder").click().run()
        one(at.sidebar.selectbox, "Model").set_value("rt-real").run()
        switch_page(at, "pages/track_inspector.py")
        one(at.radio, "Pick a track").set_value("By id").run()
        one(at.number_input, "ChallengeID").set_value(387516).run()
        why = [s for s in at.selectbox if s.label.startswith("Tag to explain")][0]
        why.set_value("moods-children").run()
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
        assert one(at.metric, "Model").value == "no"
        score = [m for m in at.metric if m.label.startswith("Score")][0].value
        assert score != one(at.metric, "Threshold").value
        assert float(score) < float(one(at.metric, "Threshold").value)
        path = [m.value for m in at.markdown if m.value.startswith("**Path**")][0]
        assert "album context" in path and "→ no" in path
        assert any("nothing but its album-blended score" in m.value for m in at.markdown)
        end, line = _drawn(at.get("plotly_chart")[-1])
        assert end < line  # the chart reads "below the threshold", as the decision
        # the outcome filter's tag is the one explained
        one(at.radio, "Pick a track").set_value("From a list").run()
        one(at.selectbox, "Outcome").set_value("False positives of a tag").run()
        one(at.selectbox, "Tag (type to search)").set_value("moods-dark").run()
        no_exception(at)
        why = [s for s in at.selectbox if s.label.startswith("Tag to explain")][0]
        assert why.value == "moods-dark"
        model = one(at.metric, "Model").value
        end, line = _drawn(at.get("plotly_chart")[-1])
        assert (end >= line) == (model == "yes") and model == "yes"  # a false positive: yes
    finally:
        mp.undo()
