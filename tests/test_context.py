"""Group context (mewo_core/context.py): the blend, the weight's choice, the models that use it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import load_model, model_fits_data, read_manifest, save_model
from mewo_core.data import Dataset, Taxonomy
from mewo_core.errors import DataError
from mewo_core.models import create_model
from mewo_core.models.context import GroupContext, blend, group_means, resolve_level
from mewo_core.scoring.metrics import f1_scores


def _albums(n_albums: int, size: int, n_tags: int, effect: float, seed: int) -> Dataset:
    """Tracks in albums of ``size``; each album has a propensity per tag (``effect`` > 0: tracks
    of an album share tags), and the tagger scores each track alone, with noise."""
    rng = np.random.default_rng(seed)
    album = np.repeat(np.arange(n_albums), size)
    n = album.size
    propensity = rng.normal(-1.5, 1.0, (n_tags,)) + effect * rng.normal(0, 1.5, (n_albums, n_tags))
    Y = (rng.random((n, n_tags)) < 1 / (1 + np.exp(-propensity[album]))).astype(np.uint8)
    logits = 1.2 * (Y - 0.5) + rng.normal(0, 1.0, (n, n_tags)) - 1.0
    X = (1 / (1 + np.exp(-logits))).astype(np.float32)
    tags = tuple(f"moods-t{k}" for k in range(n_tags))
    groups = pd.DataFrame({"album_id": album, "artist_id": album // 2})
    taxonomy = Taxonomy.from_frame(
        pd.DataFrame({"column": tags, "class": "moods", "category": "moods-all"}), tags
    )
    return Dataset(X, Y, np.arange(n), tags, tags, taxonomy, groups, name="albums")


@pytest.fixture(scope="module")
def coherent() -> tuple[Dataset, Dataset]:
    data = _albums(300, 6, 8, effect=1.0, seed=1)
    half = data.groups["artist_id"].to_numpy() % 2 == 0
    return data.subset(np.flatnonzero(half)), data.subset(np.flatnonzero(~half))


def test_group_means_match_pandas_and_ignore_row_order() -> None:
    rng = np.random.default_rng(0)
    values, labels = rng.normal(size=(50, 3)), rng.integers(0, 7, 50)
    expected = pd.DataFrame(values).groupby(labels).transform("mean").to_numpy()
    # exact fixed-point sums of 2**-20: within half a unit of the float mean
    np.testing.assert_allclose(group_means(values, labels), expected, rtol=0, atol=2.0**-20)
    order = rng.permutation(50)
    np.testing.assert_array_equal(group_means(values[order], labels[order]),
                                  group_means(values, labels)[order])


def test_blend_limits() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((12, 3)).astype(np.float32)
    labels = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4, 5])
    mask = np.array([True, True, False])
    assert blend(X, labels, 0.0, mask) is X  # weight 0: the scores themselves
    full = blend(X, labels, 1.0, mask)
    assert full.dtype == np.float32 and np.isfinite(full).all()
    for g in np.unique(labels):
        rows = full[labels == g]
        np.testing.assert_allclose(rows, np.broadcast_to(rows[0], rows.shape), rtol=1e-6)
    alone = labels == 2
    np.testing.assert_allclose(full[alone], X[alone], rtol=1e-5)  # a lone track keeps its own
    # raw column: the plain mean; logit columns: the mean in logit space
    np.testing.assert_allclose(full[:3, 2], X[:3, 2].mean(), rtol=1e-6)
    z = np.log(X[:3, 0] / (1 - X[:3, 0])).mean()
    np.testing.assert_allclose(full[0, 0], 1 / (1 + np.exp(-z)), rtol=1e-5)


def test_weight_is_chosen_on_train_and_helps_held_out_albums(coherent) -> None:
    train, test = coherent
    ctx = GroupContext("album").fit(train)
    assert ctx.alpha_ > 0 and ctx.cv_.shape == (5,)
    again = GroupContext("album").fit(train)
    assert again.alpha_ == ctx.alpha_ and np.array_equal(again.cv_, ctx.cv_, equal_nan=True)
    plain = create_model("baseline").fit(train).predict(test)
    model = create_model("robust-thresholds", method="benchmark", context="album").fit(train)
    assert model.uses_context and model.context_.alpha_ == ctx.alpha_
    gain = f1_scores(test.Y, model.predict(test))["weighted"] - f1_scores(test.Y, plain)["weighted"]
    assert gain > 0.02


def test_no_album_effect_stays_off_and_is_the_benchmark_exactly() -> None:
    """Albums that share nothing: no weight clearly beats no blend, so the context stays off
    (weight 0, the identity) and the thresholds are the benchmark's, bit for bit."""
    data = _albums(200, 5, 6, effect=0.0, seed=2)
    ctx = GroupContext("album").fit(data)
    assert ctx.alpha_ == 0.0 and not ctx.active
    assert ctx.transform(data) is data
    bench = create_model("baseline").fit(data)
    for context in ("album", "none"):
        model = create_model("robust-thresholds", method="benchmark", context=context).fit(data)
        assert not model.uses_context
        np.testing.assert_array_equal(model.thresholds_, bench.thresholds_)


def test_levels_resolve_from_the_data(coherent) -> None:
    train, _ = coherent
    assert resolve_level("auto", train) == "album"
    assert resolve_level("none", train) is None
    assert resolve_level("artist", train) == "artist"
    bare = replace(train, groups=None)
    assert resolve_level("auto", bare) is None
    with pytest.raises(DataError, match="needs a groups.csv with a 'album_id' column"):
        resolve_level("album", bare)
    singles = replace(train, groups=pd.DataFrame({"album_id": np.arange(train.n_tracks)}))
    assert resolve_level("auto", singles) is None


def test_context_model_round_trips_and_says_what_it_needs(coherent, tmp_path: Path) -> None:
    train, test = coherent
    model = create_model("robust-thresholds", context="album").fit(train)
    path = save_model(model, tmp_path / "m")
    loaded = load_model(path)
    assert loaded.uses_context and loaded.context_.alpha_ == model.context_.alpha_
    np.testing.assert_array_equal(loaded.predict(test), model.predict(test))
    manifest = read_manifest(path)
    assert manifest["columns"]["group_columns"] == ["album_id"]
    bare = replace(test, groups=None)
    assert "no 'album_id' column in groups.csv" in model_fits_data(manifest, bare)
    with pytest.raises(DataError, match="context album"):
        loaded.predict(bare)
    with pytest.raises(DataError, match="group context"):
        loaded.matrix_scores(test.X)
    # a track's decision reads its album's other tracks: decided alone, it may differ
    alone = loaded.predict(test.subset(np.arange(1)))
    assert alone.shape == (1, test.n_tags)


@pytest.mark.slow
def test_network_with_context_round_trips(coherent, tmp_path: Path) -> None:
    train, test = coherent
    fast = {"epochs": 1, "d_model": 8, "n_heads": 2, "units": 8, "all_units": 8}
    model = create_model("reservoir-transformer", **fast).fit(train)
    assert model.uses_context
    loaded = load_model(save_model(model, tmp_path / "net"))
    np.testing.assert_array_equal(loaded.decision_scores(test), model.decision_scores(test))


def _write_x(data: Dataset, path: Path) -> Path:
    frame = pd.DataFrame(data.X, columns=list(data.feature_names))
    frame.insert(0, "ChallengeID", data.ids)
    frame.to_csv(path, index=False, float_format="%.9g")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["robust-thresholds", "reservoir-transformer"])
def test_streamed_context_decisions_equal_in_memory(coherent, model_type: str,
                                                    tmp_path: Path) -> None:
    from mewo_core.data import load_xy
    from mewo_core.predict import predict_stream

    train, test = coherent
    fast = {"epochs": 1, "d_model": 8, "n_heads": 2} if model_type != "robust-thresholds" else {}
    model = create_model(model_type, context="album", **fast).fit(train)
    assert model.uses_context
    model.score_block = 64 if model.score_block else None  # type: ignore[misc]
    x = _write_x(test, tmp_path / "x.csv")
    groups = tmp_path / "groups.csv"
    test.groups.assign(ChallengeID=test.ids)[["ChallengeID", "album_id", "artist_id"]].to_csv(
        groups, index=False)
    data = replace(load_xy(x), groups=test.groups)  # the file's float32 scores, with albums
    reference = model.decision_scores(data)
    assert not np.array_equal(reference, create_model(model_type, context="none", **fast)
                              .fit(train).decision_scores(data))
    for rows in (7, 1000):
        out = tmp_path / f"d{rows}.parquet"
        predict_stream(model, x, out, chunk_rows=rows, with_scores=True, groups=groups)
        got = pd.read_parquet(out)
        streamed = got[[t + ":score" for t in model.tag_names_]].to_numpy()
        assert np.array_equal(streamed, reference), rows  # bit for bit
        assert np.array_equal(got[list(model.tag_names_)].to_numpy(), model.decide(reference))
    with pytest.raises(DataError, match="give --groups FILE"):
        predict_stream(model, x, tmp_path / "none.csv")
    pd.read_csv(groups).iloc[1:].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match=r"track \d+ \(line 2 of x.csv\) has no row in short.csv"):
        predict_stream(model, x, tmp_path / "short-out.csv", groups=tmp_path / "short.csv")
    assert not (tmp_path / "none.csv").exists() and not (tmp_path / "short-out.csv").exists()


def test_robust_thresholds_refuses_a_single_group_with_a_message() -> None:
    from mewo_core.errors import TrainingError

    data = _albums(4, 5, 3, effect=1.0, seed=0)
    one_artist = replace(data, groups=data.groups.assign(artist_id=0))
    with pytest.raises(TrainingError, match="every track is in the same group"):
        create_model("robust-thresholds").fit(one_artist)


@pytest.mark.slow
def test_cli_trains_and_predicts_with_albums(coherent, tmp_path: Path, capsys) -> None:
    from mewo_core.cli import main
    from tests.test_context_app import _write

    train, test = coherent
    folder = _write(tmp_path / "data", {"train": train, "test": test}, with_groups=True)
    model_dir = tmp_path / "m"
    assert main(["train", "--data", str(folder), "--model", "robust-thresholds",
                 "--out", str(model_dir), "--quiet"]) == 0
    assert "album context, weight" in capsys.readouterr().out
    x, out = folder / "x_test.csv", tmp_path / "d.csv"
    assert main(["predict", "--model", str(model_dir), "--x", str(x), "--out", str(out)]) == 2
    assert "give --groups FILE" in capsys.readouterr().err and not out.exists()
    assert main(["predict", "--model", str(model_dir), "--x", str(x), "--out", str(out),
                 "--groups", str(folder / "groups.csv")]) == 0
    assert "group sums (pass 1 of 2)" in capsys.readouterr().err
    expected = load_model(model_dir).predict(load_folder_test(folder))
    got = pd.read_csv(out)
    assert np.array_equal(got.drop(columns="ChallengeID").to_numpy(), expected)


def load_folder_test(folder: Path) -> Dataset:
    from mewo_core.data import load_folder

    return load_folder(folder).test


def test_a_model_without_context_saves_no_context_arrays(coherent, tmp_path: Path) -> None:
    """As artifacts saved before the context existed: no context arrays, and it loads with
    none (each track decided alone)."""
    train, test = coherent
    model = create_model("robust-thresholds", context="none").fit(train)
    path = save_model(model, tmp_path / "plain")
    with np.load(path / "arrays.npz") as npz:
        assert not [k for k in npz.files if k.startswith("context_")]
    loaded = load_model(path)
    assert loaded.context_ is None and not loaded.uses_context
    assert "group_columns" not in read_manifest(path)["columns"]
    np.testing.assert_array_equal(loaded.predict(replace(test, groups=None)), model.predict(test))
