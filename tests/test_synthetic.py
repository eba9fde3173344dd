"""The synthetic demo catalogue: shapes, determinism, label rules, taxonomy, album split."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.synthetic import (
    CLASSES,
    ID_COLUMN,
    Catalogue,
    album_test_mask,
    generate_catalogue,
    write_demo_data,
)

N = 3000
FILES = ("x_train", "y_train", "x_test", "y_test", "taxonomy", "groups")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return generate_catalogue(N, seed=0)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_data(tmp_path_factory.mktemp("demo"), n_tracks=N, seed=0)


def _features(cat: Catalogue) -> list[str]:
    return list(cat.x.columns[1:])


def _tags(cat: Catalogue) -> list[str]:
    return list(cat.y.columns[1:])


def test_shapes_and_dtypes(cat: Catalogue) -> None:
    assert cat.x.shape == (N, 249)
    assert cat.x.columns[0] == ID_COLUMN and cat.y.columns[0] == ID_COLUMN
    assert cat.x[ID_COLUMN].dtype == np.int64
    assert (cat.x.dtypes.iloc[1:] == np.float32).all()
    assert (cat.y.dtypes.iloc[1:] == np.uint8).all()
    assert 200 <= len(_tags(cat)) < 248
    assert _features(cat)[: len(_tags(cat))] == _tags(cat)
    assert list(cat.groups.columns) == [ID_COLUMN, "album_id", "artist_id"]


def test_ids_unique_aligned_and_not_revealing_albums(cat: Catalogue) -> None:
    ids = cat.x[ID_COLUMN].to_numpy()
    assert len(np.unique(ids)) == N
    assert (cat.y[ID_COLUMN].to_numpy() == ids).all()
    assert (cat.groups[ID_COLUMN].to_numpy() == ids).all()
    albums = cat.groups["album_id"].to_numpy()
    assert (albums[1:] == albums[:-1]).mean() < 0.2  # neighbouring ids rarely share an album


def test_labels(cat: Catalogue) -> None:
    y = cat.y[_tags(cat)].to_numpy()
    assert set(np.unique(y)) <= {0, 1}
    genres = [c for c in _tags(cat) if c.startswith("genres-")]
    assert (cat.y[genres].sum(axis=1) >= 1).all()
    assert 7.0 < y.sum(axis=1).mean() < 11.0


def test_scores_finite_and_positive_ish(cat: Catalogue) -> None:
    x = cat.x[_features(cat)].to_numpy()
    assert np.isfinite(x).all()
    assert x.min() >= 0.0
    assert x.max() < 10.0


def test_taxonomy(cat: Catalogue) -> None:
    tax = cat.taxonomy
    assert list(tax.columns) == ["column", "class", "category"]
    assert list(tax["column"]) == _features(cat)
    assert set(tax["class"]) == set(CLASSES)
    for column, cls, category in tax.itertuples(index=False):
        assert category.startswith(f"{cls}-")
        if column.startswith("category-"):
            assert column == f"category-{category}"
        else:
            assert re.fullmatch(rf"{cls}-[a-z0-9-]+", column)
    categories = [c for c in _features(cat) if c.startswith("category-")]
    assert categories and not set(categories) & set(_tags(cat))
    tag_categories = set(tax.loc[~tax["column"].str.startswith("category-"), "category"])
    assert {c.removeprefix("category-") for c in categories} == tag_categories


def test_groups_cover_every_id(cat: Catalogue) -> None:
    assert set(cat.groups[ID_COLUMN]) == set(cat.x[ID_COLUMN])
    per_album_artists = cat.groups.groupby("album_id")["artist_id"].nunique()
    assert (per_album_artists == 1).all()
    assert cat.groups.groupby("artist_id")["album_id"].nunique().max() > 1


def test_determinism(cat: Catalogue) -> None:
    again = generate_catalogue(N, seed=0)
    for a, b in zip(
        (cat.x, cat.y, cat.taxonomy, cat.groups),
        (again.x, again.y, again.taxonomy, again.groups),
        strict=True,
    ):
        pd.testing.assert_frame_equal(a, b)
    other = generate_catalogue(N, seed=1)
    assert not cat.x.equals(other.x)
    assert not cat.y.equals(other.y)


def test_files_identical_bytes(written: dict[str, Path], tmp_path: Path) -> None:
    again = write_demo_data(tmp_path, n_tracks=N, seed=0)
    assert set(written) == set(FILES) == set(again)
    for name in FILES:
        assert written[name].read_bytes() == again[name].read_bytes(), name


def test_files_content_and_album_split(written: dict[str, Path], cat: Catalogue) -> None:
    x_train, x_test = pd.read_csv(written["x_train"]), pd.read_csv(written["x_test"])
    y_train, y_test = pd.read_csv(written["y_train"]), pd.read_csv(written["y_test"])
    groups = pd.read_csv(written["groups"])
    taxonomy = pd.read_csv(written["taxonomy"])
    assert list(x_train.columns) == list(cat.x.columns) == list(x_test.columns)
    assert list(y_train.columns) == list(cat.y.columns) == list(y_test.columns)
    assert (x_train[ID_COLUMN] == y_train[ID_COLUMN]).all()
    assert (x_test[ID_COLUMN] == y_test[ID_COLUMN]).all()
    assert len(x_train) + len(x_test) == N == len(groups)
    pd.testing.assert_frame_equal(taxonomy, cat.taxonomy)
    album = groups.set_index(ID_COLUMN)["album_id"]
    train_albums = set(album[x_train[ID_COLUMN]])
    test_albums = set(album[x_test[ID_COLUMN]])
    assert not train_albums & test_albums
    share = len(test_albums) / album.nunique()
    assert abs(share - 0.2) < 0.01
    scores = x_test.iloc[:, 1:].to_numpy()
    expected = cat.x.set_index(ID_COLUMN).loc[x_test[ID_COLUMN]].to_numpy()
    assert np.allclose(scores, expected, atol=1e-6)


def test_album_test_mask_fraction_and_seed(cat: Catalogue) -> None:
    a = album_test_mask(cat.groups, 0.3, seed=0)
    assert (a == album_test_mask(cat.groups, 0.3, seed=0)).all()
    assert not (a == album_test_mask(cat.groups, 0.3, seed=5)).all()
    albums = cat.groups["album_id"]
    assert abs(albums[a].nunique() / albums.nunique() - 0.3) < 0.01
    with pytest.raises(ValueError):
        album_test_mask(cat.groups, 1.0)


def test_small_catalogues_keep_all_columns() -> None:
    small = generate_catalogue(50, seed=3)
    assert small.x.shape == (50, 249)
    assert small.y.shape[0] == 50
    with pytest.raises(ValueError):
        generate_catalogue(0)


def test_calibration_guard() -> None:
    """The fixed world keeps its calibrated difficulty (guards accidental changes to it)."""
    from sklearn.metrics import f1_score

    from mewo_core.scoring.thresholds import f1_optimal_thresholds

    cat = generate_catalogue(20_000, seed=0)
    tags = _tags(cat)
    x, y = cat.x[tags].to_numpy(), cat.y[tags].to_numpy()
    test = album_test_mask(cat.groups, 0.2, seed=0)
    thr = f1_optimal_thresholds(x[~test], y[~test])
    bench = f1_score(y[test], x[test] >= thr, average="weighted", zero_division=0)
    at_half = f1_score(y[test], x[test] >= 0.5, average="weighted", zero_division=0)
    assert 0.42 < bench < 0.52
    assert at_half < bench - 0.08
    freq = y.mean(axis=0)
    assert freq.max() < 0.4 and np.median(freq) < 0.03
