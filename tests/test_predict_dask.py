"""``predict --engine dask`` (mewo_core/predict/dask_engine.py) on a LocalCluster of two worker
processes: the single process's decisions bit for bit, one part per partition, the artifact
loaded once per worker, errors naming the partition, and nothing at OUT after an error."""

from __future__ import annotations

import collections
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mewo_core.artifacts import save_model
from mewo_core.cli import main
from mewo_core.data import load_folder
from mewo_core.errors import ArtifactError, DataError
from mewo_core.predict import dask_engine, predict_stream
from mewo_core.predict.dask_engine import part_name, predict_dask
from tests.conftest import write_tiny_folder
from tests.test_model_contract import fit_fast

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # a local Dask cluster per module


MODELS = ("baseline", "reservoir-transformer")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Saved artifacts and 4 uneven Parquet partitions of 600 tracks."""
    root = tmp_path_factory.mktemp("dask")
    data = write_tiny_folder(root / "data", n=300, seed=4)
    train = load_folder(data).train
    paths = {}
    for model_type in MODELS:
        paths[model_type] = save_model(fit_fast(model_type, train), root / model_type)
    frame = pd.concat([pd.read_csv(data / "x_train.csv"), pd.read_csv(data / "x_test.csv")])
    parts = root / "parts"
    parts.mkdir()
    for i, rows in enumerate(np.split(np.arange(len(frame)), [50, 260, 270])):
        frame.iloc[rows].to_parquet(parts / f"part-{i}.parquet", index=False)
    paths["parts"] = parts
    paths["root"] = root
    return paths


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as local:
        yield local


def _parts(folder: Path, n: int, suffix: str) -> list[Path]:
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [part_name(i, suffix) for i in range(n)]
    return files


@pytest.mark.parametrize("model_type", MODELS)
def test_same_decisions_as_the_single_process(setup, cluster, model_type, tmp_path):
    model_path, parts = setup[model_type], setup["parts"]
    from mewo_core.artifacts import load_model

    single = tmp_path / "single.parquet"
    predict_stream(load_model(model_path), parts, single, with_scores=True)
    out = tmp_path / "decided"
    summary = predict_dask(
        model_path, parts, out, fmt="parquet", with_scores=True, chunk_rows=37,
        scheduler=cluster.scheduler_address,
    )  # fmt: skip
    files = _parts(out, 4, ".parquet")
    got = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    want = pd.read_parquet(single)
    pd.testing.assert_frame_equal(got, want)  # decisions and float64 scores, bit for bit
    assert summary.tracks == 600 and summary.positives == int(want.iloc[:, 1:5].sum().sum())
    assert [len(pd.read_parquet(f)) for f in files] == [50, 210, 10, 330]
    if model_type != "baseline":
        return

    csv_single = tmp_path / "single.csv"
    predict_stream(load_model(model_path), parts, csv_single)
    csv_out = tmp_path / "decided-csv"
    predict_dask(model_path, parts, csv_out, fmt="csv", scheduler=cluster.scheduler_address)
    texts = [f.read_bytes() for f in _parts(csv_out, 4, ".csv")]
    header = texts[0].split(b"\n", 1)[0] + b"\n"
    assert all(t.startswith(header) for t in texts)
    assert header + b"".join(t[len(header) :] for t in texts) == csv_single.read_bytes()

    loads = cluster_loads(cluster)
    assert loads and all(n == 1 for n in loads.values()), loads  # once per worker and artifact


def cluster_loads(cluster) -> collections.Counter:  # noqa: ANN001
    with distributed.Client(cluster) as client:
        per_worker = client.run(lambda: list(dask_engine._LOADS))
    return collections.Counter((w, p) for w, paths in per_worker.items() for p in paths)


def _parts_with(
    setup: dict[str, Path], folder: Path, name: str, row: int, column: int, value: object
) -> Path:
    """A copy of the partitions in ``folder``, partition ``name`` with one cell changed."""
    folder.mkdir()
    for f in setup["parts"].iterdir():
        frame = pd.read_parquet(f)
        if f.name == name:
            frame.iloc[row, column] = value
        frame.to_parquet(folder / f.name, index=False)
    return folder


def test_bad_partition_is_named_and_nothing_is_written(setup, cluster, tmp_path):
    parts = _parts_with(setup, tmp_path / "parts", "part-1.parquet", 7, 3, np.nan)
    out = tmp_path / "out"
    with pytest.raises(DataError) as err:
        predict_dask(setup["baseline"], parts, out, scheduler=cluster.scheduler_address)
    message = str(err.value)
    assert message.startswith("part-1.parquet, column ") and "line 9" in message, message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]  # no OUT, no temp folder


def test_duplicate_ids_across_partitions(setup, cluster, tmp_path):
    taken = pd.read_parquet(setup["parts"] / "part-0.parquet").iloc[2, 0]
    parts = _parts_with(setup, tmp_path / "parts", "part-3.parquet", 4, 0, taken)
    out = tmp_path / "out"
    want = r"part-3\.parquet, column 'ChallengeID', line 6: duplicate id \d+ \(also on line 4 "
    with pytest.raises(DataError, match=want + r"of part-0\.parquet\); 1 duplicate\(s\) in all"):
        predict_dask(setup["baseline"], parts, out, scheduler=cluster.scheduler_address)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]


def test_cli_local_cluster_long_format_and_force(setup, cluster, tmp_path, capsys):
    out = tmp_path / "long.parquet"
    argv = ["predict", "--model", str(setup["baseline"]), "--x", str(setup["parts"]),
            "--out", str(out), "--engine", "dask", "--format", "long", "--quiet"]  # fmt: skip
    assert main([*argv, "--dask-workers", "1"]) == 0  # its own LocalCluster (one process: quick)
    assert "600 tracks x 4 tags" in capsys.readouterr().out
    files = _parts(out, 4, ".parquet")
    assert list(pd.read_parquet(files[0]).columns) == ["ChallengeID", "tag"]
    assert main(argv) == 2  # OUT exists: kept without --force
    assert "already exists" in capsys.readouterr().err
    (out / "stale.txt").write_text("old")
    assert main([*argv, "--force", "--scheduler", cluster.scheduler_address]) == 0
    assert sorted(p.name for p in out.iterdir()) == [part_name(i, ".parquet") for i in range(4)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.parquet"]


def test_csv_input_and_other_manifest_are_refused(setup, tmp_path):
    with pytest.raises(DataError, match="Parquet partitions only"):
        predict_dask(setup["baseline"], setup["root"] / "data" / "x_test.csv", tmp_path / "o")
    with pytest.raises(ArtifactError, match="another manifest than the client"):
        dask_engine.worker_model(str(setup["baseline"]), "0" * 64)
    assert not (tmp_path / "o").exists()


def test_group_context_model_on_the_cluster_gives_the_single_process_bits(cluster, tmp_path):
    """A model with an album context: the cluster's two rounds (group sums, then decide) equal
    the single process's decisions and scores, and without --groups it says what is missing."""
    from mewo_core.artifacts import load_model
    from mewo_core.models import create_model
    from tests.test_context import _albums

    data = _albums(240, 6, 8, effect=1.0, seed=5)
    test = data.groups["artist_id"].to_numpy() % 3 == 0
    train, decided = data.subset(np.flatnonzero(~test)), data.subset(np.flatnonzero(test))
    model = create_model("robust-thresholds", context="album").fit(train)
    assert model.uses_context
    model_path = save_model(model, tmp_path / "ctx")
    frame = pd.DataFrame(decided.X, columns=list(decided.feature_names))
    frame.insert(0, "ChallengeID", decided.ids)
    parts = tmp_path / "parts"
    parts.mkdir()
    album = decided.groups["album_id"].to_numpy()
    assert album[100] == album[101] and album[250] == album[251]  # albums span the parts
    for i, rows in enumerate(np.split(np.arange(len(frame)), [101, 251])):
        frame.iloc[rows].to_parquet(parts / f"part-{i}.parquet", index=False)
    groups = tmp_path / "groups.csv"
    decided.groups.assign(ChallengeID=decided.ids)[["ChallengeID", "album_id"]].to_csv(
        groups, index=False)
    single = tmp_path / "single.parquet"
    predict_stream(load_model(model_path), parts, single, with_scores=True, groups=groups)
    out = tmp_path / "decided"
    predict_dask(model_path, parts, out, fmt="parquet", with_scores=True, chunk_rows=29,
                 scheduler=cluster.scheduler_address, groups=groups)
    got = pd.concat([pd.read_parquet(f) for f in _parts(out, 3, ".parquet")], ignore_index=True)
    pd.testing.assert_frame_equal(got, pd.read_parquet(single))
    with pytest.raises(DataError, match="give --groups FILE"):
        predict_dask(model_path, parts, tmp_path / "none", scheduler=cluster.scheduler_address)
    assert not (tmp_path / "none").exists()
