"""Loading data in the challenge's shape: matching by id, taxonomy, groups, splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.data import SplitSpec, group_kfold, load_folder, load_xy, split_dataset
from mewo_core.data.taxonomy import Taxonomy, infer_class
from mewo_core.errors import DataError


def test_rows_matched_by_id_not_position(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("ChallengeID,genres-rock,extra\n5,0.9,1.5\n7,0.1,-2\n")
    (tmp_path / "y.csv").write_text("ChallengeID,genres-rock\n7,0\n5,1\n")
    data = load_xy(tmp_path / "x.csv", tmp_path / "y.csv")
    assert data.ids.tolist() == [5, 7]
    assert data.Y[:, 0].tolist() == [1, 0]
    assert data.X.dtype == np.float32 and data.Y.dtype == np.uint8
    assert data.tag_names == ("genres-rock",)
    assert data.feature_names == ("genres-rock", "extra")
    assert data.extra_feature_index.tolist() == [1]
    assert data.tag_scores()[:, 0].tolist() == pytest.approx([0.9, 0.1])


def test_scores_need_not_be_in_unit_interval(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("ChallengeID,moods-calm\n1,-3.5\n2,12.25\n")
    data = load_xy(tmp_path / "x.csv")
    assert data.X[:, 0].tolist() == [-3.5, 12.25]
    assert data.Y is None


def test_bom_and_quoted_csv_accepted(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    (tmp_path / "x.csv").write_bytes(bom + b'"ChallengeID","genres-rock"\n"1","0.5"\n2,0.25\n')
    (tmp_path / "y.csv").write_text('ChallengeID,"genres-rock"\n1,1\n2,0\n')
    data = load_xy(tmp_path / "x.csv", tmp_path / "y.csv")
    assert data.ids.tolist() == [1, 2]
    assert data.X[:, 0].tolist() == [0.5, 0.25]


def test_parquet_accepted(tmp_path: Path) -> None:
    frame = pd.DataFrame({"ChallengeID": [3, 4], "genres-rock": [0.2, 0.8]})
    frame.to_parquet(tmp_path / "x.parquet")
    frame.assign(**{"genres-rock": [0, 1]}).to_parquet(tmp_path / "y.parquet")
    data = load_xy(tmp_path / "x.parquet", tmp_path / "y.parquet")
    assert data.Y[:, 0].tolist() == [0, 1]


def test_tag_without_score_column_warns(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("ChallengeID,genres-rock\n1,0.9\n2,0.1\n")
    (tmp_path / "y.csv").write_text("ChallengeID,genres-rock,moods-calm\n1,1,0\n2,0,1\n")
    data = load_xy(tmp_path / "x.csv", tmp_path / "y.csv")
    assert data.tag_feature_index.tolist() == [0, -1]
    assert np.isneginf(data.tag_scores()[:, 1]).all()
    assert "moods-calm" in data.warnings[0] and "never predicts" in data.warnings[0]


@pytest.mark.parametrize(
    ("name", "klass"),
    [
        ("genres-rock", "genres"),
        ("genre---punkrock", "genres"),
        ("instruments-brass-trumpet", "instruments"),
        ("instrument---piano", "instruments"),
        ("moods-calm", "moods"),
        ("mood/theme---happy", "moods"),
        ("category-genres-orchestral", "genres"),
        ("tempo", "other"),
        ("Genres-Rock", "genres"),
    ],
)
def test_class_inferred_from_prefix(name: str, klass: str) -> None:
    assert infer_class(name) == klass


def test_taxonomy_file_and_inference_mixed(tiny_folder: Path) -> None:
    (tiny_folder / "taxonomy.csv").write_text("column,class,category\ngenres-rock,genres,band\n")
    data = load_folder(tiny_folder).train
    assert data.taxonomy.category_of("genres-rock") == "band"
    assert data.taxonomy.category_of("moods-happy") == "moods"  # inferred: class as category
    assert data.tag_classes == ("genres", "genres", "instruments", "moods")


def test_taxonomy_roundtrip() -> None:
    tax = Taxonomy.infer(["genres-a", "moods-b"])
    assert Taxonomy.from_dict(tax.to_dict()) == tax
    assert tax.subset(["moods-b"]).classes == ("moods",)


def test_folder_with_test_split_and_groups(tiny_folder: Path) -> None:
    bundle = load_folder(tiny_folder)
    assert bundle.train.n_tracks == 60 and bundle.test.n_tracks == 60
    assert list(bundle.train.groups.columns) == ["album_id", "artist_id"]
    parts = SplitSpec().split(bundle)
    test = parts.test
    assert test is bundle.test


def test_folder_without_test_files_gets_grouped_holdout(tmp_path: Path) -> None:
    from tests.conftest import write_tiny_folder

    folder = write_tiny_folder(tmp_path / "d", n=90, with_test=False)
    bundle = load_folder(folder)
    assert bundle.test is None
    parts = SplitSpec(holdout=0.2, seed=1).split(bundle)
    train, test = parts.train, parts.test
    assert train.n_tracks + test.n_tracks == 90
    assert not set(train.groups["artist_id"]) & set(test.groups["artist_id"])


def test_split_is_grouped_seeded_and_coarsest(tiny_folder: Path) -> None:
    data = load_folder(tiny_folder).train
    a, b = split_dataset(data, 0.3, seed=4)
    a2, b2 = split_dataset(data, 0.3, seed=4)
    assert np.array_equal(b.ids, b2.ids)
    # the coarsest grouping (artists of 9 tracks) is used by default
    assert not set(a.groups["artist_id"]) & set(b.groups["artist_id"])
    c, d = split_dataset(data, 0.3, seed=4, group_column="album_id")
    assert not set(c.groups["album_id"]) & set(d.groups["album_id"])


def test_group_kfold_partitions_rows(tiny_folder: Path) -> None:
    data = load_folder(tiny_folder).train
    folds = group_kfold(data, 3, seed=0)
    rows = np.concatenate(folds)
    assert sorted(rows.tolist()) == list(range(data.n_tracks))
    artists = [set(data.groups["artist_id"].to_numpy()[f]) for f in folds]
    assert not artists[0] & artists[1] and not artists[1] & artists[2]
    with pytest.raises(DataError, match="cannot make 99 folds"):
        group_kfold(data, 99)


def test_train_test_column_mismatch(tiny_folder: Path) -> None:
    y = pd.read_csv(tiny_folder / "y_test.csv").drop(columns="moods-happy")
    y.to_csv(tiny_folder / "y_test.csv", index=False)
    with pytest.raises(DataError, match="missing tags: moods-happy"):
        load_folder(tiny_folder)


def test_fingerprint_changes_with_data(tiny_folder: Path) -> None:
    data = load_folder(tiny_folder).train
    other = data.subset(np.arange(data.n_tracks - 1))
    assert data.fingerprint != other.fingerprint
    assert data.fingerprint == load_folder(tiny_folder).train.fingerprint


def test_fingerprint_is_of_the_values_not_their_memory_order(tiny_folder: Path) -> None:
    import hashlib
    from dataclasses import replace

    data = load_folder(tiny_folder).train
    tall = replace(data, X=np.repeat(data.X, 3000, axis=0), Y=np.repeat(data.Y, 3000, axis=0),
                   ids=np.arange(data.n_tracks * 3000))  # more rows than one hashed block
    fortran = replace(tall, X=np.asfortranarray(tall.X), Y=np.asfortranarray(tall.Y))
    assert not fortran.X.flags.c_contiguous and fortran.X.shape[0] > 4096
    assert fortran.fingerprint == tall.fingerprint
    h = hashlib.sha256()
    h.update("\x1f".join(tall.feature_names).encode() + b"\x1e")
    h.update("\x1f".join(tall.tag_names).encode())
    for array in (tall.ids, tall.X, tall.Y):  # the digest of the whole C-order bytes, as before
        h.update(np.ascontiguousarray(array).tobytes())
    assert tall.fingerprint == h.hexdigest()[:16]


def test_test_file_without_partner_refused(tiny_folder: Path) -> None:
    (tiny_folder / "y_test.csv").unlink()
    with pytest.raises(DataError, match="x_test.csv has no partner"):
        load_folder(tiny_folder)


def test_tag_columns_are_gathered_the_same_from_any_memory_order() -> None:
    from mewo_core.data.dataset import _GATHER_ROWS, columns_or_neg_inf, row_max

    rng = np.random.default_rng(5)
    X = rng.random((2 * _GATHER_ROWS + 17, 9)).astype(np.float32)
    index = np.array([4, -1, 0, 8, 8, 2])
    expected = X[:, np.maximum(index, 0)].copy()
    expected[:, index < 0] = -np.inf
    for layout in (X, np.asfortranarray(X), np.asfortranarray(np.hstack([X, X]))[:, :9]):
        out = columns_or_neg_inf(layout, index)
        assert out.flags.c_contiguous and out.dtype == X.dtype
        np.testing.assert_array_equal(out, expected)
        rows = np.array([3, 0, _GATHER_ROWS + 5, 3])  # any rows, repeated, out of order
        np.testing.assert_array_equal(columns_or_neg_inf(layout, index, rows=rows), expected[rows])
        for cut in (index, index[:2], np.array([-1, -1])):  # a row's highest tag score
            want = columns_or_neg_inf(X, cut).max(axis=1)
            np.testing.assert_array_equal(row_max(layout, cut), want)
    X[7, 4] = np.nan  # propagated, as by max
    assert np.isnan(row_max(np.asfortranarray(X), index)[7])
