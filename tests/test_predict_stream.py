"""Streaming ``predict`` (mewo_core/predict): the same decisions as the in-memory path, bit for
bit, for every model type, chunk size and input kind; errors named by file, column and line over
the whole file; duplicate ids across chunks and files; atomic output (faults, SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mewo_core.artifacts import load_model, save_model
from mewo_core.cli import main
from mewo_core.data import load_folder, load_xy
from mewo_core.errors import DataError
from mewo_core.models import MODEL_TYPES, DecisionModel
from mewo_core.predict import IdRegistry, predict_stream
from mewo_core.predict import sinks as sinks_module
from mewo_core.predict.sinks import decisions_csv_rows
from tests.conftest import write_tiny_folder
from tests.test_model_contract import fit_fast

ROOT = Path(__file__).resolve().parents[1]
DEMO_MODEL = ROOT / "artifacts" / "demo-model"
CHUNKS = (1, 7, 1000, 10**6)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny folder: 300 train + 300 test tracks, 4 tags and a category score."""
    return write_tiny_folder(tmp_path_factory.mktemp("tiny"), n=300, seed=4)


@pytest.fixture(scope="module")
def models(tiny: Path) -> dict[str, DecisionModel]:
    """Every registered model type, fitted small; the network scores in blocks of 64 rows so
    that chunks must be regrouped to give the in-memory bits."""
    train = load_folder(tiny).train
    fitted = {t: fit_fast(t, train) for t in sorted(MODEL_TYPES)}
    fitted["reservoir-transformer"].score_block = 64  # type: ignore[misc]
    return fitted


def _inputs(folder: Path, x_csv: Path) -> dict[str, tuple[str, list[Path]]]:
    """The same rows as CSV, one Parquet file and a folder of 3 partitions (with the files
    that the in-memory reference reads one by one)."""
    frame = pd.read_csv(x_csv)
    folder.mkdir(exist_ok=True)
    one = folder / "x.parquet"
    frame.to_parquet(one, index=False)
    parts = folder / "parts"
    parts.mkdir(exist_ok=True)
    files = []
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        path = parts / f"part-{i}.parquet"
        frame.iloc[rows].to_parquet(path, index=False)
        files.append(path)
    (parts / "_SUCCESS").write_text("")  # ignored, as Spark / Dask writers leave them
    return {
        "csv": (str(x_csv), [x_csv]),
        "parquet": (str(one), [one]),
        "folder": (str(parts), files),
    }


def _reference(
    model: DecisionModel, files: list[Path]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, decisions, scores) of the in-memory path, file by file."""
    data = [load_xy(f) for f in files]
    return (
        np.concatenate([d.ids for d in data]),
        np.vstack([model.predict(d) for d in data]),
        np.vstack([model.decision_scores(d) for d in data]),
    )


@pytest.mark.parametrize("model_type", sorted(MODEL_TYPES))
def test_streamed_decisions_equal_in_memory_bit_for_bit(
    model_type: str, models, tiny: Path, tmp_path: Path
) -> None:
    model = models[model_type]
    for kind, (x, files) in _inputs(tmp_path / "in", tiny / "x_test.csv").items():
        ids, decisions, scores = _reference(model, files)
        for rows in CHUNKS:
            out = tmp_path / f"{kind}-{rows}.parquet"
            summary = predict_stream(model, x, out, chunk_rows=rows, with_scores=True)
            got = pq.read_table(out).to_pandas()
            assert summary.tracks == len(ids) and summary.positives == int(decisions.sum())
            assert np.array_equal(got["ChallengeID"].to_numpy(), ids), (kind, rows)
            tags = list(model.tag_names_)
            assert got[tags].dtypes.eq(np.uint8).all()
            assert np.array_equal(got[tags].to_numpy(), decisions), (kind, rows)
            streamed = got[[t + ":score" for t in tags]].to_numpy()
            assert np.array_equal(streamed, scores), (kind, rows)  # bit for bit, -inf included


@pytest.mark.slow
def test_demo_model_streams_the_in_memory_bits(tmp_path: Path) -> None:
    """The shipped default model on demo data, with its score blocks cut down to 100 rows so a
    small file spans several: chunks of 1, 7, 1000 and more than the file."""
    status = main(["demo-data", "--out", str(tmp_path / "demo"), "--tracks", "600"])
    assert status == 0
    x = tmp_path / "demo" / "x_train.csv"
    model = load_model(DEMO_MODEL)
    model.score_block = 100  # type: ignore[misc]
    data = load_xy(x)
    reference = model.decision_scores(data)
    for rows in CHUNKS:
        out = tmp_path / f"d{rows}.parquet"
        predict_stream(model, x, out, chunk_rows=rows, with_scores=True)
        got = pq.read_table(out).to_pandas()
        streamed = got[[t + ":score" for t in model.tag_names_]].to_numpy()
        assert np.array_equal(streamed, reference), rows
        assert np.array_equal(got[list(model.tag_names_)].to_numpy(), model.predict(data))


def test_csv_output_has_the_in_memory_bytes(models, tiny: Path, tmp_path: Path) -> None:
    model = models["baseline"]
    data = load_xy(tiny / "x_test.csv")
    frame = pd.DataFrame(model.predict(data), columns=list(model.tag_names_))
    frame.insert(0, "ChallengeID", data.ids)
    expected = frame.to_csv(index=False).encode()
    for rows in (7, 10**6):
        out = tmp_path / f"d{rows}.csv"
        predict_stream(model, tiny / "x_test.csv", out, chunk_rows=rows)
        assert out.read_bytes() == expected


def test_csv_rows_match_pandas_for_any_ids() -> None:
    rng = np.random.default_rng(0)
    ids = np.array([0, -1, 7, -(2**53) + 1, 2**53 - 1, 10, 99, 100, -100], dtype=np.int64)
    decisions = (rng.random((ids.size, 5)) < 0.5).astype(np.uint8)
    frame = pd.DataFrame(decisions)
    frame.insert(0, "id", ids)
    assert decisions_csv_rows(ids, decisions) == frame.to_csv(index=False, header=False).encode()


def test_long_format_lists_positive_decisions(models, tiny: Path, tmp_path: Path) -> None:
    model = models["reservoir-transformer"]
    data = load_xy(tiny / "x_test.csv")
    decisions, scores = model.predict(data), model.decision_scores(data)
    rows, cols = np.nonzero(decisions)
    for name in ("long.csv", "long.parquet"):
        out = tmp_path / name
        summary = predict_stream(
            model, tiny / "x_test.csv", out, fmt="long", chunk_rows=50, with_scores=True
        )
        got = pq.read_table(out).to_pandas() if name.endswith("parquet") else pd.read_csv(out)
        assert list(got.columns) == ["ChallengeID", "tag", "score"]
        assert summary.positives == len(got) == rows.size
        assert got["ChallengeID"].tolist() == data.ids[rows].tolist()
        assert got["tag"].astype(str).tolist() == [model.tag_names_[c] for c in cols]
        assert np.array_equal(got["score"].to_numpy(), scores[rows, cols])


def _write_csv_with(tiny: Path, tmp_path: Path, row: int, column: str, value: str) -> Path:
    frame = pd.read_csv(tiny / "x_test.csv").astype({column: object})
    frame.loc[row, column] = value
    path = tmp_path / "x_bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "'abc' is not a number"), ("", "empty cell"), ("nan", "NaN"), ("inf", "infinite")],
)
def test_bad_cell_in_a_later_chunk_names_file_column_line(
    models, tiny: Path, tmp_path: Path, value: str, message: str
) -> None:
    x = _write_csv_with(tiny, tmp_path, 250, "genres-punk", value)
    out = tmp_path / "d.csv"
    with pytest.raises(DataError) as err:
        predict_stream(models["baseline"], x, out, chunk_rows=64)
    assert (err.value.file, err.value.column, err.value.row) == ("x_bad.csv", "genres-punk", 252)
    assert message in str(err.value)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["x_bad.csv"]


def test_bad_value_in_a_later_parquet_partition(models, tiny: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(tiny / "x_test.csv")
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.iloc[:100].to_parquet(parts / "a.parquet", index=False)
    bad = frame.iloc[100:].reset_index(drop=True)
    bad.loc[150, "moods-happy"] = np.inf
    bad.to_parquet(parts / "b.parquet", index=False)
    with pytest.raises(DataError) as err:
        predict_stream(models["baseline"], parts, tmp_path / "d.parquet", chunk_rows=32)
    assert (err.value.file, err.value.column, err.value.row) == ("b.parquet", "moods-happy", 152)
    assert not (tmp_path / "d.parquet").exists()


def test_duplicate_id_across_chunks_and_files(models, tiny: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(tiny / "x_test.csv")
    first = int(frame.loc[10, "ChallengeID"])
    frame.loc[200, "ChallengeID"] = first
    frame.to_csv(tmp_path / "x_dup.csv", index=False)
    with pytest.raises(DataError) as err:
        predict_stream(
            models["baseline"], tmp_path / "x_dup.csv", tmp_path / "d.csv", chunk_rows=50
        )
    assert err.value.row == 202 and err.value.column == "ChallengeID"
    assert f"duplicate id {first} (also on line 12)" in str(err.value)
    assert not (tmp_path / "d.csv").exists()
    # the same id in two partitions
    parts = tmp_path / "parts"
    parts.mkdir()
    clean = pd.read_csv(tiny / "x_test.csv")
    clean.iloc[:100].to_parquet(parts / "a.parquet", index=False)
    clean.iloc[95:].to_parquet(parts / "b.parquet", index=False)
    with pytest.raises(
        DataError,
        match=r"b\.parquet.*line \d+: duplicate id \d+ \(also on line \d+ of a\.parquet\); 5 dup",
    ):
        predict_stream(models["baseline"], parts, tmp_path / "d.parquet", chunk_rows=16)


def test_id_registry_spilled_to_buckets_finds_the_same_duplicate() -> None:
    ids = np.arange(10_000, dtype=np.int64)
    ids[7_000] = 4_321
    messages = []
    for memory_rows in (10**9, 100):
        registry = IdRegistry(memory_rows=memory_rows, n_buckets=16)
        for start in range(0, ids.size, 999):
            registry.add(ids[start : start + 999], "x.csv", start)
        with pytest.raises(DataError) as err:
            registry.check()
        messages.append(str(err.value))
        assert registry._dir is None  # temporary buckets removed
    assert messages[0] == messages[1]
    assert "line 7002: duplicate id 4321 (also on line 4323)" in messages[0]


def test_missing_and_extra_columns_are_named(models, tiny: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(tiny / "x_test.csv")
    frame.drop(columns="genres-punk").assign(bogus=1.0).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError, match="missing columns: genres-punk; extra columns: bogus"):
        predict_stream(models["baseline"], tmp_path / "x.csv", tmp_path / "d.csv")
    assert not (tmp_path / "d.csv").exists()


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def artifact(models, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("art") / "thr"
    save_model(models["baseline"], path)
    return path


def test_cli_keeps_existing_out_without_force(
    artifact: Path, tiny: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "d.csv"
    out.write_text("keep me")
    args = ["predict", "--model", str(artifact), "--x", str(tiny / "x_test.csv"), "--out", str(out)]
    status, _, err = _run(capsys, *args)
    assert status == 2 and "already exists" in err and out.read_text() == "keep me"
    status, stdout, err = _run(capsys, *args, "--force", "--quiet", "--chunk-rows", "100")
    assert status == 0 and err == ""
    assert "300 tracks x 4 tags" in stdout and "tracks/s" in stdout
    assert out.read_text().startswith("ChallengeID,")
    status, _, err = _run(capsys, *args, "--force", "--engine", "dask")
    assert status == 2 and "--engine dask reads Parquet partitions only" in err


def test_cli_progress_bar_and_parquet_by_suffix(
    artifact: Path, tiny: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "d.parquet"
    args = ["predict", "--model", str(artifact), "--x", str(tiny / "x_test.csv"), "--out", str(out)]
    status, stdout, err = _run(capsys, *args, "--chunk-rows", "64")
    assert status == 0 and "(parquet)" in stdout
    assert "tracks/s" in err and "300/300" in err  # CSV total estimated from the bytes read
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 300 and meta.num_row_groups == 5  # one row group per chunk


def test_a_fault_mid_write_leaves_nothing(models, tiny: Path, tmp_path: Path, monkeypatch) -> None:
    calls = []
    original = sinks_module.ParquetSink._write

    def failing(self, decided) -> None:  # noqa: ANN001
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(self, decided)

    monkeypatch.setattr(sinks_module.ParquetSink, "_write", failing)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(DataError, match="No space left on device"):
        predict_stream(
            models["baseline"], tiny / "x_test.csv", out_dir / "d.parquet", chunk_rows=50
        )
    assert list(out_dir.iterdir()) == []  # no OUT, and the temporary file is gone too


@pytest.mark.slow
def test_sigkill_mid_run_leaves_no_visible_file(artifact: Path, tmp_path: Path) -> None:
    """A run killed outright leaves only a hidden temporary file, removed by the next run."""
    rng = np.random.default_rng(1)
    n = 20_000
    x = pd.DataFrame(rng.random((n, 5)).round(4), columns=list(load_model(artifact).feature_names_))
    x.insert(0, "ChallengeID", np.arange(n))
    x.to_csv(tmp_path / "x.csv", index=False)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "d.csv"
    cmd = [sys.executable, "-m", "mewo_core", "predict", "--model", str(artifact), "--x",
           str(tmp_path / "x.csv"), "--out", str(out), "--chunk-rows", "1", "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size > 0 for p in out_dir.iterdir()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        assert proc.poll() is None, "finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = [p.name for p in out_dir.iterdir()]
    assert not out.exists() and all(name.startswith(".") for name in left) and left
    status = main(["predict", "--model", str(artifact), "--x", str(tmp_path / "x.csv"),
                   "--out", str(out), "--quiet"])  # fmt: skip
    assert status == 0 and [p.name for p in out_dir.iterdir()] == ["d.csv"]
    assert len(pd.read_csv(out)) == n


def test_header_only_and_unreadable_inputs(models, tmp_path: Path) -> None:
    names = ["ChallengeID", *models["baseline"].feature_names_]
    (tmp_path / "h.csv").write_text(",".join(names) + "\n")
    with pytest.raises(DataError, match="no data rows"):
        predict_stream(models["baseline"], tmp_path / "h.csv", tmp_path / "d.csv")
    pq.write_table(pa.table({n: pa.array([], pa.float64()) for n in names}), tmp_path / "e.parquet")
    with pytest.raises(DataError, match="no data rows"):
        predict_stream(models["baseline"], tmp_path / "e.parquet", tmp_path / "d.csv")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        predict_stream(models["baseline"], tmp_path / "junk.parquet", tmp_path / "d.csv")
    with pytest.raises(DataError, match="no file matches"):
        predict_stream(models["baseline"], str(tmp_path / "nothing-*.parquet"), tmp_path / "d.csv")
    assert not (tmp_path / "d.csv").exists()


def test_faster_inference_path_keeps_the_previous_bits(tmp_path: Path) -> None:
    """The default model's scores equal the formulas the in-memory path used before the
    streaming work (per-token gathers into a preallocated input, sigmoid and raw scores over
    all tags, then a select), bit for bit."""
    from mewo_core.data import columns_or_neg_inf
    from mewo_core.scoring.space import sigmoid

    assert main(["demo-data", "--out", str(tmp_path / "demo"), "--tracks", "400"]) == 0
    model = load_model(DEMO_MODEL)
    data = load_xy(tmp_path / "demo" / "x_train.csv")
    Z = model.transform_.transform(data.X)
    sizes = [tok.refs.size for tok in model.tokens_]
    u = np.empty((Z.shape[0], sum(sizes)), dtype=np.float32)
    start = 0
    for tok, size in zip(model.tokens_, sizes, strict=True):
        u[:, start : start + size] = Z[:, tok.refs]
        start += size
    assert np.array_equal(model._inputs(Z), u)
    own, corr = model._parts(u, model._own(Z))
    raw = data.X[:, np.maximum(model.tag_score_index_, 0)].astype(np.float64)
    raw[:, model.tag_score_index_ < 0] = -np.inf
    assert np.array_equal(columns_or_neg_inf(data.X, model.tag_score_index_), raw)
    kept = model.blend_weights_ > 0
    before = np.where(kept, sigmoid(own + model.blend_weights_ * corr), raw)
    assert kept.any() and (~kept).any()
    assert np.array_equal(model.decision_scores(data), before)
