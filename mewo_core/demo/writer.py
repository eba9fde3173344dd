"""Write the demo catalogue as challenge-shaped files, streamed chunk by chunk.

``x_train``, ``y_train``, ``x_test``, ``y_test`` (album-grouped split), ``groups`` (all tracks)
as CSV or Parquet, and ``taxonomy.csv``. Files are written under hidden temporary names and
renamed into place only once every file is complete: an interrupted run leaves no partial file.
"""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..data.atomic import publish
from .generator import DEFAULT_CHUNK_TRACKS, ID_COLUMN, Chunk, iter_chunks, taxonomy_frame, world

if TYPE_CHECKING:
    from .noise import LabelNoise

Format = Literal["csv", "parquet"]
FILES = ("x_train", "y_train", "x_test", "y_test", "groups")


CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=8192)
FORMAT_ROWS = 2048  # CSV rows formatted per task (formatting runs on all cores, in order)


def _csv_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=CSV_OPTIONS)
    return buf.getvalue()


class _TableSink:
    """One output file, written batch by batch (CSV: plain, unquoted; Parquet: one row group)."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: Format, pool: Executor) -> None:
        self.path = path
        self._fh = path.open("wb")
        self._pool = pool
        self._parquet = None
        if fmt == "csv":
            self._fh.write((",".join(schema.names) + "\n").encode())
        else:
            self._parquet = pq.ParquetWriter(self._fh, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._parquet is not None:
            self._parquet.write_table(table)
            return
        starts = range(0, table.num_rows, FORMAT_ROWS)
        for text in self._pool.map(_csv_bytes, (table.slice(i, FORMAT_ROWS) for i in starts)):
            self._fh.write(text)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        self._fh.close()


def _schemas() -> dict[str, pa.Schema]:
    w = world()
    ident = [pa.field(ID_COLUMN, pa.int64())]
    x = pa.schema(ident + [pa.field(c, pa.float32()) for c in w.feature_names])
    y = pa.schema(ident + [pa.field(t, pa.uint8()) for t in w.tags])
    groups = pa.schema(ident + [pa.field(g, pa.int64()) for g in ("album_id", "artist_id")])
    return {"x_train": x, "x_test": x, "y_train": y, "y_test": y, "groups": groups}


def _tables(chunk: Chunk, schemas: dict[str, pa.Schema]) -> dict[str, pa.Table]:
    """The chunk's rows of each output file."""
    out = {"groups": pa.Table.from_arrays([chunk.ids, chunk.album, chunk.artist],
                                          schema=schemas["groups"])}  # fmt: skip
    for part, rows in (("train", ~chunk.test), ("test", chunk.test)):
        ids = chunk.ids[rows]
        x, y = chunk.x[rows], chunk.y[rows]
        out[f"x_{part}"] = pa.Table.from_arrays(
            [ids, *(x[:, j] for j in range(x.shape[1]))], schema=schemas[f"x_{part}"]
        )
        out[f"y_{part}"] = pa.Table.from_arrays(
            [ids, *(y[:, j] for j in range(y.shape[1]))], schema=schemas[f"y_{part}"]
        )
    return out


def write_demo_data(
    out_dir: str | Path,
    n_tracks: int = 110_000,
    seed: int = 0,
    *,
    test_fraction: float = 0.2,
    fmt: Format = "csv",
    chunk_tracks: int = DEFAULT_CHUNK_TRACKS,
    label_noise: LabelNoise | None = None,
) -> dict[str, Path]:
    """Write the demo catalogue into ``out_dir``; the paths by name (and ``taxonomy``).

    Same arguments give the same bytes on every machine, whatever ``chunk_tracks``.
    ``label_noise``: flip labels at drawn places (:mod:`.noise`), listed in ``label_noise``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: csv or parquet")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = "csv" if fmt == "csv" else "parquet"
    final = {name: out / f"{name}.{ext}" for name in FILES}
    final["taxonomy"] = out / "taxonomy.csv"
    if label_noise is not None:
        from .noise import NOISE_FILE

        final["label_noise"] = out / NOISE_FILE
        places = []
    tmp = {name: path.with_name(f".{path.name}.{os.getpid()}.tmp") for name, path in final.items()}
    schemas = _schemas()
    try:
        with ExitStack() as stack:
            pool = stack.enter_context(ThreadPoolExecutor(os.cpu_count() or 1))
            sinks = {}
            for name in FILES:
                sinks[name] = _TableSink(tmp[name], schemas[name], fmt, pool)
                stack.callback(sinks[name].close)
            for chunk in iter_chunks(
                n_tracks, seed, test_fraction=test_fraction, chunk_tracks=chunk_tracks
            ):
                if label_noise is not None:
                    chunk, flipped = label_noise.apply(chunk, seed, tuple(world().tags))
                    places.append(flipped)
                for name, table in _tables(chunk, schemas).items():
                    sinks[name].write(table)
        taxonomy = pa.Table.from_pandas(taxonomy_frame(), preserve_index=False)
        with tmp["taxonomy"].open("wb") as fh:
            fh.write(b"column,class,category\n")
            pacsv.write_csv(
                taxonomy, fh, pacsv.WriteOptions(include_header=False, quoting_style="none")
            )
        if label_noise is not None:
            pd.concat(places, ignore_index=True).to_csv(tmp["label_noise"], index=False)
        for name, path in final.items():
            publish(tmp[name], path)
    except BaseException:
        for path in tmp.values():
            path.unlink(missing_ok=True)
        raise
    return final


def file_digests(paths: dict[str, Path]) -> dict[str, str]:
    """sha256 of each written file, by name (the pinned identity of a catalogue)."""
    return {name: hashlib.sha256(Path(p).read_bytes()).hexdigest() for name, p in paths.items()}

