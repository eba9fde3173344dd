"""Decision counts and F1 metrics against scikit-learn (zero_division=0), including empty rows
and columns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import (
    classification_report,
    f1_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from mewo_core.scoring import metrics
from mewo_core.scoring.counts import DecisionCounts, count_decisions, counts_at

TOL = 1e-9


@st.composite
def decisions(draw, max_rows: int = 12, max_tags: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Two 0/1 matrices (at least 2 tags, so scikit-learn reads them as multi-label)."""
    n = draw(st.integers(1, max_rows))
    t = draw(st.integers(2, max_tags))
    y_true = draw(arrays(np.bool_, (n, t)))
    y_pred = draw(arrays(np.bool_, (n, t)))
    edit = draw(st.sampled_from(["none", "no_pred", "no_true", "empty_row", "empty_col", "same"]))
    if edit == "no_pred":
        y_pred[:] = False
    elif edit == "no_true":
        y_true[:] = False
    elif edit == "empty_row":
        y_true[0] = y_pred[0] = False
    elif edit == "empty_col":
        y_true[:, 0] = y_pred[:, 0] = False
    elif edit == "same":
        y_pred = y_true.copy()
    return y_true, y_pred


def sk_f1(y_true: np.ndarray, y_pred: np.ndarray, average: str) -> float:
    return float(f1_score(y_true, y_pred, average=average, zero_division=0))


@settings(max_examples=120, deadline=None)
@given(decisions())
def test_f1_scores_match_sklearn(pair):
    y_true, y_pred = pair
    got = metrics.f1_scores(y_true, y_pred)
    assert set(got) == set(metrics.AVERAGES)
    for average, value in got.items():
        assert value == pytest.approx(sk_f1(y_true, y_pred, average), abs=TOL), average


@pytest.mark.parametrize(
    "edit",
    ["all_zero_pred", "all_zero_true", "all_zero_both", "all_one", "empty_rows", "empty_cols"],
)
def test_f1_scores_edge_cases(edit):
    rng = np.random.default_rng(0)
    y_true = rng.random((20, 5)) < 0.3
    y_pred = rng.random((20, 5)) < 0.3
    if edit == "all_zero_pred":
        y_pred[:] = False
    elif edit == "all_zero_true":
        y_true[:] = False
    elif edit == "all_zero_both":
        y_true[:] = y_pred[:] = False
    elif edit == "all_one":
        y_true[:] = y_pred[:] = True
    elif edit == "empty_rows":
        y_true[::2] = y_pred[::2] = False
    elif edit == "empty_cols":
        y_true[:, 1:3] = y_pred[:, 1:3] = False
    got = metrics.f1_scores(y_true.astype(np.uint8), y_pred.astype(np.uint8))
    for average in metrics.AVERAGES:
        assert got[average] == pytest.approx(sk_f1(y_true, y_pred, average), abs=TOL), average


def test_large_counts_do_not_overflow():
    # more than 255 rows and columns: the uint8 partial sums must be added up correctly
    rng = np.random.default_rng(1)
    y_true = rng.random((700, 300)) < 0.8
    y_pred = rng.random((700, 300)) < 0.8
    y_true[:, 0] = y_pred[:, 0] = True
    y_true[0] = y_pred[0] = True
    c = count_decisions(y_true, y_pred)
    assert np.array_equal(c.tp, (y_true & y_pred).sum(axis=0))
    assert np.array_equal(c.pred, y_pred.sum(axis=0))
    assert np.array_equal(c.true, y_true.sum(axis=0))
    assert np.array_equal(c.row_tp, (y_true & y_pred).sum(axis=1))
    assert np.array_equal(c.row_pred, y_pred.sum(axis=1))
    assert np.array_equal(c.row_true, y_true.sum(axis=1))
    assert np.array_equal(c.fp, (~y_true & y_pred).sum(axis=0))
    assert np.array_equal(c.fn, (y_true & ~y_pred).sum(axis=0))
    got = metrics.f1_scores(y_true, y_pred)
    for average in metrics.AVERAGES:
        assert got[average] == pytest.approx(sk_f1(y_true, y_pred, average), abs=TOL)


def test_input_checks():
    with pytest.raises(ValueError):
        metrics.f1_scores(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        metrics.f1_scores(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError):
        metrics.f1_scores(np.array([[0, 2]]), np.array([[0, 1]]))
    with pytest.raises(ValueError):
        metrics.per_tag_table(count_decisions(np.zeros((3, 2)), np.zeros((3, 2))), ["only one"])


def test_binary_matrices_from_uint8_labels_are_views_and_checked() -> None:
    from mewo_core.scoring.counts import as_binary

    labels = np.array([[0, 1, 1], [1, 0, 0]], dtype=np.uint8)
    view = as_binary(labels, "labels")
    assert view.dtype == np.bool_ and np.shares_memory(view, labels)
    np.testing.assert_array_equal(view, labels.astype(bool))
    np.testing.assert_array_equal(as_binary(labels[:, ::2], "labels"), [[0, 1], [1, 0]])
    for bad in (np.array([[0, 2]], dtype=np.uint8), np.array([[0, -1]]), np.array([[0.5, 1]])):
        with pytest.raises(ValueError, match="only 0 and 1"):
            as_binary(bad, "labels")


@settings(max_examples=60, deadline=None)
@given(decisions())
def test_per_tag_table_matches_sklearn(pair):
    y_true, y_pred = pair
    names = [f"tag{j}" for j in range(y_true.shape[1])]
    table = metrics.per_tag_table(count_decisions(y_true, y_pred), names)
    assert list(table.columns) == [
        "tag", "tp", "fp", "fn", "support", "precision", "recall", "f1"
    ]  # fmt: skip
    assert table["tag"].tolist() == names
    mcm = multilabel_confusion_matrix(y_true, y_pred)
    assert np.array_equal(table["tp"], mcm[:, 1, 1])
    assert np.array_equal(table["fp"], mcm[:, 0, 1])
    assert np.array_equal(table["fn"], mcm[:, 1, 0])
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    assert np.array_equal(table["support"], s)
    np.testing.assert_allclose(table["precision"], p, atol=TOL, rtol=0)
    np.testing.assert_allclose(table["recall"], r, atol=TOL, rtol=0)
    np.testing.assert_allclose(table["f1"], f, atol=TOL, rtol=0)


@settings(max_examples=80, deadline=None)
@given(decisions())
def test_classification_summary_matches_sklearn(pair):
    y_true, y_pred = pair
    summary = metrics.classification_summary(count_decisions(y_true, y_pred))
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert list(summary.index) == ["micro avg", "macro avg", "weighted avg", "samples avg"]
    assert list(summary.columns) == ["precision", "recall", "f1-score", "support"]
    for row in summary.index:
        for column in summary.columns:
            want = report[row][column]
            assert summary.loc[row, column] == pytest.approx(want, abs=TOL), (row, column)


@settings(max_examples=30, deadline=None)
@given(decisions(max_tags=8), st.data())
def test_aggregate_table_matches_sklearn_per_group(pair, data):
    y_true, y_pred = pair
    t = y_true.shape[1]
    names = [f"tag{j}" for j in range(t)]
    labels = data.draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=t, max_size=t))
    table = metrics.per_tag_table(count_decisions(y_true, y_pred), names).assign(group=labels)
    out = metrics.aggregate_table(table, "group")
    assert out["group"].tolist() == list(dict.fromkeys(labels))  # first-appearance order
    for _, row in out.iterrows():
        cols = [j for j, g in enumerate(labels) if g == row["group"]]
        yt, yp = y_true[:, cols], y_pred[:, cols]
        micro = f1_score(yt.ravel(), yp.ravel(), zero_division=0)  # pooled cells = micro
        assert row["f1"] == pytest.approx(micro, abs=TOL)
        assert row["support"] == yt.sum() and row["n_tags"] == len(cols)
        assert row["tp"] == (yt & yp).sum()
        if len(cols) >= 2:
            assert row["weighted_f1"] == pytest.approx(sk_f1(yt, yp, "weighted"), abs=TOL)
            assert row["macro_f1"] == pytest.approx(sk_f1(yt, yp, "macro"), abs=TOL)


def test_aggregate_table_groups_by_class_and_category_together():
    # two classes share the category name "other": they are two groups, each with its class
    rng = np.random.default_rng(2)
    y_true = rng.random((40, 4)) < 0.4
    y_pred = rng.random((40, 4)) < 0.4
    table = metrics.per_tag_table(count_decisions(y_true, y_pred), list("abcd")).assign(
        **{"class": ["moods", "moods", "genres", "genres"], "category": ["other"] * 4}
    )
    out = metrics.aggregate_table(table, ["class", "category"])
    assert out[["class", "category"]].values.tolist() == [["moods", "other"], ["genres", "other"]]
    for row, cols in zip(out.itertuples(), ([0, 1], [2, 3]), strict=True):
        yt, yp = y_true[:, cols], y_pred[:, cols]
        assert row.f1 == pytest.approx(f1_score(yt.ravel(), yp.ravel(), zero_division=0))
        assert row.macro_f1 == pytest.approx(sk_f1(yt, yp, "macro"), abs=TOL)


# --- the counts type: every F1 in the project comes from it --------------------------------------


@settings(max_examples=80, deadline=None)
@given(decisions())
def test_counts_give_sklearn_f1_for_every_average_and_per_tag(pair):
    y_true, y_pred = pair
    c = count_decisions(y_true, y_pred)
    for average in metrics.AVERAGES:
        assert metrics.f1_score(c, average) == pytest.approx(
            sk_f1(y_true, y_pred, average), abs=TOL
        ), average
    want = f1_score(y_true, y_pred, average=None, zero_division=0)
    np.testing.assert_allclose(metrics.tag_f1(c.tp, c.fp, c.fn), want, atol=TOL, rtol=0)


@settings(max_examples=60, deadline=None)
@given(decisions(), st.integers(1, 11))
def test_counts_of_row_blocks_add_up_to_the_counts_of_all_rows(pair, cut):
    y_true, y_pred = pair
    cut = min(cut, y_true.shape[0])
    whole = count_decisions(y_true, y_pred)
    parts = count_decisions(y_true[:cut], y_pred[:cut])
    if cut < y_true.shape[0]:
        parts = parts + count_decisions(y_true[cut:], y_pred[cut:])
    for field in ("tp", "pred", "true", "row_tp", "row_pred", "row_true"):
        assert np.array_equal(getattr(parts, field), getattr(whole, field)), field
    assert metrics.f1_averages(parts) == metrics.f1_averages(whole)


@settings(max_examples=60, deadline=None)
@given(decisions(), st.data())
def test_counts_at_thresholds_match_sklearn_with_and_without_rows(pair, data):
    y_true, _ = pair
    n, t = y_true.shape
    scores = np.asarray(data.draw(arrays(np.float32, (n, t), elements=st.floats(0, 1, width=32))))
    thresholds = np.asarray(data.draw(arrays(np.float64, t, elements=st.floats(0, 1))))
    y_pred = scores >= thresholds
    full = counts_at(scores, y_true, thresholds)
    per_tag = counts_at(scores, y_true, thresholds, rows=False)
    assert not per_tag.has_rows
    assert np.array_equal(full.tp, per_tag.tp) and np.array_equal(full.fp, per_tag.fp)
    for average in metrics.AVERAGES:
        want = sk_f1(y_true, y_pred, average)
        assert metrics.f1_score(full, average) == pytest.approx(want, abs=TOL), average
        if average != "samples":
            assert metrics.f1_score(per_tag, average) == pytest.approx(want, abs=TOL)


def test_counts_without_rows_refuse_the_samples_average_and_mixed_sums():
    c = DecisionCounts.from_tag_counts(np.array([2, 0]), np.array([1, 0]), np.array([0, 3]))
    assert c.pred.tolist() == [3, 0] and c.true.tolist() == [2, 3]
    with pytest.raises(ValueError, match="per-track"):
        metrics.f1_score(c, "samples")
    with pytest.raises(ValueError, match="per-track"):
        c + count_decisions(np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="unknown average"):
        metrics.f1_score(c, "binary")
