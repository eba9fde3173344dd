"""The Compare report's tables, slices and exports (mewo_core.compare.report)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from conftest import write_tiny_folder

from mewo_core.compare import report as cr
from mewo_core.compare.evaluation import bootstrap_groups, compare_decisions
from mewo_core.data import load_folder
from mewo_core.scoring.counts import count_decisions
from mewo_core.scoring.metrics import f1_averages


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    data = load_folder(write_tiny_folder(tmp_path_factory.mktemp("d"), n=300)).test
    rng = np.random.default_rng(1)
    labels = data.require_labels().astype(bool)
    a = labels ^ (rng.random(labels.shape) < 0.15)
    b = labels ^ (rng.random(labels.shape) < 0.25)
    groups, column = bootstrap_groups(data)
    comparison = compare_decisions(data, a, b, groups=groups, group_column=column,
                                   replicates=300)  # fmt: skip
    report = cr.build_report(comparison, data, a, b, title="A vs B <test>", groups=groups,
                             slice_column="album_id", replicates=200, min_support=0)  # fmt: skip
    return data, a, b, comparison, report


def test_slices_partition_tags_and_tracks(case) -> None:
    data, a, b, comparison, report = case
    bands = report.tables["frequency_bands"]
    assert bands["n_tags"].sum() == data.n_tags
    assert (bands["n_tags"] > 0).all()  # an empty band is no result: left out
    assert bands["support"].sum() == comparison.per_tag["support"].sum()
    scores = report.tables["score_bands"]
    assert scores["tracks"].sum() == data.n_tracks and len(scores) == cr.SCORE_BANDS
    assert (scores["delta_low"] <= scores["delta_high"]).all()
    albums = report.tables["groups"]
    assert albums["tracks"].sum() == data.n_tracks
    assert len(albums) == data.groups["album_id"].nunique()
    # one album's figure is the metric of its tracks alone
    album = data.groups["album_id"].to_numpy()
    first = albums.iloc[0]
    rows = album.astype(str) == first["slice"]
    want = f1_averages(count_decisions(data.require_labels()[rows], a[rows]))["weighted"]
    assert first["model"] == pytest.approx(want)


def test_display_tables_put_the_delta_first(case) -> None:
    *_, report = case
    for name in ("overall", "per_class", "per_category", "per_tag", "frequency_bands",
                 "score_bands", "groups"):  # fmt: skip
        shown = report.display(name)
        assert shown.columns[1] == "delta", name
        if "interval" in shown:
            assert {t[0] for t in shown["interval"]} <= {cr.CLEAR, cr.WORSE, cr.UNCLEAR}
    marks = cr.mark(pd.Series([0.1, -0.1, 0.2]), pd.Series([True, True, False]))
    assert list(marks) == [cr.CLEAR, cr.WORSE, cr.UNCLEAR]


def test_exports(case) -> None:
    data, a, _, _, report = case
    page = report.html()
    assert page.startswith("<!DOCTYPE html>") and "A vs B &lt;test&gt;" in page
    assert page.count("<table") >= 6
    # plotly.js embedded exactly once (self-contained), every figure drawn
    from plotly.offline import get_plotlyjs

    assert page.count(get_plotlyjs()[:500]) == 1
    assert page.count("Plotly.newPlot") == len(report.figures())
    with zipfile.ZipFile(io.BytesIO(report.csv_zip())) as archive:
        names = set(archive.namelist())
        assert {"overall.csv", "per_tag.csv", "groups.csv", "score_bands.csv"} <= names
        per_tag = pd.read_csv(archive.open("per_tag.csv"))
    assert len(per_tag) == data.n_tags and "delta_low" in per_tag
    scores = pd.read_csv(io.BytesIO(cr.scores_csv(data, a.astype(float))))
    assert list(scores.columns) == ["ChallengeID", *data.tag_names]
    assert scores["ChallengeID"].tolist() == data.ids.tolist()


def test_interval_bars_draw_the_intervals_and_grey_out_unclear_deltas() -> None:
    from mewo_core import plots

    frame = pd.DataFrame({"tag": ["a", "b", "c"], "delta_f1": [0.2, -0.1, 0.05],
                          "delta_low": [0.1, -0.2, -0.01], "delta_high": [0.3, -0.05, 0.1]})
    bar = plots.interval_bars(frame, "tag", "t", "delta_f1").data[0]
    order = list(bar.y)  # drawn bottom-up
    colors = dict(zip(order, bar.marker.color, strict=True))
    assert colors["a"] == "#54A24B" and colors["b"] == "#E45756" and colors["c"] == "#B8B8B8"
    plus = dict(zip(order, bar.error_x.array, strict=True))
    minus = dict(zip(order, bar.error_x.arrayminus, strict=True))
    assert plus["a"] == pytest.approx(0.1) and minus["c"] == pytest.approx(0.06)


def test_slices_counted_once_match_each_slice_on_its_own(case) -> None:
    """Score bands with intervals and albums, counted in one pass: per slice the figures of its
    tracks alone, and the interval of a bootstrap of that slice's own groups."""
    data, a, b, _, _ = case
    labels = data.require_labels()
    groups, _ = bootstrap_groups(data)
    bands, albums = cr.score_bands(data), cr.group_slices(data, "album_id")
    frames = cr.slice_frames(data, a, b, [(bands, 150), (albums, 0)], groups=groups, seed=3)
    assert "delta_low" in frames[0] and "delta_low" not in frames[1]
    for frame, cut in zip(frames, (bands, albums), strict=True):
        for _, row in frame.iterrows():
            rows = cut.codes == cut.names.index(row["slice"])
            assert row["tracks"] == rows.sum()
            for side, d in (("model", a), ("reference", b)):
                want = f1_averages(count_decisions(labels[rows], d[rows]))["weighted"]
                assert row[side] == pytest.approx(want, abs=1e-12)
    from mewo_core.scoring import bootstrap as bs

    for _, row in frames[0].iterrows():
        rows = bands.codes == bands.names.index(row["slice"])
        rep = bs.bootstrap(bs.group_counts(labels[rows], [a[rows], b[rows]], groups[rows]), 150, 3)
        low, high = bs.percentile_interval(rep.averages(0)["weighted"]
                                           - rep.averages(1)["weighted"], 0.95)  # fmt: skip
        assert (row["delta_low"], row["delta_high"]) == pytest.approx((low, high), abs=1e-9)
    alone = cr.track_slices(data, a, b, bands, groups=groups, replicates=150, seed=3)
    pd.testing.assert_frame_equal(alone, frames[0])
