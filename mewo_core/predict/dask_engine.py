"""``predict --engine dask``: the per-chunk decision mapped over Parquet partitions on Dask.

One task per input partition (``dask.dataframe.from_map``): the worker reads its partition in
chunks with the single-process reader (:class:`~.sources.Reader`: the loader's checks, lines
counted in that file), regroups them into the model's score blocks
(:class:`~.chunks.BlockAligner`, counted from the file's start, as the single process does),
decides them (:func:`~.chunks.decide_chunk`) and writes one output part (:mod:`.sinks`), so the
decisions are the single process's bit for bit. The task's dataframe partition is the
partition's ids (with file and row), kept on the cluster for the duplicate check across the
whole input (``value_counts`` on the cluster; only duplicated ids come back).

The artifact is loaded once per worker process (a cache keyed by the artifact's path and the
sha256 of its manifest) with :func:`mewo_core.artifacts.load_model`, which checks every weight
file's hash there; a worker that sees another manifest than the client refuses to run.

Output: the folder OUT with ``part-00000.<ext>`` ... (one per input partition, in the input's
sorted order; ``.parquet`` for ``parquet``, for ``long`` when OUT ends in ``.parquet``, else
``.csv``). Each part is written atomically (temporary name, rename) into a hidden temporary
folder beside OUT (``.<name>.<pid>.tmp``), which is renamed to OUT only when every part is
written and no id is duplicated: on any error OUT does not appear (with ``force``, an existing
OUT is only replaced then). Workers must see the artifact, the partitions and OUT's folder at
the same paths (shared storage); paths are made absolute before they are sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..artifacts import read_manifest
from ..data.atomic import publish_dir
from ..data.tables import ID_COLUMN
from ..errors import ArtifactError, DataError
from ..models.context import LEVELS, means_of_sums, sum_by_code
from .chunks import BlockAligner, Chunk, Decided, decide_chunk
from .context_pass import ContextPass, GroupTable, groups_required
from .sinks import open_sink
from .sources import InputFile, Reader, resolve_input
from .stream import DEFAULT_CHUNK_ROWS, PredictSummary, output_format

if TYPE_CHECKING:
    from distributed import Client

    from ..models.base import DecisionModel

__all__ = ["DEFAULT_WORKERS", "part_name", "predict_dask"]

DEFAULT_WORKERS = 2
STATS = "_stats"  # per-part statistics inside the temporary folder, removed before publishing
#: Called with (partitions done, partitions in all).
PartProgress = Callable[[int, int], None]

_MODELS: dict[tuple[str, str], DecisionModel] = {}
_TABLES: dict[tuple[str, str, int, int], GroupTable] = {}
_LOCK = threading.Lock()
_LOADS: list[str] = []  # artifacts loaded by this process (the tests count them)


@dataclass(frozen=True)
class PartTask:
    """Everything a worker needs to decide one partition (small: sent with the task)."""

    index: int
    file: InputFile
    model_path: str
    manifest_sha256: str
    out_dir: str
    fmt: str
    suffix: str
    chunk_rows: int
    with_scores: bool
    groups: str | None = None  # the groups file, for a model with a group context
    means: str | None = None  # the groups' means (.npy, written after the first pass)


def manifest_sha256(model_path: str | Path) -> str:
    """sha256 of the artifact's manifest (which holds every weight file's hash)."""
    path = Path(model_path) / "manifest.json"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ArtifactError(f"{model_path}: cannot read manifest.json ({exc.strerror})") from None


def worker_model(model_path: str, expected_sha256: str) -> DecisionModel:
    """The artifact, loaded (and hash-checked) once per process and then reused."""
    from ..artifacts import load_model

    key = (model_path, expected_sha256)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            seen = manifest_sha256(model_path)
            if seen != expected_sha256:
                raise ArtifactError(
                    f"{model_path}: this worker sees another manifest than the client "
                    f"(sha256 {seen[:12]}… instead of {expected_sha256[:12]}…): the workers "
                    "must read the same artifact (shared storage)"
                )
            model = load_model(model_path)
            _MODELS[key] = model
            _LOADS.append(model_path)
        return model


def worker_context(model: DecisionModel, task: PartTask) -> ContextPass:
    """The model's group context on this worker, with the groups file read once per process
    (keyed by its path, size and mtime) and, in the second pass, the groups' means."""
    column = LEVELS[model.context_.level]  # type: ignore[union-attr]
    stat = os.stat(task.groups)  # type: ignore[arg-type]
    key = (str(task.groups), column, stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        table = _TABLES.get(key)
        if table is None:
            table = _TABLES[key] = GroupTable(task.groups, column)  # type: ignore[arg-type]
    context = ContextPass(model, None, table)
    if task.means is not None:
        context.means = np.load(task.means, mmap_mode="r")
    return context


def part_sums(task: PartTask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first pass of a group-context model over one partition: (group codes present,
    their row counts, their fixed-point sums), reduced over the partition's chunks."""
    model = worker_model(task.model_path, task.manifest_sha256)
    context = worker_context(model, task)
    parts = [context.chunk_sums(c) for c in Reader([task.file], model.feature_names_,
                                                    task.chunk_rows).chunks()]
    codes = np.concatenate([p[0] for p in parts])
    present, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), weights=np.concatenate([p[1] for p in parts]))
    sums, _ = sum_by_code(np.vstack([p[2] for p in parts]), inverse.reshape(-1))
    return present, counts.astype(np.int64), sums


def part_name(index: int, suffix: str) -> str:
    """The output part of input partition ``index`` (0-based, the input's sorted order)."""
    return f"part-{index:05d}{suffix}"


def decide_part(task: PartTask) -> pd.DataFrame:
    """Decide one partition into its output part; return its ids, file index and rows."""
    started = time.perf_counter()
    model = worker_model(task.model_path, task.manifest_sha256)
    context = worker_context(model, task) if model.uses_context else None
    reader = Reader([task.file], model.feature_names_, task.chunk_rows)
    aligner = BlockAligner(model.score_block)

    def decide(block: Chunk) -> Decided:
        if context is not None:
            block = context.blended(block)
        return decide_chunk(model, block.ids, block.X, with_scores=task.with_scores,
                            blended=context is not None)

    path = Path(task.out_dir) / part_name(task.index, task.suffix)
    sink = open_sink(task.fmt, path, model.tag_names_, task.with_scores)
    ids, rows = [], []
    try:
        for chunk in reader.chunks():
            ids.append(chunk.ids)
            rows.append(chunk.first_row + np.arange(chunk.n_rows, dtype=np.int64))
            for block in aligner.push(chunk):
                sink.write(decide(block))
        for block in aligner.flush():
            sink.write(decide(block))
        sink.commit(force=True)  # a retried task replaces its own part
    except BaseException:
        sink.abort()
        raise
    stats = {"tracks": sink.rows, "positives": sink.positives}
    stats["seconds"] = time.perf_counter() - started
    stats_path = Path(task.out_dir) / STATS / f"{task.index:05d}.json"
    stats_path.write_text(json.dumps(stats))
    all_ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    return pd.DataFrame(
        {
            ID_COLUMN: all_ids.astype(np.int64),
            "part": np.full(all_ids.size, task.index, dtype=np.int32),
            "row": np.concatenate(rows) if rows else np.empty(0, dtype=np.int64),
        }
    )


def _context_means(
    client: Client, tasks: list[PartTask], table: GroupTable, n_features: int
) -> np.ndarray:
    """The first pass on the cluster: every partition's group sums, added here (integers:
    exact in any order), as the groups' means."""
    from distributed import as_completed

    sums = np.zeros((table.n_groups, n_features), dtype=np.int64)
    counts = np.zeros(table.n_groups, dtype=np.int64)
    futures = client.map(part_sums, tasks, pure=False)
    for future in as_completed(futures):
        if future.status == "error":
            error = future.exception()  # the task's error (file, column, line)
            client.cancel(futures)
            raise error
        codes, part_counts, part_sums_ = future.result()
        sums[codes] += part_sums_
        counts[codes] += part_counts
    return means_of_sums(sums, counts)


def _meta() -> pd.DataFrame:
    return pd.DataFrame(
        {
            ID_COLUMN: pd.Series(dtype="int64"),
            "part": pd.Series(dtype="int32"),
            "row": pd.Series(dtype="int64"),
        }
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None, n_workers: int) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a LocalCluster of ``n_workers``
    single-threaded worker processes (closed at the end)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise DataError(f"cannot reach the Dask scheduler {scheduler} ({exc})") from None
        with client:
            yield client
        return
    if n_workers < 1:
        raise DataError(f"--dask-workers must be at least 1 (got {n_workers})")
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never clashes with another cluster
        silence_logs=logging.CRITICAL,  # a task's error is raised here, with its message
    )
    with cluster, Client(cluster) as client:
        yield client


def _temp_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def _check_duplicates(ddf: Any, files: list[InputFile]) -> None:
    """Refuse an id seen twice anywhere in the input, like the single process does: the
    smallest one, on the line of its second occurrence, with the first one's line."""
    counts = ddf[ID_COLUMN].value_counts()
    repeated = counts[counts > 1].compute()
    if repeated.empty:
        return
    value = int(repeated.index.min())
    total = int((repeated - 1).sum())
    seen = ddf[ddf[ID_COLUMN] == value].compute().sort_values(["part", "row"])
    (fpart, frow), (spart, srow) = seen[["part", "row"]].to_numpy()[:2].tolist()
    also = f"line {frow + 2}" + (f" of {files[fpart].label}" if fpart != spart else "")
    raise DataError(
        f"duplicate id {value} (also on {also}); {total} duplicate(s) in all",
        file=files[spart].label,
        column=ID_COLUMN,
        row=srow + 2,
    )


def _publish_dir(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished folder ``tmp`` to ``out`` (an existing ``out`` only with force)."""
    try:
        publish_dir(tmp, out, force=force)
    except FileExistsError:
        raise DataError("already exists; choose another name or use --force",
                        file=str(out)) from None

def predict_dask(
    model_path: str | Path,
    x: str | Path,
    out: str | Path,
    *,
    fmt: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    with_scores: bool = False,
    force: bool = False,
    scheduler: str | None = None,
    n_workers: int = DEFAULT_WORKERS,
    progress: PartProgress | None = None,
    groups: str | Path | None = None,
) -> PredictSummary:
    """Decide every Parquet partition of ``x`` on a Dask cluster into the folder ``out``.

    ``scheduler`` is a running scheduler's address (``tcp://host:8786``); without it a
    LocalCluster of ``n_workers`` processes runs here. See the module docstring for the
    output and the guarantees. ``summary.tracks`` etc. as for the single process;
    ``summary.stages`` holds the sum of the partitions' task seconds (``tasks``).

    A model with a group context needs ``groups`` (see :mod:`.context_pass`): a first round of
    tasks returns each partition's exact group sums, the client adds them and writes the
    groups' means beside the parts (removed before publishing), and the deciding tasks blend
    with them: the single process's decisions bit for bit.
    """
    import dask.dataframe as dd
    from distributed import as_completed, futures_of

    started = time.perf_counter()
    out = Path(out).absolute()
    fmt = output_format(out, fmt)
    if out.exists() and not force:
        raise DataError("already exists; choose another name or use --force", file=str(out))
    files = resolve_input(x)
    csv = [f.label for f in files if f.kind != "parquet"]
    if csv:
        raise DataError("--engine dask reads Parquet partitions only", file=csv[0])
    files = [replace(f, path=f.path.absolute()) for f in files]
    model_dir = str(Path(model_path).absolute())
    manifest = read_manifest(model_dir)  # a clear error here rather than on every worker
    group_columns = manifest.get("columns", {}).get("group_columns") or []
    table = None
    if group_columns:
        if groups is None:
            raise groups_required(group_columns[0], file=model_dir)
        groups = str(Path(groups).absolute())
        table = GroupTable(groups, group_columns[0])  # a clear error here, not on every worker
    sha = manifest_sha256(model_dir)
    parquet_long = fmt == "long" and out.suffix.lower() == ".parquet"
    suffix = ".parquet" if fmt == "parquet" or parquet_long else ".csv"
    if not out.parent.is_dir():
        raise DataError("the output folder's parent does not exist", file=str(out.parent))
    tmp = _temp_dir(out)
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / STATS).mkdir(parents=True)
    tasks = [
        PartTask(i, f, model_dir, sha, str(tmp), fmt, suffix, chunk_rows, with_scores,
                 groups if table is not None else None)
        for i, f in enumerate(files)
    ]  # fmt: skip
    try:
        with dask_client(scheduler, n_workers) as client:
            if table is not None:
                n_features = len(manifest["columns"]["feature_names"])
                means_path = tmp / STATS / "context_means.npy"
                np.save(means_path, _context_means(client, tasks, table, n_features))
                tasks = [replace(t, means=str(means_path)) for t in tasks]
            ddf = dd.from_map(decide_part, tasks, meta=_meta(), label="mewo-predict")
            ddf = ddf.persist()
            futures = futures_of(ddf)
            for done, future in enumerate(as_completed(futures), start=1):
                if future.status == "error":
                    error = future.exception()  # the task's error (file, column, line)
                    client.cancel(futures)
                    raise error
                if progress is not None:
                    progress(done, len(futures))
            _check_duplicates(ddf, files)
        stats = [json.loads(p.read_text()) for p in sorted((tmp / STATS).glob("*.json"))]
        shutil.rmtree(tmp / STATS)
        _publish_dir(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return PredictSummary(
        path=out,
        fmt=fmt,
        tracks=sum(s["tracks"] for s in stats),
        tags=len(manifest["columns"]["tag_names"]),
        positives=sum(s["positives"] for s in stats),
        seconds=time.perf_counter() - started,
        stages={"tasks": sum(s["seconds"] for s in stats), "parts": float(len(stats))},
    )
