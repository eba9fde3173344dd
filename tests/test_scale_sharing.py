"""The dashboard at scale (issue 22): one scoring of the active model per (data, model), shared
by every page and every browser session (two AppTest sessions), and kept on disk for a new
server; the views computed on a sample above a size limit say so."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("streamlit")
import streamlit as st  # noqa: E402

from tests.apptest_helpers import no_exception, open_app, set_app_env, switch_page  # noqa: E402

PAGES = ("pages/data.py", "pages/correlations.py", "pages/compare.py", "pages/thresholds.py",
         "pages/track_inspector.py")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """A 3,000-track demo catalogue with a quick saved ``demo-model`` (the sidebar's default)."""
    from mewo_core import demo
    from mewo_core.artifacts.training import train_and_save

    mp = pytest.MonkeyPatch()
    _, artifacts = set_app_env(mp, tmp_path_factory, 3000)
    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    train_and_save(bundle, "global-threshold", {}, artifacts / "demo-model")
    st.cache_resource.clear()
    yield artifacts
    st.cache_resource.clear()
    mp.undo()


def test_the_models_scoring_runs_once_across_pages_sessions_and_servers(env, monkeypatch) -> None:
    from mewo_core.models.base import DecisionModel

    calls: Counter = Counter()
    original = DecisionModel.decision_scores

    def counted(self, data):  # noqa: ANN001, ANN202
        calls[(type(self).__name__, data.fingerprint, data.n_tracks)] += 1
        return original(self, data)

    monkeypatch.setattr(DecisionModel, "decision_scores", counted)
    first = open_app()
    for page in PAGES:
        switch_page(first, page)
        no_exception(first)
    second = open_app()  # another browser session on the same server
    for page in reversed(PAGES):
        switch_page(second, page)
        no_exception(second)
    model_calls = {k: n for k, n in calls.items() if k[0] == "GlobalThreshold"}
    assert model_calls, "the active model was never scored: the test did not exercise it"
    splits = {k: n for k, n in calls.items() if k[2] > 1}  # one-track explanations aside
    assert set(splits.values()) == {1}, splits

    # a new server (the resource caches emptied) reads the model's scores from disk
    st.cache_resource.clear()
    before = sum(model_calls.values())
    third = open_app()
    for page in ("pages/thresholds.py", "pages/compare.py"):
        switch_page(third, page)
        no_exception(third)
    after = sum(n for k, n in calls.items() if k[0] == "GlobalThreshold")
    assert after == before


def test_the_session_reads_one_tracks_row(env) -> None:
    from mewo_core import demo
    from mewo_core.session import Session

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    session = Session.open(bundle, "demo", env / "demo-model")
    data = session.data("validation")
    row = session.track_row("validation", int(data.ids[7]))
    assert row.index == 7
    np.testing.assert_array_equal(row.model_scores, session.scores("model", "validation")[7])
    np.testing.assert_array_equal(row.baseline_scores, session.scores("baseline", "validation")[7])
    np.testing.assert_array_equal(row.model_decisions, session.decisions("model", "validation")[7])
    assert session.track_row("validation", -12345) is None


def _captions(at) -> str:  # noqa: ANN001
    return " ".join(c.value for c in at.caption)


def test_sampled_views_state_their_sample(env, monkeypatch) -> None:
    from mewo_core import demo
    from mewo_core.data import correlations, subsample

    n = demo.load_demo_bundle(demo.ensure_demo_data()).train.n_tracks

    monkeypatch.setattr(correlations, "MAX_ROWS", 500)
    monkeypatch.setattr(subsample, "VIEW_ROWS", 700)
    st.cache_resource.clear()  # the sessions' correlation matrices were computed unsampled
    at = switch_page(open_app(), "pages/correlations.py")
    no_exception(at)
    text = _captions(at)
    assert "Sampled view: the correlations are computed on an evenly spaced sample of 500 of" \
        in text, text
    assert "co-occurrence counts and every other page's figures are exact" in text
    at = switch_page(at, "pages/data.py")
    no_exception(at)
    text = _captions(at)
    assert f"drawn from a seeded random sample of 700 of the {n:,} tracks (seed 0)" in text, text
    st.cache_resource.clear()


def test_exact_views_below_the_limits_are_todays(env) -> None:
    """Under the size limits (the 110,000-track default's train files hold fewer than
    :data:`~mewo_core.data.subsample.VIEW_ROWS` tracks): no sample note, and the figures are
    computed as before (the correlations' own 50,000-row sample is today's)."""
    from mewo_core import demo, plots
    from mewo_core.data import correlations, subsample
    from mewo_core.data.dataset import columns_or_neg_inf

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    train = bundle.train
    assert subsample.seeded(110_000).size == 110_000  # the default catalogue: every row
    # co-occurrence counts: the blocked float32 products equal the float64 product
    y = train.require_labels()
    monkey_block = correlations._BLOCK_ROWS
    try:
        correlations._BLOCK_ROWS = 700  # several blocks, a ragged last one
        blocked = correlations.co_occurrence(y)
    finally:
        correlations._BLOCK_ROWS = monkey_block
    yf = y.astype(np.float64)
    np.testing.assert_array_equal(blocked, np.rint(yf.T @ yf).astype(np.int64))
    # the score correlation: as the old code computed it from all the tag scores
    matrix = correlations.view_matrix(train, "scores")
    old = correlations.correlation(train.tag_scores(), train.tag_names, train.tag_classes,
                                   train.tag_categories, "score correlation")
    assert matrix.sample is None and old.sample is None
    np.testing.assert_array_equal(matrix.values, old.values)
    # the Data page's histograms: all rows, the same figure as from the full columns
    at = switch_page(open_app(), "pages/data.py")
    no_exception(at)
    assert "Sampled view" not in _captions(at)
    chosen = list(at.multiselect[0].value)
    idx = [train.tag_names.index(t) for t in chosen]
    figure = plots.score_histograms(columns_or_neg_inf(train.X, train.tag_feature_index[idx]),
                                    train.Y[:, idx], chosen)
    shown = [c for c in at.get("plotly_chart")]
    assert any(c.proto.spec == figure.to_json() for c in shown) or any(
        _same_bars(c.proto.spec, figure) for c in shown)


def _same_bars(spec: str, figure) -> bool:  # noqa: ANN001
    import json

    data = json.loads(spec).get("data", [])
    bars = [t for t in json.loads(figure.to_json())["data"]]
    return len(data) == len(bars) and all(
        np.allclose(a.get("y", []), b.get("y", [])) for a, b in zip(data, bars, strict=True))


def test_the_value_sorted_explorer_counts_exactly_with_ties_and_moves() -> None:
    """The explorer's two binary searches per tag count as the decisions do, with tied and
    -inf scores, for a full recount and for the incremental one (a few tags moved)."""
    from mewo_core.scoring.counts import count_decisions
    from mewo_core.scoring.explorer import ThresholdExplorer

    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, (400, 9)).astype(np.float32) / 5  # many ties
    scores[:, 4] = -np.inf  # a tag without scores
    labels = rng.random(scores.shape) < 0.3
    ex = ThresholdExplorer(scores, labels, [f"t{i}" for i in range(9)], ["moods"] * 9,
                           ["c"] * 9)  # fmt: skip
    thresholds = np.full(9, 0.4)
    for step in range(6):
        if step:  # move one or two tags (incremental), onto tied values
            thresholds[rng.integers(0, 9, 2)] = rng.integers(0, 6, 2) / 5
        got = ex.counts(thresholds, rows=True)
        want = count_decisions(labels, scores >= thresholds.astype(np.float32))
        for name in ("tp", "pred", "true", "row_tp", "row_pred"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), name)


def test_scoring_with_progress_reports_expected_time_and_gives_the_same_bits(env, monkeypatch):
    from mewo_core import demo
    from mewo_core.session import Session, background
    from mewo_core.session import session as session_module

    monkeypatch.setattr(session_module, "PROGRESS_ROWS", 100)
    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    session = Session.open(bundle, "demo", env / "demo-model")
    data = session.data("validation")
    for n_jobs in (1, 2):
        told: list[tuple] = []
        chunked = session_module.score_rows(session.model, data, lambda *a, told=told:
                                            told.append(a), n_jobs=n_jobs)  # fmt: skip
        np.testing.assert_array_equal(chunked, session.model.decision_scores(data))
        chunk = session_module._chunk_rows(data.n_tracks, session.model.score_block or 1, n_jobs)
        assert chunk <= 100 and -(-data.n_tracks // chunk) >= min(4 * n_jobs, data.n_tracks)
        assert len(told) == -(-data.n_tracks // chunk)  # told once per chunk
    assert told[-1][:2] == (data.n_tracks,) * 2
    assert all(left >= 0 for _, _, left in told) and told[-1][2] == 0
    assert [d for d, _, _ in told] == sorted(d for d, _, _ in told)
    cached = Session.open(bundle, "demo", env / "demo-model", cache_dir=env.parent / "sc")
    assert not cached.scores_ready("model", "validation")
    shown = cached.scores("model", "validation", progress=lambda *a: told.append(a))
    assert not shown.flags.writeable  # the array being written to disk, and shared
    for thread in background.running():  # the cache is written in the background
        thread.join(60)
    assert Session.open(bundle, "demo", env / "demo-model",
                        cache_dir=env.parent / "sc").scores_ready("model", "validation")


def test_a_value_being_computed_holds_up_only_its_own_callers(env) -> None:
    import threading

    from mewo_core import demo
    from mewo_core.session import Session

    session = Session(demo.load_demo_bundle(demo.ensure_demo_data()), "demo")
    release, started, calls = threading.Event(), threading.Event(), Counter()

    def slow() -> str:
        calls["slow"] += 1
        started.set()
        assert release.wait(30)
        return "slow"

    waiting = [threading.Thread(target=lambda: session._memo(("slow",), slow)) for _ in range(2)]
    for thread in waiting:
        thread.start()
    assert started.wait(30)
    assert session._memo(("other",), lambda: "other") == "other"  # not held up by "slow"
    assert session.splits.validation.n_tracks > 0
    release.set()
    for thread in waiting:
        thread.join(30)
    assert session._memo(("slow",), slow) == "slow" and calls["slow"] == 1


def test_the_preparation_runs_in_the_background_once_and_fills_the_shared_values(
    env, monkeypatch
) -> None:
    import threading

    from mewo_core import demo
    from mewo_core.models.base import DecisionModel
    from mewo_core.session import BASELINE, Session

    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    reference = Session.open(bundle, "demo", env / "demo-model")
    expected = reference.scores("model", "validation")
    release, calls = threading.Event(), Counter()
    original = DecisionModel.decision_scores

    def held(self, data):  # noqa: ANN001, ANN202 - the model's scoring, held until released
        calls[type(self).__name__] += 1
        if type(self).__name__ == "GlobalThreshold":
            assert release.wait(30)
        return original(self, data)

    monkeypatch.setattr(DecisionModel, "decision_scores", held)
    session = Session.open(bundle, "demo", env / "demo-model")
    assert not session.prepared("validation")
    first = session.prepare("validation")
    assert session.prepare("validation") is first and not first.wait(0.2)
    assert not first.finished and first.progress < 1
    release.set()
    assert first.wait(60) and first.error is None and session.prepared("validation")
    assert calls["GlobalThreshold"] == 1
    np.testing.assert_array_equal(session.scores("model", "validation"), expected)
    np.testing.assert_array_equal(session.thresholds(BASELINE), reference.thresholds(BASELINE))
    assert calls["GlobalThreshold"] == 1  # the page reads what the preparation computed

    def broken(self, data):  # noqa: ANN001, ANN202
        raise ValueError("no scores today")

    monkeypatch.setattr(DecisionModel, "decision_scores", broken)
    failing = Session.open(bundle, "demo", env / "demo-model")
    failed = failing.prepare("test")
    assert failed.wait(60) and isinstance(failed.error, ValueError)
    monkeypatch.setattr(DecisionModel, "decision_scores", original)
    again = failing.prepare("test")  # a failed preparation is started again, not kept
    assert again is not failed and again.wait(60) and again.error is None


def test_pages_without_model_output_do_not_wait_for_the_first_scoring(env, monkeypatch) -> None:
    import shutil
    import threading

    from mewo_core import demo
    from mewo_core.models.base import DecisionModel

    release = threading.Event()
    original = DecisionModel.decision_scores

    def held(self, data):  # noqa: ANN001, ANN202
        if type(self).__name__ == "GlobalThreshold" and data.n_tracks > 1:
            assert release.wait(60)
        return original(self, data)

    monkeypatch.setattr(DecisionModel, "decision_scores", held)
    st.cache_resource.clear()
    shutil.rmtree(demo.cache_root() / "scores", ignore_errors=True)  # a new server's first run
    at = open_app()  # the Data page, while the model's scoring is held
    no_exception(at)
    notes = " ".join(i.value for i in at.info)
    assert "demo-model" in notes and "this one does not need it" in notes, notes
    switch_page(at, "pages/correlations.py")
    no_exception(at)
    threading.Timer(1.0, release.set).start()
    switch_page(at, "pages/compare.py")  # waits for the scoring, then shows the comparison
    no_exception(at)
    assert release.is_set()
    assert not at.error and at.title[0].value == "Compare with the baseline or another model"
    assert len(at.dataframe) > 0  # its tables, drawn after the wait
    st.cache_resource.clear()


def test_after_the_preparation_compare_and_thresholds_open_on_values_already_built(
    env, monkeypatch
) -> None:
    """The preparation builds the Compare page's first report and the Thresholds page's
    explorer afterwards (nobody waits for them): the pages, with their default settings, read
    them and build none."""
    import shutil
    import time

    from mewo_core import demo
    from mewo_core.compare import report as cr
    from mewo_core.scoring.explorer import ThresholdExplorer

    st.cache_resource.clear()
    shutil.rmtree(demo.cache_root() / "scores", ignore_errors=True)
    built = Counter()
    original = cr.build_report

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        built["report"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(cr, "build_report", counted)
    explorer_init = ThresholdExplorer.__init__

    def counted_explorer(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        built["explorer"] += 1
        explorer_init(self, *args, **kwargs)

    monkeypatch.setattr(ThresholdExplorer, "__init__", counted_explorer)
    at = open_app()  # the Data page starts the preparation
    no_exception(at)
    waited = time.monotonic()
    while not built["explorer"] and time.monotonic() - waited < 120:
        time.sleep(0.1)  # the preparation, then the report and the explorer, in the background
    # being built or built: a page asking for one waits for that one (one lock per value)
    assert built == {"report": 1, "explorer": 1}
    switch_page(at, "pages/compare.py")
    no_exception(at)
    assert len(at.dataframe) > 0 and built["report"] == 1  # drawn from the built report
    switch_page(at, "pages/thresholds.py")
    no_exception(at)
    assert at.metric and built == {"report": 1, "explorer": 1}
    st.cache_resource.clear()


def test_a_failed_preparation_is_a_message_on_the_waiting_page(env, monkeypatch) -> None:
    import shutil

    from mewo_core import demo
    from mewo_core.errors import DataError
    from mewo_core.models.base import DecisionModel

    original = DecisionModel.decision_scores

    def failing(self, data):  # noqa: ANN001, ANN202
        if type(self).__name__ == "GlobalThreshold" and data.n_tracks > 1:
            raise DataError("the model's scores could not be computed", file="x_test.csv")
        return original(self, data)

    monkeypatch.setattr(DecisionModel, "decision_scores", failing)
    st.cache_resource.clear()
    shutil.rmtree(demo.cache_root() / "scores", ignore_errors=True)
    at = switch_page(open_app(), "pages/compare.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("could not be computed" in e.value for e in at.error), [e.value for e in at.error]
    monkeypatch.setattr(DecisionModel, "decision_scores", original)
    at.run()  # the next run starts the preparation again and the page draws
    no_exception(at)
    assert not at.error and len(at.dataframe) > 0
    st.cache_resource.clear()
