"""The Thresholds page under AppTest on a small demo catalogue (3,000 tracks, baseline only).

Overrides come only from the chosen tag's own slider and survive later offsets; offset sliders
span the offsets that matter for their scope; switching the threshold method shows deltas
against what was shown before; the charts name every trace and their axes the split.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page  # noqa: E402

TRACKS = 3000
CAPTION = re.compile(r"^(\S+): threshold (-?\d+\.\d{4}) \((\S+) (-?\d+\.\d{4})\)")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    set_app_env(mp, tmp_path_factory, TRACKS)
    yield
    mp.undo()


@pytest.fixture
def at(env: None) -> AppTest:
    app = switch_page(open_app(), "pages/thresholds.py")
    _ok(app)
    return app


@pytest.fixture(scope="module")
def session(env: None):
    """The page's data and baseline, computed here as the page does."""
    from mewo_core import demo
    from mewo_core.session import Session

    return Session(demo.load_demo_bundle(demo.ensure_demo_data()), "check")


def _ok(at: AppTest) -> None:
    no_exception(at)
    assert not at.error, [e.value for e in at.error]


def _caption(at: AppTest) -> tuple[str, float, float]:
    for c in at.caption:
        found = CAPTION.match(c.value)
        if found:
            return found[1], float(found[2]), float(found[4])
    raise AssertionError([c.value for c in at.caption])


def _individual(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if "set individually:" in c.value)


def test_offsets_never_make_an_override_and_an_edit_survives_them(at: AppTest) -> None:
    tag, start, tuned = _caption(at)
    assert start == tuned
    for value in (0.01, 0.03, -0.02):
        glob = one(at.slider, "Global offset")
        glob.set_value(glob.min + round((value - glob.min) / glob.step) * glob.step).run()
        _ok(at)
        offset = one(at.slider, "Global offset").value
        assert not _individual(at)
        assert _caption(at)[1] == pytest.approx(tuned + offset, abs=1.5e-4)
        assert one(at.slider, "Threshold of the chosen tag").value == pytest.approx(
            tuned + offset, abs=1.5e-4)

    own = one(at.slider, "Threshold of the chosen tag")
    own.set_value(own.min).run()  # the user's own edit
    _ok(at)
    assert tag in _individual(at)
    pinned = _caption(at)[1]
    assert pinned == pytest.approx(own.min, abs=1.5e-4)
    glob = one(at.slider, "Global offset")
    glob.set_value(glob.max).run()
    _ok(at)
    assert _caption(at)[1] == pinned, "an offset moved a tag set individually"
    assert one(at.slider, "Threshold of the chosen tag").value == pytest.approx(own.min)

    one(at.button, "Reset to tuned").click().run()
    _ok(at)
    assert not _individual(at)
    assert _caption(at)[1] == pytest.approx(tuned, abs=1e-4)
    assert one(at.slider, "Global offset").value == 0.0
    assert one(at.slider, "Threshold of the chosen tag").value == pytest.approx(tuned, abs=1.5e-4)


def test_offset_ranges_fit_the_thresholds_of_their_scope(at: AppTest, session) -> None:
    from mewo_core.scoring.explorer import offset_range

    data = session.data("validation")
    tuned = session.thresholds("baseline")
    ranges = session.explorer("baseline", "validation").score_ranges
    expected = {"Global offset": offset_range(tuned, ranges)}
    classes = np.asarray(data.tag_classes, dtype=object)
    categories = np.asarray(data.tag_categories, dtype=object)
    for c in dict.fromkeys(data.tag_classes):
        expected[f"Class {c}"] = offset_range(tuned, ranges, classes == c)
    for c in dict.fromkeys(data.tag_categories):
        expected[f"Category {c}"] = offset_range(tuned, ranges, categories == c)
    assert not [s for s in at.slider if s.label.startswith(("Class ", "Category "))], \
        "offset sliders drawn in closed expanders"
    prefix = one(at.slider, "Global offset").key.removesuffix(":global")
    for kind in ("class", "cat"):
        at.session_state[f"{prefix}:open:{kind}"] = True  # as a click on the expander does
    at.run()
    _ok(at)
    for label, want in expected.items():
        slider = one(at.slider, label)
        assert (slider.min, slider.max, slider.step) == pytest.approx(
            (want.lo, want.hi, want.step)), label
        assert slider.min < 0 < slider.max and slider.value == 0.0
    spans = {label: r.hi - r.lo for label, r in expected.items()}
    assert len({round(s, 9) for s in spans.values()}) > 1, "one range for every scope"
    # the lowest offset takes the scope's highest threshold to its lowest score
    finite = np.isfinite(tuned)
    assert expected["Global offset"].lo <= ranges[finite, 0].min() - tuned[finite].max()

    tag_slider = one(at.slider, "Threshold of the chosen tag")
    t = data.tag_names.index(_caption(at)[0])
    assert tag_slider.min == pytest.approx(min(ranges[t, 0], tuned[t]))
    assert tag_slider.max == pytest.approx(max(ranges[t, 1], tuned[t]))


def test_switching_the_method_shows_deltas_against_what_was_shown(at: AppTest) -> None:
    before = float(one(at.metric, "Weighted F1").value)
    assert not [r for r in at.radio if r.label == "Deltas against"]
    one(at.selectbox, "Threshold method").set_value("Robust: one global threshold").run()
    _ok(at)
    reference = one(at.radio, "Deltas against")
    assert reference.value == "before"
    card = one(at.metric, "Weighted F1")
    after = float(card.value)
    assert after != before
    assert float(card.delta.lstrip("↑↓ ")) == pytest.approx(after - before, abs=1.5e-4)
    reference.set_value("start").run()
    _ok(at)
    assert one(at.metric, "Weighted F1").delta in (None, "", "+0.0000")  # at its start


def test_charts_name_their_traces_and_the_split(at: AppTest) -> None:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3
    for fig in charts:
        assert all(trace.get("name") for trace in fig["data"]), fig["layout"]["title"]
        assert fig["layout"]["margin"]["l"] >= 60 and fig["layout"]["margin"]["t"] >= 60
        axes = " ".join(str(fig["layout"][a].get("title", {}).get("text", ""))
                        for a in ("xaxis", "yaxis"))
        assert "validation split" in axes, axes


def test_class_offsets_apply_while_their_expander_is_closed(at: AppTest, session) -> None:
    tag, _, tuned = _caption(at)
    data = session.data("validation")
    label = f"Class {data.tag_classes[data.tag_names.index(tag)]}"
    prefix = one(at.slider, "Global offset").key.removesuffix(":global")
    opened = f"{prefix}:open:class"
    at.session_state[opened] = True
    at.run()
    slider = one(at.slider, label)
    slider.set_value(slider.min + 3 * slider.step).run()
    _ok(at)
    moved = one(at.slider, label).value
    assert moved != 0.0
    assert _caption(at)[1] == pytest.approx(tuned + moved, abs=1.5e-4)

    at.session_state[opened] = False
    at.run()
    _ok(at)
    assert not [s for s in at.slider if s.label == label]
    assert _caption(at)[1] == pytest.approx(tuned + moved, abs=1.5e-4), "closing dropped it"
    shown = [c.value for c in at.caption if c.value.startswith("Class / category offsets")]
    assert shown == [f"Class / category offsets in effect: {label[6:]} {moved:+.4f}"]
    one(at.slider, "Global offset").set_value(0.0).run()  # another move keeps it too
    assert _caption(at)[1] == pytest.approx(tuned + moved, abs=1.5e-4)

    one(at.button, "Reset to tuned").click().run()
    _ok(at)
    assert _caption(at)[1] == pytest.approx(tuned, abs=1e-4)
    assert not [c for c in at.caption if c.value.startswith("Class / category offsets")]
    at.session_state[opened] = True
    at.run()
    _ok(at)
    assert not at.warning, [w.value for w in at.warning]
    assert one(at.slider, label).value == 0.0


def test_a_new_threshold_method_drops_hidden_class_offsets(at: AppTest, session) -> None:
    tag = _caption(at)[0]
    data = session.data("validation")
    label = f"Class {data.tag_classes[data.tag_names.index(tag)]}"
    prefix = one(at.slider, "Global offset").key.removesuffix(":global")
    at.session_state[f"{prefix}:open:class"] = True
    at.run()
    slider = one(at.slider, label)
    slider.set_value(slider.min + 3 * slider.step).run()
    key = one(at.slider, label).key
    assert at.session_state[key] != 0.0
    at.session_state[f"{prefix}:open:class"] = False
    at.run()
    one(at.selectbox, "Threshold method").set_value("Robust: one global threshold").run()
    _ok(at)
    _, start, tuned = _caption(at)
    assert start == pytest.approx(tuned, abs=1e-4), "a hidden class offset moved the new start"
    assert at.session_state[key] == 0.0
