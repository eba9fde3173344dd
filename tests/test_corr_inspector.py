"""Correlations page and Track inspector: core functions, figure builders and the pages under
AppTest (small demo catalogue, see tests/test_app_pages.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core import plots
from mewo_core.data import correlations
from mewo_core.explain import inspector as track_inspector

# --- a small matrix with known counts -------------------------------------------------------------

NAMES = ["genres-a", "genres-b", "genres-c", "moods-x", "moods-y"]
CLASSES = ["genres", "genres", "genres", "moods", "moods"]
CATS = ["genres-one", "genres-one", "genres-two", "moods-m", "moods-m"]


def _labels(seed: int = 0, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(NAMES))) < 0.3).astype(np.uint8)
    y[:, 1] |= y[:, 0] & (rng.random(n) < 0.8)  # a and b go together
    y[:200, 4] = 0  # y is rarer
    y[:, 3] = np.where(y[:, 2] == 1, 0, y[:, 3])  # c and x never together
    return y


@pytest.fixture
def lift_matrix() -> correlations.Matrix:
    return correlations.lift(_labels(), NAMES, CLASSES, CATS, min_count=1)


def test_lift_carries_co_occurrence_counts(lift_matrix: correlations.Matrix) -> None:
    y = _labels().astype(np.int64)
    np.testing.assert_array_equal(lift_matrix.counts, y.T @ y)  # names already in order
    both, pos = y.T @ y, y.sum(axis=0)
    with np.errstate(divide="ignore"):
        expected = np.log2(len(y) * both / np.outer(pos, pos))
    np.testing.assert_allclose(lift_matrix.log2().values, expected, atol=1e-6)  # float32
    assert lift_matrix.log2().kind == "log2 lift"
    with pytest.raises(ValueError):
        correlations.correlation(y, NAMES, CLASSES, CATS, "r").log2()


def test_lift_of_columns_out_of_taxonomy_order(lift_matrix: correlations.Matrix) -> None:
    """Columns given in any order: the same matrix in taxonomy order, counts included."""
    shuffle = [3, 0, 4, 2, 1]
    other = correlations.lift(_labels()[:, shuffle], [NAMES[i] for i in shuffle],
                              [CLASSES[i] for i in shuffle], [CATS[i] for i in shuffle],
                              min_count=1)  # fmt: skip
    assert other.names == lift_matrix.names == tuple(NAMES)
    np.testing.assert_array_equal(other.counts, lift_matrix.counts)
    np.testing.assert_array_equal(other.values, lift_matrix.values)


def test_min_count_blanks_heatmap_cells_and_table_rows(lift_matrix: correlations.Matrix) -> None:
    counts = lift_matrix.counts
    off = counts[~np.eye(len(NAMES), dtype=bool)]
    cut = int(np.median(off)) + 1  # some pairs above, some below
    shown = lift_matrix.log2().at_least(cut)
    low = (counts < cut) & ~np.eye(len(NAMES), dtype=bool)
    assert low.any() and (~low).any()
    assert np.isnan(shown.values[low]).all()
    assert np.isfinite(shown.values[~low & (counts > 0)]).all()
    # the heatmap drawn from the filtered block has blank cells exactly there
    block = shown.block(correlations.ALL, correlations.ALL)
    fig = plots.heatmap(block.masked(), block.row_names, block.col_names, block.row_categories,
                        block.col_categories, "t", counts=block.counts, labelled=True)
    z = np.array(fig.data[0].z, dtype=object)
    assert all(z[i, j] is None for i, j in zip(*np.nonzero(low), strict=True))
    # the table: only pairs seen together at least `cut` times, counts beside the value
    table = correlations.strongest_pairs(shown, top=100, by_abs=False)
    assert len(table) == int((~low)[np.triu_indices(len(NAMES), 1)].sum())
    assert (table["both"] >= cut).all()
    assert list(table.columns[-4:]) == ["log2 lift", "both", "positives_a", "positives_b"]
    pos = {n: i for i, n in enumerate(shown.names)}
    for r in table.itertuples():
        assert r.both == counts[pos[r.tag_a], pos[r.tag_b]]
        assert r.positives_a == counts[pos[r.tag_a], pos[r.tag_a]]
    with pytest.raises(ValueError, match="no co-occurrence counts"):
        correlations.correlation(_labels(), NAMES, CLASSES, CATS, "r").at_least(3)


def test_class_pair_filter_on_pairs_and_category_view(lift_matrix: correlations.Matrix) -> None:
    m = lift_matrix.log2()
    cls = dict(zip(m.names, m.classes, strict=True))
    for rows, cols in (("moods", "genres"), ("genres", "moods")):
        table = correlations.strongest_pairs(m, top=100, by_abs=False, row_class=rows,
                                             col_class=cols)
        # 3 genres x 2 moods, each pair once, but c and x never meet: log2 lift -inf, unranked
        assert len(table) == 5
        pairs = {frozenset(p) for p in zip(table["tag_a"], table["tag_b"], strict=True)}
        assert frozenset(("genres-c", "moods-x")) not in pairs
        assert {cls[t] for t in table["tag_a"]} == {rows}
        assert {cls[t] for t in table["tag_b"]} == {cols}
    within = correlations.strongest_pairs(m, top=100, row_class="genres", col_class="genres")
    assert len(within) == 3 and within["same_class"].all()
    overview = m.block("genres", "moods").by_category()
    assert list(overview.index) == ["genres-one", "genres-two"]
    assert list(overview.columns) == ["moods-m"]
    v = m.values
    np.testing.assert_allclose(overview.loc["genres-one", "moods-m"], np.mean(v[:2, 3:]))
    # within a class: a tag against itself is left out of its category's mean
    own = m.block("genres", "genres").by_category().loc["genres-one", "genres-one"]
    np.testing.assert_allclose(own, v[0, 1])


def test_heatmap_names_ticks_draws_boundaries_and_masks_the_diagonal() -> None:
    m = correlations.correlation(_labels(), NAMES, CLASSES, CATS, "label correlation")
    block = m.block(correlations.ALL, correlations.ALL)
    values = block.masked()
    assert np.isnan(np.diag(values)).all()
    limit = correlations.color_limit(values)
    off = np.abs(m.values[~np.eye(len(NAMES), dtype=bool)])
    assert limit == pytest.approx(np.quantile(off, 0.99)) and limit < 1  # not the diagonal's 1
    fig = plots.heatmap(values, block.row_names, block.col_names, block.row_categories,
                        block.col_categories, "t", zmin=-limit, zmax=limit, labelled=True,
                        boundaries=True, max_cells=plots.TAG_HEATMAP_CELLS)
    trace = fig.data[0]
    assert list(fig.layout.xaxis.ticktext) == NAMES
    assert list(fig.layout.yaxis.ticktext) == NAMES
    assert fig.layout.xaxis.tickfont.size <= 11
    assert all(trace.z[i][i] is None for i in range(len(NAMES)))
    assert (trace.zmin, trace.zmax) == (-limit, limit)
    assert "genres-a (genres-one)" in trace.y  # hover carries the category
    # category boundaries: after genres-b (index 1) and genres-c (index 2), on both axes
    vertical = sorted(s.x0 for s in fig.layout.shapes if s.x0 == s.x1)
    horizontal = sorted(s.y0 for s in fig.layout.shapes if s.y0 == s.y1)
    assert vertical == horizontal == [1.5, 2.5]
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("genres-one") == 2 and texts.count("moods-m") == 2


def test_heatmap_keeps_all_248_tags_named() -> None:
    n = 248
    names = [f"tag-{i}" for i in range(n)]
    groups = [f"cat-{i // 6}" for i in range(n)]
    values = np.random.default_rng(0).normal(size=(n, n))
    fig = plots.heatmap(values, names, names, groups, groups, "t", labelled=True,
                        boundaries=True, max_cells=plots.TAG_HEATMAP_CELLS)
    assert list(fig.layout.xaxis.ticktext) == names and len(fig.data[0].x) == n
    assert fig.layout.height >= 7 * n  # 7+ px per row
    assert fig.layout.xaxis.tickfont.size >= 5
    assert len(fig.layout.shapes) == 2 * (len(set(groups)) - 1)
    # the default limit still subsamples (other pages' heatmaps stay small)
    small = plots.heatmap(values, names, names, groups, groups, "t")
    assert len(small.data[0].x) * len(small.data[0].y) <= plots.MAX_POINTS


# --- track inspector core -------------------------------------------------------------------------


def test_track_f1_by_hand() -> None:
    pred = np.array([1, 1, 0, 0, 1], bool)
    truth = np.array([1, 0, 1, 0, 1], bool)
    # TP = 2 (tags 0 and 4), predicted 3, labelled 3: F1 = 4 / 6
    assert track_inspector.track_f1(pred, truth) == pytest.approx(4 / 6)
    assert track_inspector.track_f1(np.zeros(3, bool), np.zeros(3, bool)) == 0.0
    assert track_inspector.track_f1(np.zeros(3, bool), np.ones(3, bool)) == 0.0


def _fake_network(weights: np.ndarray):
    """A reservoir-transformer whose per-tag choice is known (set, not trained)."""
    from mewo_core.models.reservoir_transformer import ReservoirTransformer

    model = ReservoirTransformer()
    model.tag_names_ = tuple(f"t{i}" for i in range(len(weights)))
    model.thresholds_ = np.full(len(weights), 0.5)
    model.blend_weights_ = np.asarray(weights, dtype=np.float64)
    return model


def test_correction_weights_and_sources() -> None:
    from mewo_core.models import create_model

    model = _fake_network(np.array([0.0, 0.5, 0.0, 1.0]))
    w = model.correction_weights()
    np.testing.assert_array_equal(w, [0.0, 0.5, 0.0, 1.0])
    w[0] = 9  # a copy: the model's choice cannot be changed through it
    assert model.blend_weights_[0] == 0
    assert model.kept_tags == ("t1", "t3")
    assert track_inspector.score_sources(model.correction_weights()) == [
        "raw score (fallback)", "correction ×0.5", "raw score (fallback)", "correction ×1"]
    baseline = create_model("baseline")
    baseline.tag_names_, baseline.thresholds_ = ("a", "b"), np.zeros(2)
    np.testing.assert_array_equal(baseline.correction_weights(), [0.0, 0.0])
    assert track_inspector.score_sources(np.zeros(2), learned=False) == ["raw score"] * 2
    with pytest.raises(RuntimeError, match="not fitted"):
        create_model("baseline").correction_weights()


def test_adds_and_removes_share_columns_with_thresholds() -> None:
    table = track_inspector.track_table(
        ["a", "b", "c", "d"], ["genres"] * 4, ["g"] * 4,
        raw=np.array([0.9, 0.1, 0.6, 0.2]), model_score=np.array([0.9, 0.7, 0.3, 0.2]),
        model_threshold=np.array([0.5, 0.5, 0.5, 0.5]),
        baseline_threshold=np.array([0.5, 0.5, 0.5, 0.1]),
        truth=np.array([1, 1, 1, 0]), weights=np.array([0, 1, 0.5, 0]), learned=True,
    )
    assert table["model"].tolist() == [True, True, False, False]
    assert table["baseline"].tolist() == [True, False, True, True]
    added, removed = track_inspector.changes(table)
    assert list(added.columns) == list(removed.columns) == list(track_inspector.CHANGE_COLUMNS)
    assert {"model threshold", "baseline threshold", "model score", "raw score"} <= set(
        added.columns)
    assert added["tag"].tolist() == ["b"] and removed["tag"].tolist() == ["c", "d"]
    assert added["change is right"].tolist() == [True]
    assert removed["change is right"].tolist() == [False, True]
    assert removed[track_inspector.SOURCE].tolist() == ["correction ×0.5",
                                                        "raw score (fallback)"]


def test_track_profile_titles_clear_the_labels_above() -> None:
    tags = [f"genres-a-rather-long-tag-name-{i}" for i in range(6)]
    frame = pd.DataFrame({
        "tag": tags + ["moods-x", "instruments-y"], "class": ["genres"] * 6 + ["moods", "inst"],
        "category": "c", "score": 0.5, "threshold": 0.4, "truth": True, "source": "raw score",
    })
    fig = plots.track_profile(frame, "t")
    plot_h = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    label_px = plots.profile_label_px(frame["tag"])
    domains = [fig.layout[f"yaxis{'' if i == 0 else i + 1}"].domain for i in range(3)]
    for upper, lower in zip(domains, domains[1:], strict=False):
        gap_px = (upper[0] - lower[1]) * plot_h
        assert gap_px >= label_px + 20  # the turned names, then the next row's title
    assert fig.layout.margin.b >= label_px
    titles = [a for a in fig.layout.annotations if a.text in ("genres", "moods", "inst")]
    assert len(titles) == 3


# --- the pages under AppTest ----------------------------------------------------------------------

pytest.importorskip("streamlit")
from tests.apptest_helpers import no_exception, one, open_app, switch_page  # noqa: E402
from tests.test_app_pages import env  # noqa: E402, F401
from tests.test_explain_pages import rt_model  # noqa: E402, F401


def _demo_train():
    from mewo_core import demo

    return demo.load_demo_bundle(demo.ensure_demo_data()).train


def test_correlations_page_filters_follow_class_pair_and_min_count(env: Path) -> None:  # noqa: F811
    train = _demo_train()
    args = (train.tag_names, train.tag_classes, train.tag_categories)
    lift = correlations.lift(train.require_labels(), *args).log2()
    at = switch_page(open_app(), "pages/correlations.py")
    one(at.radio, "View").set_value("Co-occurrence lift").run()
    one(at.selectbox, "Rows: class").set_value("moods").run()
    one(at.selectbox, "Columns: class").set_value("genres").run()
    one(at.number_input, "Minimum co-occurrence (tracks with both tags)").set_value(25).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    shown = at.dataframe[0].value
    want = correlations.strongest_pairs(lift.at_least(25), top=30, by_abs=False,
                                        row_class="moods", col_class="genres")
    assert list(shown["tag_a"]) == list(want["tag_a"]) and len(shown) == 30
    cls = dict(zip(train.tag_names, train.tag_classes, strict=True))
    assert {cls[t] for t in shown["tag_a"]} == {"moods"}
    assert {cls[t] for t in shown["tag_b"]} == {"genres"}
    assert (shown["both"] >= 25).all()
    assert np.all(np.diff(shown["log2 lift"].to_numpy()) <= 0)
    # the heatmap: moods rows x genres columns, all named, cells under the count blank
    figs = [c for c in at.get("plotly_chart")]
    assert len(figs) == 2
    import json

    spec = json.loads(figs[0].proto.spec)
    trace = spec["data"][0]
    moods = [t for t, c in zip(lift.names, lift.classes, strict=True) if c == "moods"]
    assert spec["layout"]["yaxis"]["ticktext"] == moods
    assert spec["layout"]["shapes"], "no category boundaries"
    assert "log2 lift" in spec["layout"]["title"]["text"]
    block = lift.block("moods", "genres")
    low = block.counts < 25
    z = np.array(trace["z"], dtype=object)
    assert all(v is None for v in z[low])
    overview = json.loads(figs[1].proto.spec)
    cats = list(dict.fromkeys(block.row_categories))
    assert overview["layout"]["yaxis"]["ticktext"] == cats


def test_inspector_marks_correction_and_shows_baseline_f1(env: Path, rt_model: str) -> None:  # noqa: F811
    from mewo_core import demo
    from mewo_core.artifacts import load_model, read_manifest
    from mewo_core.session import Session

    path = env / rt_model
    model = load_model(path)
    weights = dict(zip(model.tag_names_, model.correction_weights(), strict=True))
    assert 0 < sum(w > 0 for w in weights.values()) < len(weights)  # both kinds of tag
    at = open_app()
    one(at.sidebar.selectbox, "Model").set_value(rt_model).run()
    switch_page(at, "pages/track_inspector.py")
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    tables = [d.value for d in at.dataframe
              if list(d.value.columns) == list(track_inspector.CHANGE_COLUMNS)]
    assert tables, "no adds/removes table with the shared columns"
    every = [d.value for d in at.dataframe if track_inspector.SOURCE in d.value.columns]
    assert sum(len(t) for t in every) - sum(len(t) for t in tables) == len(weights)  # all tags
    for table in every:
        for tag, src in zip(table["tag"], table[track_inspector.SOURCE], strict=True):
            w = weights[tag]
            assert src == (f"correction ×{w:g}" if w > 0 else "raw score (fallback)")
    # the baseline's F1 on this track, by hand from the session's own pieces
    track_id = int(next(s.value for s in at.subheader if s.value.startswith("Track ")).split()[1])
    bundle = demo.load_demo_bundle(demo.ensure_demo_data())
    session = Session(bundle, "t", model_path=path, manifest=read_manifest(path),
                      model_name=rt_model)
    data = session.data("validation")
    row = int(np.flatnonzero(data.ids == track_id)[0])
    truth = data.require_labels()[row].astype(bool)
    base = data.tag_scores()[row] >= session.baseline.thresholds_
    tp = int((base & truth).sum())
    expected = 2 * tp / (base.sum() + truth.sum())
    assert one(at.metric, "Baseline F1 on this track").value == f"{expected:.3f}"
    mine = session.scores("model", "validation")[row] >= session.thresholds("model")
    model_f1 = 2 * int((mine & truth).sum()) / (mine.sum() + truth.sum())
    assert one(at.metric, "Model F1 on this track").value == f"{model_f1:.3f}"
    assert any("use the learned correction" in c.value for c in at.caption)
