"""The Compare page under Streamlit's AppTest, on a small demo catalogue (3,000 tracks).

Models are saved to a temporary artifacts folder; the page's numbers are checked against the
core (``Session.comparison``), so what is shown is what is computed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest_helpers import no_exception, one, open_app, set_app_env, switch_page  # noqa: E402

TIMEOUT = 180


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """Small demo catalogue, two global-threshold models (split seeds 0 and 1)."""
    mp = pytest.MonkeyPatch()
    _, artifacts = set_app_env(mp, tmp_path_factory, 3000)
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.data import SplitSpec

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    train_and_save(bundle, "global-threshold", {}, artifacts / "flat")
    train_and_save(bundle, "global-threshold", {}, artifacts / "flat-seed1", spec=SplitSpec(seed=1))
    yield bundle
    mp.undo()


def _compare(split: str = "validation") -> AppTest:
    at = open_app(timeout=TIMEOUT)
    one(at.sidebar.selectbox, "Model").set_value("flat").run()
    one(at.sidebar.radio, "Split to show").set_value(split).run()
    switch_page(at, "pages/compare.py")
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    no_exception(at)
    assert not at.error, [e.value for e in at.error]


def _frame(at: AppTest, first_column: str):
    """The first dataframe whose first column is ``first_column``."""
    for df in at.dataframe:
        if list(df.value.columns[:1]) == [first_column]:
            return df.value
    raise AssertionError(f"no table starting with {first_column!r}")


def _session(bundle, name: str = "flat"):
    import os

    from mewo_core.artifacts import read_manifest
    from mewo_core.session import Session

    path = Path(os.environ["MEWO_ARTIFACTS_DIR"]) / name
    return Session(bundle, "t", model_path=path, manifest=read_manifest(path), model_name=name)


def test_compare_shows_tuning_intervals_and_tables(env) -> None:
    at = _compare()
    captions = " ".join(c.value for c in at.caption)
    assert "flat: tuned on nothing" in captions
    assert "baseline (per-tag thresholds): tuned on all of train" in captions
    assert "this split included" in captions and "in-sample" in captions
    assert "group bootstrap, 1000 replicates" in captions
    assert any("choose **test**" in w.value for w in at.warning)
    want = _session(env).comparison("validation").overall.set_index("average")
    card = one(at.metric, "Weighted F1")
    assert card.value == f"{want.at['weighted', 'model']:.4f}"
    assert f"{want.at['weighted', 'delta']:+.4f}" in card.delta
    low, high = want.at["weighted", "delta_low"], want.at["weighted", "delta_high"]
    assert any(f"{low:+.3f} … {high:+.3f}" in c for c in captions.split("Δ"))
    for first in ("average", "class", "category", "tag", "band", "slice"):
        table = _frame(at, first)
        assert list(table.columns[1:3]) == ["delta", "interval"], first  # next to the name
    per_tag = _frame(at, "tag")
    assert len(per_tag.columns) <= 6  # few, narrow columns: no horizontal scrolling
    assert {t[0] for t in per_tag["interval"]} <= {"▲", "▼", "≈"}
    categories = _frame(at, "category")
    assert {"class", "support", "model", "reference"} <= set(categories.columns)
    assert len(categories) == len(set(env.train.tag_categories))


def test_baseline_on_the_fit_part_is_not_in_sample(env) -> None:
    at = _compare()
    one(at.radio, "Baseline tuned on").set_value("fit").run()
    _ok(at)
    captions = " ".join(c.value for c in at.caption)
    assert "baseline (per-tag thresholds): tuned on the fit part" in captions
    want = _session(env).comparison("validation", baseline_part="fit").overall
    card = one(at.metric, "Micro F1")
    assert f"{want.set_index('average').at['micro', 'delta']:+.4f}" in card.delta


def test_model_vs_itself_and_a_differently_split_model(env) -> None:
    at = _compare()
    one(at.selectbox, "Compared with (B)").set_value("flat").run()
    _ok(at)
    overall = _frame(at, "average")
    assert (overall["delta"] == 0).all() and set(overall["interval"]) == {"≈ +0.000 … +0.000"}
    one(at.selectbox, "Compared with (B)").set_value("flat-seed1").run()
    assert not at.exception
    assert any("split differently" in e.value for e in at.error)


def test_min_support_and_slices(env) -> None:
    at = _compare("test")
    assert not any("choose **test**" in w.value for w in at.warning)
    one(at.number_input, "Minimum positives for the won / lost lists").set_value(10_000).run()
    _ok(at)
    assert any("no tag with at least 10000 positives" in i.value for i in at.info)
    bands = _frame(at, "band")
    assert list(bands["band"]) == ["< 20", "20–99", "100–499", "≥ 500"]
    assert bands["n_tags"].sum() == env.train.n_tags
    one(at.selectbox, "Group column").set_value("album_id").run()
    _ok(at)
    groups = _frame(at, "slice")  # score bands first, then groups
    assert len(groups) == 4
    assert any("album_id" in m.value for m in at.markdown)
    slices = [df.value for df in at.dataframe if list(df.value.columns[:1]) == ["slice"]]
    albums = slices[-1]
    test = env.test
    assert albums["tracks"].sum() == test.n_tracks
    assert len(albums) == np.unique(test.groups["album_id"]).size
    assert np.all(np.diff(albums["delta"].to_numpy()) >= 0)  # worst first


def test_without_intervals_the_page_still_renders(env) -> None:
    at = _compare("test")
    one(at.number_input, "Bootstrap replicates").set_value(0).run()
    _ok(at)
    overall = _frame(at, "average")
    assert "interval" not in overall.columns and list(overall.columns[:2]) == ["average", "delta"]
    assert not any("group bootstrap" in c.value for c in at.caption)
