"""Explanations: adapter fidelity, completeness and faithfulness of the attributions, a hand-built
network with a known relation, decision paths equal to ``predict``, what-if, relation map, CLI.

Small models are trained on a 3,000-track demo catalogue (seconds); the shipped demo model is
used where it fits that catalogue's columns (skipped otherwise: it is retrained elsewhere).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import spearmanr

from mewo_core.artifacts import load_model, model_fits_data
from mewo_core.artifacts.training import fit_baseline, train_and_save
from mewo_core.cli import main
from mewo_core.data import SplitSpec, load_folder
from mewo_core.errors import MewoError
from mewo_core.explain.adapter import network_view
from mewo_core.explain.attribution import (
    integrated_gradients,
    path_integrated_gradients,
    within_tolerance,
)
from mewo_core.explain.path import Explainer, reference_track, threshold_sources
from mewo_core.explain.relations import (
    RelationMap,
    agreement,
    cached_relation_map,
    data_structure,
    relation_map,
    top_relations,
)
from mewo_core.explain.whatif import apply_edits, parse_edits, what_if
from tests.helpers import SMALL_RT

ROOT = Path(__file__).resolve().parents[1]
DEMO_MODEL = ROOT / "artifacts" / "demo-model"
FAST = SMALL_RT
JSON_KEYS = {"tag", "class", "category", "score", "probability", "threshold", "decision",
             "baseline_threshold", "baseline_decision", "uses_correction", "correction",
             "reference_correction", "contributions", "explained_by", "decision_score", "space",
             "decision_value", "threshold_value", "path", "context", "standardised_input",
             "own_logit", "blend", "threshold_source", "in_words"}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """(folder, bundle, trained small model path) on a 3,000-track demo catalogue."""
    from mewo_core.demo import write_demo_data

    root = tmp_path_factory.mktemp("explain")
    folder = root / "demo3k"
    write_demo_data(folder, n_tracks=3000, seed=1)
    bundle = load_folder(folder)
    path = root / "small-model"
    train_and_save(bundle, "reservoir-transformer", {**FAST, "variant": "tokens"}, path)
    return folder, bundle, path


@pytest.fixture(scope="module")
def small(demo):
    folder, bundle, path = demo
    model = load_model(path)
    train = SplitSpec().split(bundle).train
    return model, Explainer(model, fit_baseline(bundle), reference_track(model, train))


@pytest.fixture(scope="module")
def shipped(demo):
    """The shipped demo model on the small catalogue, when its columns fit."""
    _, bundle, _ = demo
    if not DEMO_MODEL.exists():
        pytest.skip("no shipped demo model")
    model = load_model(DEMO_MODEL)
    if model_fits_data({"columns": model.columns_state()}, bundle.train):
        pytest.skip("the shipped demo model does not fit the current demo generator's columns")
    train = SplitSpec().split(bundle).train
    return model, Explainer(model, fit_baseline(bundle), reference_track(model, train))


def _rows(bundle, model, n: int) -> np.ndarray:
    _parts = SplitSpec().split(bundle)
    _, validation, _ = _parts.fit, _parts.validation, _parts.test
    return model.align(validation).X[:n].astype(np.float64)


def _moving_rows(explainer: Explainer, X: np.ndarray, n: int, big: float = 0.1) -> np.ndarray:
    """The first ``n`` rows of ``X`` where some tag's correction moves by more than ``big``."""
    view = explainer.view
    gap = np.abs(view.correction_np(view.transform(X))
                 - view.correction_np(explainer._z_ref[None]))
    rows = np.flatnonzero(gap.max(axis=1) > big)[:n]
    assert rows.size == n, f"only {rows.size} of {len(X)} tracks move a correction by > {big}"
    return X[rows]


def _moving_tags(explainer: Explainer, x: np.ndarray, k: int = 12,
                 kept_only: bool = False) -> list[int]:
    """Tags whose correction moves most from the reference on ``x`` (non-trivial cases);
    ``kept_only``: among the tags that keep the correction (the only ones explained by it)."""
    view = explainer.view
    gap = np.abs(view.correction_np(view.transform(x[None]))[0]
                 - view.correction_np(explainer._z_ref[None])[0])
    order = np.argsort(-gap)
    if kept_only:
        order = order[view.kept[order]]
    return order[:k].tolist()


# --- adapter ------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["tokens", "transformer-only", "concat"])
def test_adapter_reproduces_the_models_own_correction(demo, variant: str) -> None:
    from mewo_core.models.reservoir_transformer import ReservoirTransformer

    _, bundle, _ = demo
    _parts = SplitSpec().split(bundle)
    fit, validation, _ = _parts.fit, _parts.validation, _parts.test
    model = ReservoirTransformer(variant=variant, seed=2, **{**FAST, "epochs": 1}).fit(
        fit, validation
    )
    with torch.no_grad():  # give the correction head weights (it starts at zero)
        torch.manual_seed(0)
        model.network_.correction.weight.normal_(0, 0.3)
    X = validation.X[:40]
    Z = model.transform_.transform(X)
    own, corr = model._parts(model._inputs(Z), model._own(Z))
    view = network_view(model)
    np.testing.assert_allclose(view.correction_np(view.transform(X)), corr, atol=1e-4)
    np.testing.assert_allclose(view.own_logit(view.transform(X)), own, atol=1e-4)
    assert np.abs(corr).max() > 0.1


# --- completeness and faithfulness ------------------------------------------------------------
@pytest.fixture(params=["small", "shipped"])
def fitted(request):
    return request.getfixturevalue(request.param)


def test_completeness_to_one_percent(demo, fitted) -> None:
    _, bundle, _ = demo
    model, explainer = fitted
    view = explainer.view
    X = _moving_rows(explainer, _rows(bundle, model, 300), 4)
    for x in X:
        tags = _moving_tags(explainer, x)
        attr = integrated_gradients(view, view.transform(x[None]), explainer._z_ref, tags)
        assert within_tolerance(attr, 0.01).all()
        gap = attr.correction - attr.reference_correction
        big = np.abs(gap) > 0.1
        assert big.any()
        rel = attr.completeness_error()[big] / np.abs(gap[big])
        assert rel.max() <= 0.01


def _correction_with(view, z: np.ndarray, z_ref: np.ndarray, feats, tag: int) -> float:
    z = z.copy()
    z[list(feats)] = z_ref[list(feats)]
    return float(view.correction_np(z[None])[0, tag])


def test_removing_top_contributors_moves_the_correction_toward_the_reference(
    demo, fitted
) -> None:
    _, bundle, _ = demo
    model, explainer = fitted
    view, z_ref = explainer.view, explainer._z_ref
    rng = np.random.default_rng(0)
    toward, signs, gain_top, gain_random, k = [], [], [], [], 5
    for x in _rows(bundle, model, 6):
        z = view.transform(x[None])[0]
        tags = _moving_tags(explainer, x, 10)
        attr = integrated_gradients(view, z[None], z_ref, tags)
        for j, t in enumerate(tags):
            c, ref = attr.correction[0, j], attr.reference_correction[j]
            contrib = attr.contributions[0, j]
            # top contributors to the move away from the reference: the largest contributions
            # in the gap's direction
            order = np.argsort(-contrib * np.sign(c - ref), kind="stable")
            dist = abs(c - ref)
            one = _correction_with(view, z, z_ref, order[:1], t)
            toward.append(abs(one - ref) < dist)
            # and the largest one in absolute value moves the correction the way its sign says
            big = int(np.argmax(np.abs(contrib)))
            signs.append(np.sign(c - _correction_with(view, z, z_ref, [big], t))
                         == np.sign(contrib[big]))
            gain_top.append(dist - abs(_correction_with(view, z, z_ref, order[:k], t) - ref))
            rand = rng.choice(z.size, k, replace=False)
            gain_random.append(dist - abs(_correction_with(view, z, z_ref, rand, t) - ref))
    assert np.mean(toward) >= 0.8, np.mean(toward)
    assert np.mean(signs) >= 0.8, np.mean(signs)
    assert np.mean(gain_top) > np.mean(gain_random)


class _HandNet(torch.nn.Module):
    """Correction of tag ``a`` = 2 x the transformed score of feature ``b`` (read from the flat
    input ``u`` at ``pos``); every other correction 0; own logit as the real network's."""

    def __init__(self, n_tags: int, a: int, pos: int) -> None:
        super().__init__()
        self.a, self.pos = a, pos
        self.own_scale = torch.nn.Parameter(torch.ones(n_tags))
        self.own_bias = torch.nn.Parameter(torch.zeros(n_tags))

    def forward(self, u: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        corr = torch.zeros(u.shape[0], self.own_scale.numel(), dtype=u.dtype)
        corr = corr.index_put((torch.arange(u.shape[0]), torch.full((u.shape[0],), self.a)),
                              2.0 * u[:, self.pos])
        return self.own_scale * z + self.own_bias, corr


def test_hand_built_network_relation_is_recovered_exactly(demo, small) -> None:
    import copy

    _, bundle, _ = demo
    model = copy.copy(small[0])
    # transformer-only layout: find feature b's position inside the "all features" token
    from mewo_core.models.reservoir_transformer.token_layout import token_sizes

    model.variant = "transformer-only"
    sizes = token_sizes(model.tokens_, len(model.tag_names_), model.reservoirs_)
    all_token = [i for i, t in enumerate(model.tokens_) if t.type == "all"]
    a = model.tag_names_.index("genres-rock") if "genres-rock" in model.tag_names_ else 0
    b = 5
    if all_token and model.tokens_[all_token[0]].kind == "columns":
        pos = sum(sizes[: all_token[0]]) + b
    else:  # reservoir variants: rebuild a columns-only layout
        from mewo_core.models.reservoir_transformer.token_layout import Token

        model.tokens_ = [Token("columns", "all", np.arange(len(model.feature_names_)))]
        model.reservoirs_ = []
        pos = b
    model.network_ = _HandNet(len(model.tag_names_), a, pos)
    model.blend_weights_ = np.zeros(len(model.tag_names_))
    model.blend_weights_[a] = 1.0
    train = SplitSpec().split(bundle).train
    explainer = Explainer(model, fit_baseline(bundle), reference_track(model, train))
    for x in _rows(bundle, model, 3):
        (e,) = explainer.explain(x, [a])
        z, z_ref = explainer.view.transform(x[None])[0], explainer._z_ref
        contrib = e.contributions.set_index("feature")["contribution"]
        fb = model.feature_names_[b]
        assert contrib[fb] == pytest.approx(2 * (z[b] - z_ref[b]), abs=1e-5)
        assert contrib.drop(fb).abs().max() < 1e-6
        assert e.correction == pytest.approx(2 * z[b], abs=1e-5)
        assert e.reference_correction == pytest.approx(2 * z_ref[b], abs=1e-5)
        assert e.uses_correction


def test_reinitialised_network_gives_different_attributions(demo, small) -> None:
    import copy

    _, bundle, _ = demo
    model, explainer = small
    other = copy.copy(model)
    torch.manual_seed(123)
    other.network_ = model._network()
    with torch.no_grad():
        other.network_.correction.weight.normal_(0, 0.3)
    other.network_.eval()
    re_explainer = Explainer(other, explainer.baseline, explainer.reference)
    x = _rows(bundle, model, 1)[0]
    tags = _moving_tags(explainer, x, 5, kept_only=True)
    a = np.concatenate([e.contributions.sort_values("feature")["contribution"].to_numpy()
                        for e in explainer.explain(x, tags)])
    b = np.concatenate([e.contributions.sort_values("feature")["contribution"].to_numpy()
                        for e in re_explainer.explain(x, tags)])
    assert spearmanr(a, b).statistic < 0.5
    again = np.concatenate([e.contributions.sort_values("feature")["contribution"].to_numpy()
                            for e in explainer.explain(x, tags)])
    np.testing.assert_array_equal(a, again)  # deterministic


def test_vectorised_path_integral_equals_captum(demo, small) -> None:
    _, bundle, _ = demo
    model, explainer = small
    view = network_view(model, torch.float64)
    Z = view.transform(_rows(bundle, model, 3))
    tags = [0, 3, 7]
    captum = integrated_gradients(view, Z, explainer._z_ref, tags, n_steps=16, tolerance=None,
                                  method="captum")
    ours = np.concatenate([a.contributions for _, a in
                           path_integrated_gradients(view, Z, explainer._z_ref, tags, 16)])
    np.testing.assert_allclose(ours, captum.contributions, atol=1e-8)
    # one track's adaptive explanation: the batched Jacobian and Captum agree, steps included
    adaptive = integrated_gradients(view, Z[:1], explainer._z_ref, tags)
    peer = integrated_gradients(view, Z[:1], explainer._z_ref, tags, method="captum")
    np.testing.assert_array_equal(adaptive.steps, peer.steps)
    np.testing.assert_allclose(adaptive.contributions, peer.contributions, atol=1e-8)
    with pytest.raises(ValueError, match="unknown method"):
        integrated_gradients(view, Z[:1], explainer._z_ref, tags, method="other")


@pytest.mark.parametrize("which", ["small", "shipped"])  # reservoir tokens / columns only
def test_batched_jacobian_equals_autograd(demo, which: str, request) -> None:
    from torch.func import jacrev, vmap

    _, bundle, _ = demo
    model, _ = request.getfixturevalue(which)
    view = network_view(model, torch.float64)
    Z = torch.as_tensor(view.transform(_rows(bundle, model, 6)), dtype=torch.float64)
    tags = torch.as_tensor(np.flatnonzero(view.kept)[:40])
    expected = vmap(jacrev(lambda z: view.correction(z[None])[0, tags]))(Z)
    one = view.jacobian(Z[None], tags, torch.ones(1, dtype=torch.float64))
    np.testing.assert_allclose(one.numpy(), expected.numpy(), atol=1e-12, rtol=0)
    # a weighted sum over two path points is the sum of the two Jacobians
    pts = torch.stack([Z, 0.5 * Z])
    w = torch.as_tensor([0.25, 0.75], dtype=torch.float64)
    half = vmap(jacrev(lambda z: view.correction(z[None])[0, tags]))(0.5 * Z)
    np.testing.assert_allclose(view.jacobian(pts, tags, w).numpy(),
                               (0.25 * expected + 0.75 * half).numpy(), atol=1e-12, rtol=0)


def test_unsupported_encoder_falls_back_to_autograd(small) -> None:
    import copy

    from mewo_core.explain.jacobian import encoder_jacobian

    model, _ = small
    net = copy.deepcopy(model.network_)
    assert encoder_jacobian(net) is not None
    net.encoder.layers[0].norm_first = False  # a post-norm layer: not the supported network
    assert encoder_jacobian(net) is None
    other = copy.copy(model)
    other.network_ = net
    view = network_view(other, torch.float64)
    Z = torch.as_tensor(view.transform(np.zeros((2, len(model.feature_names_)))),
                        dtype=torch.float64)
    tags = torch.as_tensor([0, 1])
    from torch.func import jacrev, vmap

    expected = vmap(jacrev(lambda z: view.correction(z[None])[0, tags]))(Z)
    np.testing.assert_allclose(view.jacobian(Z[None], tags, torch.ones(1, dtype=torch.float64)),
                               expected, atol=1e-12, rtol=0)


def test_reference_track_is_the_training_median_or_a_seeded_samples(demo, small) -> None:
    _, bundle, _ = demo
    model, _ = small
    train = SplitSpec().split(bundle).train
    X = model.with_context(model.align(train)).X
    before = train.X.copy()
    np.testing.assert_array_equal(reference_track(model, train),
                                  np.median(X, axis=0).astype(np.float64))
    np.testing.assert_array_equal(train.X, before)  # the data is not partitioned in place
    fortran = np.asfortranarray(X)
    from mewo_core.explain.path import _column_medians

    np.testing.assert_array_equal(_column_medians(fortran), np.median(X, axis=0))
    np.testing.assert_array_equal(fortran, X)
    some = np.sort(np.random.default_rng(3).choice(X.shape[0], 333, replace=False))
    for layout in (X, fortran):  # sampled rows: gathered per column in Fortran order
        np.testing.assert_array_equal(_column_medians(layout, some, block=7),
                                      np.median(X[some], axis=0))
    sampled = reference_track(model, train, max_rows=500)
    assert np.array_equal(sampled, reference_track(model, train, max_rows=500))  # seeded
    rows = np.sort(np.random.default_rng([0, 23]).choice(X.shape[0], 500, replace=False))
    np.testing.assert_array_equal(sampled, np.median(X[rows], axis=0).astype(np.float64))
    assert not np.array_equal(sampled, reference_track(model, train, max_rows=500, seed=1))


# --- decision paths -----------------------------------------------------------------------------
def test_decisions_equal_predict(demo, small) -> None:
    _, bundle, _ = demo
    model, explainer = small
    _parts = SplitSpec().split(bundle)
    _, validation, _ = _parts.fit, _parts.validation, _parts.test
    predicted = model.predict(validation.subset(np.arange(20)))
    for i, x in enumerate(_rows(bundle, model, 20)):
        _, dec, _ = explainer.decisions(x)
        np.testing.assert_array_equal(dec, predicted[i].astype(bool))
    x = _rows(bundle, model, 1)[0]
    for e in explainer.explain(x, range(len(model.tag_names_))):
        t = model.tag_names_.index(e.tag)
        assert e.decision == bool(predicted[0, t])
        assert e.decision == (e.probability >= e.threshold)
        if e.uses_correction:
            assert 1 / (1 + np.exp(-e.logit)) == pytest.approx(e.probability, abs=1e-4)


def test_default_tags_are_disagreements_then_positives(small, demo) -> None:
    _, bundle, _ = demo
    model, explainer = small
    for x in _rows(bundle, model, 10):
        tags = explainer.default_tags(x)
        _, dec, base = explainer.decisions(x)
        flips = int((dec != base).sum())
        assert all(dec[t] != base[t] for t in tags[:flips])
        assert all(dec[t] for t in tags[flips:])
        assert len(tags) == flips + int((dec & (dec == base)).sum())


def test_threshold_sources_of_the_baseline(demo) -> None:
    _, bundle, _ = demo
    base = fit_baseline(bundle)
    sources = threshold_sources(base, SplitSpec().split(bundle).train)
    finite = np.isfinite(sources["threshold"])
    np.testing.assert_allclose(sources["benchmark_threshold"][finite], sources["threshold"][finite])
    assert (sources["moved_by"][finite] == 0).all()
    assert (sources["positives"] >= 0).all()


def test_threshold_model_explanation_has_no_correction(demo) -> None:
    _, bundle, _ = demo
    base = fit_baseline(bundle)
    explainer = Explainer(base, base, reference_track(base, bundle.train))
    x = _rows(bundle, base, 1)[0]
    for e in explainer.explain(x, [0, 1]):
        assert e.correction is None and e.contributions.empty and not e.uses_correction
        assert e.decision == e.baseline_decision


# --- what-if ------------------------------------------------------------------------------------
def test_what_if_recomputes_decisions_and_explanations(demo, small) -> None:
    _, bundle, _ = demo
    model, explainer = small
    x = _rows(bundle, model, 1)[0]
    t = _moving_tags(explainer, x, 1, kept_only=True)[0]
    (before,) = explainer.explain(x, [t])
    top = before.contributions.iloc[0]
    edited, decisions, (after,) = what_if(explainer, x, {top.feature: float(top.reference)}, [t])
    assert edited[list(model.feature_names_).index(top.feature)] == pytest.approx(top.reference)
    assert abs(after.correction - after.reference_correction) < abs(
        before.correction - before.reference_correction)
    after_c = after.contributions.set_index("feature")["contribution"]
    assert abs(after_c[top.feature]) < 1e-6
    np.testing.assert_array_equal(decisions, explainer.decisions(edited)[1])


@pytest.mark.parametrize(
    "item", ["genres-rock", "=1", "nope=1", "genres-rock=abc", "genres-rock=nan",
             "genres-rock=inf"])  # fmt: skip
def test_bad_edits_are_user_errors(item: str) -> None:
    with pytest.raises(MewoError):
        parse_edits([item], ["genres-rock", "moods-calm"])
    assert parse_edits(["genres-rock=0.5"], ["genres-rock"]) == {"genres-rock": 0.5}
    with pytest.raises(MewoError):
        apply_edits(np.zeros(1), ["genres-rock"], {"genres-rock": float("inf")})


# --- relation map ---------------------------------------------------------------------------
def test_relation_map_is_consistent_and_cached(demo, small, tmp_path: Path) -> None:
    _, bundle, _ = demo
    model, explainer = small
    _parts = SplitSpec().split(bundle)
    _, validation, _ = _parts.fit, _parts.validation, _parts.test
    rel = relation_map(model, validation, explainer.reference, max_tracks=12, n_steps=8)
    assert rel.n_tracks == 12
    assert rel.tag_names == model.kept_tags
    assert rel.mean_abs.shape == (len(model.kept_tags), len(model.feature_names_))
    assert (rel.mean_abs >= np.abs(rel.mean_contribution) - 1e-9).all()
    assert ((rel.flip_share >= 0) & (rel.flip_share <= 1)).all()
    assert 0 <= rel.complete_share <= 1 and rel.relative_residual >= 0
    assert rel.check_tracks == 12 and rel.check_steps == 32 and 0 <= rel.check_error < 0.3
    fine = relation_map(model, validation, explainer.reference, max_tracks=12, n_steps=32,
                        check_tracks=0)
    assert fine.relative_residual < rel.relative_residual  # more nodes: smaller residual
    assert np.isnan(fine.check_error) and fine.check_tracks == 0
    # the check compares the map's nodes with the full integral on the same tracks
    err = np.abs(rel.mean_contribution - fine.mean_contribution).max()
    assert err / np.abs(fine.mean_contribution).max() == pytest.approx(rel.check_error)
    naive = relation_map(model, validation, explainer.reference, max_tracks=12, n_steps=8,
                         naive=True)
    np.testing.assert_allclose(naive.mean_contribution, rel.mean_contribution, atol=1e-5)
    np.testing.assert_allclose(naive.flip_share, rel.flip_share)
    structure = data_structure(rel, bundle.train)
    agree = agreement(rel, structure)
    assert {"signed_vs_log_lift", "abs_vs_abs_score_correlation"} <= set(agree)
    top = top_relations(rel, structure, 5)
    assert list(top["mean_abs_contribution"]) == sorted(top["mean_abs_contribution"],
                                                        reverse=True)
    calls: list[tuple[int, int]] = []
    first = cached_relation_map(model, "m1", validation, explainer.reference, tmp_path,
                                max_tracks=12, n_steps=8, progress=lambda *a: calls.append(a))
    assert list(tmp_path.glob("relations-*.npz"))
    assert calls and calls[-1] == (12, 12)  # progress while computed, not part of the key
    again = cached_relation_map(model, "m1", validation, explainer.reference, tmp_path,
                                max_tracks=12, n_steps=8, progress=lambda *a: calls.append(a))
    assert calls[-1] == (12, 12) and len(list(tmp_path.glob("relations-*.npz"))) == 1
    np.testing.assert_array_equal(first.mean_abs, again.mean_abs)
    assert again.tag_names == first.tag_names and isinstance(again, RelationMap)


def test_agreement_is_one_for_a_map_equal_to_the_data() -> None:
    from mewo_core.explain.relations import DataStructure

    rng = np.random.default_rng(0)
    lift = np.exp(rng.normal(size=(3, 5)))
    corr = rng.uniform(-1, 1, size=(3, 5))
    rel = RelationMap(("a", "b", "c"), ("g",) * 3, ("g",) * 3, tuple("vwxyz"), ("g",) * 5,
                      ("g",) * 5, np.log2(lift), np.abs(corr), np.zeros((3, 5)), 10, 8)
    agree = agreement(rel, DataStructure(lift, corr))
    assert agree["signed_vs_log_lift"] == pytest.approx(1.0)
    assert agree["abs_vs_abs_score_correlation"] == pytest.approx(1.0)


# --- CLI ----------------------------------------------------------------------------------------
def _run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_explain_json_shape(demo, capsys) -> None:
    folder, bundle, path = demo
    model = load_model(path)
    _parts = SplitSpec().split(bundle)
    _, validation, _ = _parts.fit, _parts.validation, _parts.test
    track = str(int(validation.ids[2]))
    base = ("explain", "--model", str(path), "--data", str(folder), "--track", track)
    status, out, err = _run(capsys, *base, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert set(report) == {"track", "model", "edits", "tags"}
    assert report["track"] == int(track) and report["edits"] == []
    predicted = model.predict(validation.subset(np.array([2])))[0]
    for tag in report["tags"]:
        assert set(tag) == JSON_KEYS
        kept = model.blend_weights_[model.tag_names_.index(tag["tag"])] > 0
        assert tag["uses_correction"] == kept
        # only a tag that keeps the correction lists contributions (no list of zeros)
        assert len(tag["contributions"]) == (len(model.feature_names_) if kept else 0)
        if kept:
            assert set(tag["contributions"][0]) == {"feature", "value", "reference",
                                                    "contribution"}
        assert (tag["decision_value"] >= tag["threshold_value"]) == tag["decision"]
        assert tag["context"] is None  # the small model has no album context
        assert set(tag["threshold_source"]) >= {"estimator", "positives", "benchmark_threshold"}
        assert tag["decision"] == bool(predicted[model.tag_names_.index(tag["tag"])])
    name = model.tag_names_[0]
    status, out, _ = _run(capsys, *base, "--json", "--tag", name, "--top", "3",
                          "--set", f"{model.feature_names_[1]}=0.9")
    report = json.loads(out)
    assert status == 0 and [t["tag"] for t in report["tags"]] == [name]
    assert len(report["tags"][0]["contributions"]) == (3 if model.blend_weights_[0] > 0 else 0)
    assert set(report["what_if"]) == {"flipped", "flipped_album_mates"}
    assert report["edits"][0]["feature"] == model.feature_names_[1]
    assert report["edits"][0]["value"] == 0.9
    c = report["tags"][0]
    assert json.loads(json.dumps(c))  # plain JSON (no NaN / Infinity)
    status, out, _ = _run(capsys, *base, "--tag", name)
    assert status == 0 and name in out and "threshold" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--track", "-1"), "no track"),
        (("--tag", "genres-nope"), "unknown --tag"),
        (("--set", "genres-nope=1"), "unknown feature"),
        (("--set", "x"), "FEATURE=VALUE"),
        (("--set", "genres-rock=inf"), "finite"),
        (("--set", "genres-rock=1e999"), "finite"),
    ],
)
def test_cli_explain_user_errors(demo, capsys, extra, message: str) -> None:
    folder, bundle, path = demo
    _parts = SplitSpec().split(bundle)
    _, validation, _ = _parts.fit, _parts.validation, _parts.test
    args = ["explain", "--model", str(path), "--data", str(folder),
            "--track", str(int(validation.ids[0]))]
    if extra[0] == "--track":
        args = args[:-2]
    status, out, err = _run(capsys, *args, *extra)
    assert status == 2
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_cli_explain_error_has_no_traceback_in_a_process(demo) -> None:
    folder, _, path = demo
    proc = subprocess.run(
        [sys.executable, "-m", "mewo_core", "explain", "--model", str(path), "--data",
         str(folder), "--track", "123456789"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no track") and "Traceback" not in proc.stderr


def test_cli_relations_writes_csv(demo, capsys, tmp_path: Path) -> None:
    folder, _, path = demo
    out = tmp_path / "relations.csv"
    status, text, err = _run(capsys, "explain", "--model", str(path), "--data", str(folder),
                             "--relations", "--out", str(out), "--max-tracks", "10")
    assert status == 0, err
    frame = pd.read_csv(out)
    model = load_model(path)
    assert len(frame) == len(model.kept_tags) * len(model.feature_names_)
    assert {"tag", "feature", "mean_contribution", "mean_abs_contribution", "flip_share",
            "lift", "score_correlation"} <= set(frame.columns)
    assert "agreement" in text
    status, _, err = _run(capsys, "explain", "--model", "baseline", "--data", str(folder),
                          "--relations", "--out", str(out))
    assert status == 2 and "no learned relations" in err
