"""The single-process streaming ``predict``: read a chunk, validate it, decide it, write it.

Memory is bounded by the chunk size (about ``chunk_rows`` x (features x 12 + tags x 9) bytes at
the default model's shapes, plus pyarrow's read-ahead) and the duplicate-id registry
(:mod:`.ids`: 16 bytes per track up to 4M tracks, then spilled to temporary files), whatever
the number of rows. Decisions equal ``model.predict`` on the whole file bit for bit: chunks are
regrouped into the model's score blocks (:class:`~.chunks.BlockAligner`).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..models.base import DecisionModel
from ..models.reservoir_transformer.torch_flags import deterministic_while_running
from .chunks import BlockAligner, Chunk, Decided, decide_chunk
from .context_pass import ContextPass
from .ids import IdRegistry
from .sinks import FORMATS, open_sink
from .sources import Reader, resolve_input

DEFAULT_CHUNK_ROWS = 16_384  # the default model's score block: no regrouping copies
#: Threads deciding blocks at once (each block's computation is single-threaded as in memory).
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
#: Called after each written block with (rows written so far, the reader).
Progress = Callable[[int, Reader], None]


@dataclass(frozen=True)
class PredictSummary:
    """What a run wrote: tracks, tags, positive decisions, seconds, time per stage."""

    path: Path
    fmt: str
    tracks: int
    tags: int
    positives: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Tracks per second, end to end."""
        return self.tracks / self.seconds if self.seconds > 0 else float("inf")


def output_format(out: str | Path, fmt: str | None) -> str:
    """``fmt``, or from OUT's suffix when not given: ``.parquet`` -> parquet, else csv."""
    if fmt is None:
        return "parquet" if Path(out).suffix.lower() == ".parquet" else "csv"
    if fmt not in FORMATS:
        raise DataError(f"unknown output format {fmt!r}; known: {', '.join(FORMATS)}")
    return fmt


def predict_stream(
    model: DecisionModel,
    x: str | Path,
    out: str | Path,
    *,
    fmt: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    with_scores: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    id_memory_rows: int = 1 << 22,
    workers: int = DEFAULT_WORKERS,
    groups: str | Path | None = None,
    first_pass: Progress | None = None,
) -> PredictSummary:
    """Decide every row of ``x`` (CSV / Parquet file, folder or glob of Parquet partitions) with
    ``model`` and write them to ``out`` atomically (see :mod:`.sinks`).

    Any problem in the input (file, column and line named), a duplicate id anywhere in it, or an
    interruption leaves ``out`` as it was. An existing ``out`` is kept unless ``force``.

    Reading, validation and writing run in this thread while ``workers`` threads decide blocks
    (numpy and torch release the GIL); each block is computed exactly as in memory (the
    model's own torch thread count), so the decisions do not depend on ``workers``.
    ``stages`` holds seconds per stage; ``decide`` sums the workers' time, ``wait`` is the time
    this thread waited for them.

    A model with a group context (:mod:`mewo_core.models.context`) needs ``groups`` (a groups file:
    ``ChallengeID`` and the level's column) and reads the input twice (:mod:`.context_pass`):
    once for the groups' sums (reported to ``first_pass``), once to decide;
    ``stages["context"]`` is the first pass.
    """
    started = time.perf_counter()
    out = Path(out)
    fmt = output_format(out, fmt)
    if out.is_dir():
        raise DataError("is a folder; give a file name", file=str(out))
    if out.exists() and not force:
        raise DataError("already exists; choose another file or use --force", file=str(out))
    reader = Reader(resolve_input(x), model.feature_names_, chunk_rows)
    stages = {"read+validate": 0.0, "ids": 0.0, "decide": 0.0, "wait": 0.0, "write": 0.0}
    context = None
    if model.uses_context:
        t0 = time.perf_counter()
        context = ContextPass(model, groups)
        context.read(reader, first_pass)
        stages["context"] = time.perf_counter() - t0
    registry = IdRegistry(memory_rows=id_memory_rows)
    aligner = BlockAligner(model.score_block)
    sink = open_sink(fmt, out, model.tag_names_, with_scores)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mewo-decide")
    in_flight: deque[Future[tuple[Decided, float]]] = deque()

    def timed(block: Chunk) -> tuple[Decided, float]:
        t0 = time.perf_counter()
        if context is not None:
            block = context.blended(block)
        decided = decide_chunk(
            model, block.ids, block.X, with_scores=with_scores, blended=context is not None
        )
        return decided, time.perf_counter() - t0

    def drain(keep: int) -> None:
        while len(in_flight) > keep:
            t0 = time.perf_counter()
            decided, seconds = in_flight.popleft().result()
            t1 = time.perf_counter()
            sink.write(decided)
            stages["decide"] += seconds
            stages["wait"] += t1 - t0
            stages["write"] += time.perf_counter() - t1
            if progress is not None:
                progress(sink.rows, reader)

    def submit(blocks: list[Chunk]) -> None:
        for block in blocks:
            in_flight.append(pool.submit(timed, block))
            drain(max(1, workers))

    try:
        with deterministic_while_running():
            chunks = reader.chunks()
            while True:
                t0 = time.perf_counter()
                chunk = next(chunks, None)
                t1 = time.perf_counter()
                stages["read+validate"] += t1 - t0
                if chunk is None:
                    break
                registry.add(chunk.ids, chunk.source, chunk.first_row)
                stages["ids"] += time.perf_counter() - t1
                submit(aligner.push(chunk))
            submit(aligner.flush())
            drain(0)
        t0 = time.perf_counter()
        registry.check()
        stages["ids"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        sink.commit(force)
        stages["write"] += time.perf_counter() - t0
    except BaseException:
        for future in in_flight:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        sink.abort()
        registry.close()
        raise
    pool.shutdown(wait=True)
    return PredictSummary(
        path=out,
        fmt=fmt,
        tracks=sink.rows,
        tags=len(model.tag_names_),
        positives=sink.positives,
        seconds=time.perf_counter() - started,
        stages=stages,
    )


