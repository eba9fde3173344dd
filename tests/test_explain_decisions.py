"""Every explanation agrees with its decision: one space per path, the album context as a step.

Property: for every model type x tag kind (kept correction, fallback, no score column, context on
or off, a saved threshold set) x split x with or without a what-if edit, the path's end point and
the threshold (in the same space, also in the drawn waterfall) order exactly as the decision,
the decision is ``predict``'s (through the album blend), and the path's value is the logit of
the decision score where scores lie in [0, 1]. Small models on a 3,000-track demo catalogue
(seconds); the real MediaEval folder is used when it is there (slow: it trains).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from mewo_core.data import SplitSpec, load_folder
from mewo_core.explain.decision import LOGIT, album_of, digits_apart, mate_flips, pair
from mewo_core.explain.path import Explainer, reference_track
from mewo_core.explain.plots import waterfall
from mewo_core.explain.report import threshold_record, threshold_words
from mewo_core.models.context import EPS, GroupContext
from mewo_core.models.registry import create_model
from mewo_core.scoring.space import logit
from tests.helpers import SMALL_RT

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mediaeval2019-vggish"
REAL = REAL if REAL.is_dir() else Path("/work/shared/data/mediaeval2019-vggish")
FAST = {**SMALL_RT, "epochs": 2, "variant": "tokens", "context": "none"}
#: Tag kinds, by tag index: kept correction (even), fallback (odd); 1 and 2 have no score column.
TAGS = list(range(8))
NO_SCORE = (1, 2)
TRACKS = 3  # per split, tracks with album mates


def _force_context(model, train, alpha: float = 0.5):
    """A copy of ``model`` with an album context of weight ``alpha`` (or none: ``alpha=0``)."""
    out = copy.copy(model)
    if alpha == 0:
        out.context_ = None
        return out
    ctx = GroupContext("album")
    ctx.alpha_ = alpha
    ctx.logit_columns_ = (train.X.min(axis=0) >= 0.0) & (train.X.max(axis=0) <= 1.0)
    ctx.cv_ = np.full(len(ctx.alphas), np.nan)
    out.context_ = ctx
    return out


def _no_score(model) -> None:
    """Tags :data:`NO_SCORE` lose their score column (as fit leaves a tag without one)."""
    model.tag_score_index_ = np.asarray(model.tag_score_index_).copy()
    model.thresholds_ = np.asarray(model.thresholds_, dtype=np.float64).copy()
    for t in NO_SCORE:
        model.tag_score_index_[t] = -1
        if not hasattr(model, "blend_weights_") or model.blend_weights_[t] == 0:
            model.thresholds_[t] = np.inf


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory):
    from mewo_core.demo import write_demo_data

    folder = tmp_path_factory.mktemp("decisions") / "demo3k"
    write_demo_data(folder, n_tracks=3000, seed=3)
    bundle = load_folder(folder)
    return bundle, SplitSpec().split(bundle)


@pytest.fixture(scope="module")
def models(catalogue):
    """Per model type, the fitted model with the tag kinds of :data:`TAGS` (context off)."""
    _, parts = catalogue
    train = parts.train
    out = {
        "baseline": create_model("baseline").fit(train),
        "global-threshold": create_model("global-threshold", threshold=0.3).fit(train),
        "robust-thresholds": create_model("robust-thresholds", context="none", n_resamples=20,
                                          n_folds=2).fit(train),
        "reservoir-transformer": create_model("reservoir-transformer", **FAST).fit(
            parts.fit, parts.validation),
    }  # fmt: skip
    rt = copy.deepcopy(out["reservoir-transformer"])
    with torch.no_grad():  # a correction that moves decisions (the head starts at zero)
        torch.manual_seed(0)
        rt.network_.correction.weight.normal_(0, 0.3)
    rt.blend_weights_ = np.where(np.arange(len(rt.tag_names_)) % 2 == 0, 0.5, 0.0)
    out["reservoir-transformer"] = rt
    for m in out.values():
        _no_score(m)
    return out


def _variant(models, catalogue, kind: str, context: bool, user_set: bool):
    _, parts = catalogue
    model = _force_context(models[kind], parts.train, 0.5 if context else 0.0)
    if user_set:  # a threshold set saved from the Thresholds page: per tag, a score quantile
        scores = model.decision_scores(parts.validation)
        with np.errstate(invalid="ignore"):
            q = np.quantile(scores, 0.6, axis=0)
        model = model.with_thresholds(np.where(np.isfinite(q), q, np.inf))
    return model


def _rows_with_mates(data, n: int) -> np.ndarray:
    album = data.groups["album_id"].to_numpy()
    _, inverse, counts = np.unique(album, return_inverse=True, return_counts=True)
    return np.flatnonzero(counts[inverse] >= 3)[:n]


def _edit(x: np.ndarray, model, rng: np.random.Generator) -> np.ndarray:
    """Own score columns of the explained tags and two other features set to random scores."""
    out = x.copy()
    cols = [int(c) for c in np.asarray(model.tag_score_index_)[TAGS] if c >= 0]
    cols += rng.choice(x.size, 2, replace=False).tolist()
    out[cols] = rng.uniform(0, 1, len(cols))
    return out


def _drawn_end_and_threshold(e) -> tuple[float, float | None]:
    fig = waterfall(e)
    trace = fig.data[0]
    ys, measure = list(trace.y), list(trace.measure)
    end = 0.0
    for y, m in zip(ys, measure, strict=True):
        end = y if m == "absolute" else end + (y if m == "relative" else 0.0)
    lines = [s.y0 for s in fig.layout.shapes]
    return end, (lines[0] if lines else None)


CASES = [
    (kind, context, user_set, split, edit)
    for kind in ("baseline", "global-threshold", "robust-thresholds", "reservoir-transformer")
    for context in ((False,) if kind in ("baseline", "global-threshold") else (False, True))
    for user_set in (False, True)
    for split in ("validation", "test")
    for edit in (False, True)
]


@pytest.mark.parametrize(("kind", "context", "user_set", "split", "edit"), CASES)
def test_path_end_and_threshold_order_as_the_decision(
    catalogue, models, kind: str, context: bool, user_set: bool, split: str, edit: bool
) -> None:
    _, parts = catalogue
    model = _variant(models, catalogue, kind, context, user_set)
    baseline = models["baseline"]
    explainer = Explainer(model, baseline, reference_track(model, parts.train))
    data = model.align(getattr(parts, split))
    rng = np.random.default_rng(len(CASES))
    decided = {True: 0, False: 0}
    for row in _rows_with_mates(data, TRACKS):
        x = data.X[row].astype(np.float64)
        x_now = _edit(x, model, rng) if edit else x
        album, mates = album_of(model, data, int(row))
        # the decisions predict makes for the split with this track edited (through its album)
        X = data.X.copy()
        X[row] = x_now
        predicted = model.predict(replace(data, X=X))[row].astype(bool)
        scores = model.decision_scores(replace(data, X=X))[row]
        for e in explainer.explain(x_now, TAGS, album, mates):
            t = model.tag_names_.index(e.tag)
            assert e.decision == predicted[t], (e.tag, e.path_words())
            assert e.probability == pytest.approx(scores[t], abs=1e-6)
            # one space: the end point and the threshold order exactly as the decision
            assert (e.decision_value >= e.threshold_value) == e.decision, e.path_words()
            assert e.steps[-1].value == e.decision_value
            if e.space == LOGIT and 0 < e.probability < 1:
                p = e.probability
                assert e.decision_value == pytest.approx(np.log(p / (1 - p)), abs=1e-9)
            if np.isfinite(e.decision_value):  # the steps add up to the end point
                total = sum(s.value for s in e.steps[:-1]) if len(e.steps) > 1 else e.steps[0].value
                assert total == pytest.approx(e.decision_value, abs=1e-9)
            end, line = _drawn_end_and_threshold(e)  # the picture says the same
            if line is not None and np.isfinite(e.threshold_value):
                assert (end >= line) == e.decision, (e.tag, end, line)
            # kinds: who decided, and nothing else is listed
            no_score = t in NO_SCORE and not e.uses_correction
            assert (e.score is None) == (t in NO_SCORE)
            if kind == "reservoir-transformer" and t % 2 == 0:
                assert e.uses_correction and not e.contributions.empty
                assert "never predicted" not in e.path_words()
                assert e.standardised_input is None if t in NO_SCORE else np.isfinite(
                    e.standardised_input)
                labels = [s.label for s in e.steps]
                assert labels[0] == "network's own logit" and "own score" not in labels
            else:
                assert not e.uses_correction and e.contributions.empty
                words = e.in_words()
                assert "+0.00" not in words
                assert ("never predicted" in words) if no_score else ("nothing but" in words)
                labels = [s.label for s in e.steps]
                if e.score is not None:
                    assert labels[0] == "own score"
                    assert any("context" in s for s in labels) == context
            assert (e.context is not None) == context
            decided[e.decision] += 1
    if user_set:
        assert decided[True] and decided[False], decided  # both sides are exercised


@pytest.mark.parametrize("kind", ["robust-thresholds", "reservoir-transformer"])
def test_album_context_step(catalogue, models, kind: str) -> None:
    _, parts = catalogue
    model = _variant(models, catalogue, kind, True, False)
    alone = _force_context(model, parts.train, 0.0)  # the same model with weight 0
    explainer = Explainer(model, models["baseline"], reference_track(model, parts.train))
    data = model.align(parts.validation)
    albums = data.groups["album_id"].to_numpy()
    without = alone.predict(data).astype(bool)
    without_scores = alone.decision_scores(data)
    flips, spaces = 0, {"logit": 0, "raw": 0}
    for row in _rows_with_mates(data, 4):
        album, mates = album_of(model, data, int(row))
        expected = set(data.ids[(albums == albums[row]) & (np.arange(data.n_tracks) != row)])
        assert set(int(m) for m in mates) == expected and len(mates) == len(album)
        in_album = albums == albums[row]
        for e in explainer.explain(data.X[row].astype(np.float64), TAGS, album, mates):
            t = model.tag_names_.index(e.tag)
            c = e.context
            assert c.level == "album" and c.weight == 0.5 and c.mates == tuple(mates)
            assert c.decision_without_context == without[row, t]
            assert c.score_without_context == pytest.approx(without_scores[row, t], abs=1e-6)
            assert c.flips == (e.decision != without[row, t])
            flips += c.flips
            if e.score is None:
                assert c.own_score is None
                continue
            col = int(model.tag_score_index_[t])
            # the stated space: the clipped logit for probability columns, else the raw scale
            assert c.space == ("logit" if model.context_.logit_columns_[col] else "raw")
            f = (lambda v: logit(np.asarray(v, dtype=np.float64), EPS)) if c.space == "logit" \
                else (lambda v: np.asarray(v, dtype=np.float64))
            spaces[c.space] += 1
            own_space = float(f(data.X[row, col]))
            mean_space = float(f(data.X[in_album, col]).mean())
            assert c.own_value == pytest.approx(own_space, abs=1e-5)
            assert c.group_mean_value == pytest.approx(mean_space, abs=1e-5)
            # the blend in its stated space: (1 - a) own + a mean
            assert float(f(c.blended_score)) == pytest.approx(
                0.5 * own_space + 0.5 * mean_space, abs=1e-4)
            assert c.blended_score == pytest.approx(e.score, abs=1e-7)
            assert c.own_score == pytest.approx(float(data.X[row, col]))
    assert flips or kind == "reservoir-transformer"  # the blend moves some decision
    assert spaces["logit"] or spaces["raw"]


def test_what_if_reports_the_album_mates_it_flips(catalogue, models) -> None:
    _, parts = catalogue
    model = _variant(models, catalogue, "robust-thresholds", True, False)
    data = model.align(parts.validation)
    cols = np.asarray(model.tag_score_index_)
    found = 0
    for row in _rows_with_mates(data, 6):
        album, mates = album_of(model, data, int(row))
        x = data.X[row].astype(np.float64)
        edited = x.copy()
        edited[cols[cols >= 0]] = 1.0 - np.round(x[cols[cols >= 0]])  # every tag's score flipped
        flips = mate_flips(model, x, edited, album, mates)
        X = data.X.copy()
        X[row] = edited
        before, after = model.predict(data).astype(bool), model.predict(replace(data, X=X))
        idx = {int(i): r for r, i in enumerate(data.ids)}
        expected = {(int(data.ids[r]), model.tag_names_[t], bool(before[r, t]), bool(after[r, t]))
                    for r, t in zip(*np.nonzero(before != after.astype(bool)), strict=True)
                    if r != row}  # fmt: skip
        got = {(f["track"], f["tag"], f["before"], f["after"]) for f in flips}
        assert got == expected
        assert all(idx[f["track"]] != row for f in flips)
        found += len(got)
    assert found  # some edit flips a mate's decision
    no_ctx = _force_context(model, parts.train, 0.0)
    assert mate_flips(no_ctx, x, edited, None, []) == []


@pytest.mark.parametrize("kind", ["baseline", "robust-thresholds", "reservoir-transformer"])
def test_threshold_sources_of_some_tags_are_those_of_all(catalogue, models, kind: str) -> None:
    import pandas as pd

    from mewo_core.explain.path import threshold_sources

    _, parts = catalogue
    model = _variant(models, catalogue, kind, kind != "baseline", False)
    val = parts.validation
    scores = model.decision_scores(val)
    full = threshold_sources(model, parts.train, val, scores)
    tags = [5, 0, 1, 2]
    some = threshold_sources(model, parts.train, val, scores, tags=tags)
    pd.testing.assert_frame_equal(some, full.iloc[tags].reset_index(drop=True))
    assert np.isfinite(full["benchmark_threshold"]).sum() > len(full) // 2


def test_threshold_words_name_the_source() -> None:
    import pandas as pd

    row = pd.Series({"threshold": 0.0244, "estimator": "auto on raw scores, train (fallback)",
                     "positives": 164, "benchmark_threshold": 0.0171, "moved_by": 0.0073})
    rec = threshold_record(row, {"thresholds_from": "rt-real"})
    assert rec["saved_set_from"] == "rt-real"
    words = threshold_words(rec)
    assert "saved by hand from rt-real" in words and "164 positives" in words
    assert "0.0171" in words and "+0.0073" in words
    assert "saved" not in threshold_words(threshold_record(row, None))
    inf = threshold_words(threshold_record(row.copy().replace(0.0244, np.inf), None))
    assert "never predicted" in inf


def test_printed_digits_tell_score_and_threshold_apart() -> None:
    a, b = 0.024330034852027893, 0.0244438117794456
    assert f"{a:.3f}" == f"{b:.3f}"  # what the cards printed
    sa, sb = pair(a, b)
    assert sa != sb and float(sa) < float(sb)
    assert pair(0.5, 0.5) == ("0.5", "0.5")
    assert digits_apart(0.123456781, 0.123456789) == 8
    assert digits_apart(0.1, 0.9) == 3


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="the real MediaEval folder is not here")
def test_real_folder_default_model_explains_without_contradiction(tmp_path: Path) -> None:
    """The default model on the real folder (every tag falls back there): the issue's case,
    then every tag of 40 validation tracks."""
    from mewo_core.artifacts.training import train_and_save
    from mewo_core.session import Session

    bundle = load_folder(REAL)
    path = tmp_path / "rt"
    train_and_save(bundle, "reservoir-transformer", {}, path)
    session = Session.open(bundle, str(REAL), path)
    model, explainer = session.model, session.explainer()
    data = model.align(session.splits.validation)
    predicted = model.predict(data).astype(bool)
    rows = list(range(40))
    if 387516 in set(data.ids):
        rows.insert(0, int(np.flatnonzero(data.ids == 387516)[0]))
    for row in rows:
        album, mates = album_of(model, data, row)
        for e in explainer.explain(data.X[row].astype(np.float64),
                                   range(len(model.tag_names_)), album, mates):
            t = model.tag_names_.index(e.tag)
            assert e.decision == predicted[row, t]
            assert (e.decision_value >= e.threshold_value) == e.decision
            end, line = _drawn_end_and_threshold(e)
            assert (end >= line) == e.decision
            assert (e.context is not None) == model.uses_context
            if not e.uses_correction:
                assert e.contributions.empty and "nothing but" in e.in_words()


def test_a_score_rounded_onto_its_threshold_stays_on_the_decisions_side() -> None:
    from mewo_core.explain.decision import LOGIT, ordered_value, to_space

    thr = 0.3
    below = float(np.nextafter(thr, 0.0))  # below the threshold by one ulp: decided no
    dv, tv = to_space(below, LOGIT), to_space(thr, LOGIT)
    fixed = ordered_value(dv, tv, below >= thr)
    assert (fixed >= tv) == (below >= thr) and abs(fixed - dv) <= abs(np.spacing(tv)) * 4
    assert ordered_value(tv, tv, True) == tv  # on the threshold, decided yes: unchanged
    assert ordered_value(tv, tv, False) < tv
    assert ordered_value(tv - 1.0, tv, False) == tv - 1.0  # consistent: unchanged
    assert ordered_value(tv - 1e-18, tv, True) == tv
