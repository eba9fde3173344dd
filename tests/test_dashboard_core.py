"""The dashboard's UI-free helpers: threshold explorer, correlations, demo cache, workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mewo_core import artifacts, demo, locations
from mewo_core.compare.evaluation import evaluate_decisions
from mewo_core.data import Dataset, correlations, load_folder, uploads
from mewo_core.data.taxonomy import Taxonomy
from mewo_core.errors import ArtifactError, DataError
from mewo_core.models import create_model
from mewo_core.scoring.explorer import Adjustments, ThresholdExplorer, compose_thresholds


def _dataset(n: int = 300, t: int = 12, seed: int = 0, shared_categories: bool = False) -> Dataset:
    """Tags of three classes; categories ``CLASS0`` / ``CLASS1``, or with ``shared_categories``
    ``c0`` / ``c1`` in every class (one category name in several classes)."""
    rng = np.random.default_rng(seed)
    tags = [f"{c}-t{i}" for i, c in enumerate(["genres", "instruments", "moods"] * (t // 3))]
    Y = (rng.random((n, t)) < np.linspace(0.02, 0.3, t)).astype(np.uint8)
    X = (0.6 * Y + rng.random((n, t)) * 0.7).astype(np.float32)
    X[:, 0] = np.round(X[:, 0], 1)  # ties
    Y[:, 1] = 0  # a tag with no positive
    tax = Taxonomy(
        tuple(tags),
        tuple(x.split("-")[0] for x in tags),
        tuple(
            ("c" if shared_categories else x.split("-")[0]) + str(i % 2) for i, x in enumerate(tags)
        ),
    )
    return Dataset(
        X=X,
        Y=Y,
        ids=np.arange(n, dtype=np.int64),
        feature_names=tuple(tags),
        tag_names=tuple(tags),
        taxonomy=tax,
        groups=pd.DataFrame({"album_id": np.arange(n) // 5}),
    )


def _explorer(data: Dataset) -> ThresholdExplorer:
    return ThresholdExplorer(data.X, data.Y, data.tag_names, data.tag_classes, data.tag_categories)


@pytest.mark.parametrize("shared_categories", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_explorer_matches_the_evaluation(seed: int, shared_categories: bool) -> None:
    data = _dataset(seed=seed, shared_categories=shared_categories)
    ex = _explorer(data)
    rng = np.random.default_rng(seed)
    for thresholds in (
        rng.random(data.n_tags),
        np.full(data.n_tags, 0.5),
        np.r_[np.inf, rng.random(data.n_tags - 1)],
        data.X[3].astype(np.float64),
    ):
        got = ex.evaluate(thresholds)
        want = evaluate_decisions(data, thresholds <= data.X)
        for key, value in want.overall.items():
            assert got.overall[key] == pytest.approx(value, abs=1e-12), key
        np.testing.assert_allclose(got.per_tag["f1"], want.per_tag["f1"], atol=1e-12)
        for level in ("per_class", "per_category"):
            mine, theirs = getattr(got, level), getattr(want, level)
            assert mine.columns.tolist() == theirs.columns.tolist()
            pd.testing.assert_frame_equal(mine, theirs, check_exact=False, atol=1e-12)
        assert (ex.decisions(thresholds) == (thresholds <= data.X)).all()


def test_evaluation_groups_categories_by_class_and_name() -> None:
    # "c0" and "c1" exist in all three classes: six (class, category) groups, not two
    from sklearn.metrics import f1_score

    data = _dataset(shared_categories=True)
    decisions = data.X >= 0.5
    per_category = evaluate_decisions(data, decisions).per_category
    keys = list(zip(per_category["class"], per_category["category"], strict=True))
    assert sorted(keys) == sorted(
        (c, f"c{k}") for c in ("genres", "instruments", "moods") for k in (0, 1)
    )
    classes, categories = np.array(data.tag_classes), np.array(data.tag_categories)
    for row in per_category.itertuples():
        cols = (classes == row[1]) & (categories == row.category)
        want = f1_score(data.Y[:, cols].ravel(), decisions[:, cols].ravel(), zero_division=0)
        assert row.n_tags == cols.sum() and row.f1 == pytest.approx(want, abs=1e-12)


def test_explorer_curve_and_counts() -> None:
    data = _dataset()
    ex = _explorer(data)
    curve = ex.curve(0, max_points=5)
    assert len(curve) <= 6 and curve["f1"].max() == pytest.approx(ex.curve(0)["f1"].max())
    curve["f1"] = -1.0  # a caller's change does not reach the next call's curve
    again = ex.curve(0, max_points=5)
    assert (again["f1"] >= 0).all()
    pd.testing.assert_frame_equal(again, ex._curve(0, 5))  # the kept curve is the computed one
    c = ex.counts(np.full(data.n_tags, -np.inf))
    assert (c.true == data.Y.sum(axis=0)).all() and (c.pred == data.n_tracks).all()
    assert not c.has_rows and ex.counts(np.zeros(data.n_tags), rows=True).has_rows


def test_compose_thresholds() -> None:
    tuned = np.array([0.2, 0.4, np.inf])
    adj = Adjustments(0.1, {"genres": 0.05}, {"c1": -0.2}, {"b": 0.9})
    out = compose_thresholds(
        tuned, ["a", "b", "c"], ["genres", "moods", "genres"], ["c0", "c1", "c1"], adj
    )
    np.testing.assert_allclose(out, [0.35, 0.9, np.inf])
    assert Adjustments().is_identity and not adj.is_identity


def test_correlations_are_ordered_and_bounded() -> None:
    data = _dataset()
    m = correlations.correlation(
        data.X, data.tag_names, data.tag_classes, data.tag_categories, "score correlation"
    )
    assert list(m.classes) == sorted(m.classes, key=["genres", "instruments", "moods"].index)
    assert np.allclose(np.diag(m.values), 1) and np.abs(m.values).max() <= 1
    np.testing.assert_allclose(m.values, m.values.T, atol=1e-6)
    block = m.block("genres", "moods")
    assert block.values.shape == (4, 4)
    lift = correlations.lift(data.Y, data.tag_names, data.tag_classes, data.tag_categories)
    assert np.isnan(lift.values[list(lift.names).index("instruments-t1")]).all()
    pairs = correlations.strongest_pairs(m, top=5)
    assert len(pairs) == 5 and (pairs["score correlation"].abs().diff().dropna() <= 1e-9).all()
    assert m.by_category().shape == (6, 6)


def test_demo_cache_is_atomic_and_fast_copy_matches(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MEWO_CACHE_DIR", str(tmp_path))
    folder = demo.ensure_demo_data(400, 3)
    assert folder == tmp_path / f"demo-400-3-{demo.generator_version()}"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    fast, slow = demo.load_demo_bundle(folder), load_folder(folder)
    assert fast.train.fingerprint == slow.train.fingerprint
    assert fast.test.fingerprint == slow.test.fingerprint
    assert fast.train.taxonomy == slow.train.taxonomy
    pd.testing.assert_frame_equal(fast.train.groups, slow.train.groups)
    assert len(fast.train.feature_names) == 289
    assert demo.ensure_demo_data(400, 3) == folder  # reused, not rebuilt


def test_the_fast_copy_maps_its_large_arrays_copy_on_write(tmp_path, monkeypatch) -> None:
    """Large members are mapped from the file, equal to numpy's reading, and a write to them
    stays in memory; a compressed archive is read as numpy reads it."""
    from mewo_core.demo import cache

    monkeypatch.setenv("MEWO_CACHE_DIR", str(tmp_path))
    path = demo.ensure_demo_data(400, 3) / demo.BUNDLE_FILE
    monkeypatch.setattr(cache, "MAP_BYTES", 100_000)  # train/X only (462 kB)
    on_disk = path.read_bytes()
    with np.load(path) as npz:
        expected = {name.removesuffix(".npy"): npz[name] for name in npz.files}
    members = cache._members(path)
    assert members.keys() == expected.keys()
    for name, array in members.items():
        np.testing.assert_array_equal(array, expected[name])
        assert array.dtype == expected[name].dtype
        assert array.flags.f_contiguous == expected[name].flags.f_contiguous
    mapped = members["train/X"]
    assert isinstance(mapped.base, np.memmap) and type(mapped) is np.ndarray
    assert not isinstance(members["tag_names"].base, np.memmap)  # small: read
    mapped[0, 0] = -7.0
    assert path.read_bytes() == on_disk
    squeezed = tmp_path / "compressed.npz"
    np.savez_compressed(squeezed, **expected)
    for name, array in cache._members(squeezed).items():
        np.testing.assert_array_equal(array, expected[name])
        assert not isinstance(array.base, np.memmap)


def test_uploads_and_folders(tmp_path, monkeypatch) -> None:
    x = b"ChallengeID,genres-a,moods-b\n" + b"".join(
        f"{i},{i / 20:.2f},{(20 - i) / 20:.2f}\n".encode() for i in range(20)
    )
    y = b"ChallengeID,genres-a,moods-b\n" + b"".join(
        f"{i},{int(i > 12)},{int(i < 4)}\n".encode() for i in range(20)
    )
    bundle = uploads.bundle_from_uploads({"x": ("x.csv", x), "y": ("y.csv", y)})
    assert bundle.train.n_tracks == 20 and bundle.test is None
    with pytest.raises(DataError, match="upload the y file"):
        uploads.bundle_from_uploads({"x": ("x.csv", x)})
    with pytest.raises(DataError, match="semicolon"):
        uploads.bundle_from_uploads({"x": ("x.csv", x.replace(b",", b";")), "y": ("y", y)})
    assert uploads.upload_key({"x": ("x.csv", x)}) != uploads.upload_key({"x": ("y.csv", x)})
    monkeypatch.setenv("MEWO_DATA_ROOTS", str(tmp_path))
    assert locations.check_data_folder(tmp_path) == tmp_path.resolve()
    with pytest.raises(DataError, match="outside"):
        locations.check_data_folder("/")


def test_saving_a_threshold_set_never_overwrites(tmp_path) -> None:
    data = _dataset()
    model = create_model("baseline").fit(data)
    new = model.thresholds_ + 0.05
    path = artifacts.save_threshold_set(model, new, tmp_path, "base-v2", parent="baseline")
    from mewo_core.artifacts import load_model

    np.testing.assert_allclose(load_model(path).thresholds_, new)
    with pytest.raises(ArtifactError, match="already exists"):
        artifacts.save_threshold_set(model, new, tmp_path, "base-v2", parent="baseline")
    with pytest.raises(ArtifactError, match="invalid"):
        artifacts.save_threshold_set(model, new, tmp_path, "../x", parent="baseline")
    assert artifacts.next_free_name(tmp_path, "base") == "base-v3"
    assert artifacts.next_free_name(tmp_path, "base-v2") == "base-v3"


def test_cli_correlations(tmp_path, monkeypatch, capsys) -> None:
    from mewo_core.cli import main

    monkeypatch.setenv("MEWO_CACHE_DIR", str(tmp_path))
    folder = demo.ensure_demo_data(400, 1)
    for view in ("scores", "labels", "lift"):
        assert main(["correlations", "--data", str(folder), "--view", view, "--top", "4"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{view}: strongest pairs") and len(out.splitlines()) <= 6


def _points(fig) -> int:
    total = 0
    for trace in fig.data:
        z = getattr(trace, "z", None)
        if z is not None:
            total += int(np.asarray(z, dtype=object).size)
        elif getattr(trace, "x", None) is not None:
            total += len(trace.x)
    return total


def test_plots_send_at_most_about_10000_points() -> None:
    from mewo_core import plots

    rng = np.random.default_rng(0)
    big = rng.random((300, 300))
    names = [f"t{i}" for i in range(300)]
    assert _points(plots.heatmap(big, names, names, names, names, "h")) <= plots.MAX_POINTS
    curve = pd.DataFrame(
        {
            "threshold": np.linspace(0, 1, 50_000),
            "precision": rng.random(50_000),
            "recall": rng.random(50_000),
            "f1": rng.random(50_000),
        }
    )
    assert _points(plots.pr_curve(curve, (0.5, 0.5), "t")) <= plots.MAX_POINTS
    assert _points(plots.f1_threshold_curve(curve, 0.3, 0.4, "t")) <= plots.MAX_POINTS + 4
    scores = rng.random((100_000, 3))
    labels = rng.random((100_000, 3)) < 0.1
    assert _points(plots.score_histograms(scores, labels, ["a", "b", "c"])) <= 3 * 2 * 40
    assert _points(plots.tags_per_track(rng.integers(0, 20, 100_000))) <= 20


def test_threshold_charts_keep_their_margins_fixed() -> None:
    """The Thresholds page redraws these on every slider move: automargin (which Streamlit's
    theme turns on unless a figure says otherwise) makes Plotly lay a chart out twice."""
    from mewo_core import plots

    curve = pd.DataFrame({"threshold": np.linspace(0, 1, 20), "precision": np.linspace(1, 0, 20),
                          "recall": np.linspace(0, 1, 20), "f1": np.full(20, 0.4)})
    bars = pd.DataFrame({"class": ["genres"] * 2, "category": ["rock", "jazz"],
                         "f1": [0.5, 0.6], "f1_tuned": [0.4, 0.6]})
    for fig in (plots.pr_curve(curve, (0.5, 0.5), "t"),
                plots.f1_threshold_curve(curve, 0.3, 0.4, "t"), plots.category_f1_bars(bars)):
        layout = fig.to_plotly_json()["layout"]
        assert layout["xaxis"]["automargin"] is False and layout["yaxis"]["automargin"] is False
        assert layout["margin"]["autoexpand"] is False


def test_typed_data_folders_cannot_escape_the_roots(tmp_path, monkeypatch) -> None:
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    monkeypatch.setenv("MEWO_DATA_ROOTS", str(root))
    assert locations.check_data_folder(root / "data") == (root / "data").resolve()
    for escape in (root / "..", root / "data" / ".." / "..", root / "out", "/etc", "~"):
        with pytest.raises(DataError, match="outside the folders the app may read"):
            locations.check_data_folder(escape)
