"""Streaming ``predict``: decide a whole catalogue chunk by chunk in bounded memory.

- :mod:`.chunks`: the per-chunk step (validate a pyarrow table, decide it), shared by every engine;
- :mod:`.ids`: duplicate ids across the whole input in bounded memory;
- :mod:`.sources`: chunk readers for CSV, Parquet and folders / globs of Parquet partitions;
- :mod:`.sinks`: atomic writers (``csv``, ``parquet``, ``long``);
- :mod:`.stream`: the single-process pass that ties them together;
- :mod:`.context_pass`: the first pass (exact group sums) of a model with a group context;
- :mod:`.dask_engine`: the same over Parquet partitions on a Dask cluster.
"""

from .chunks import BlockAligner, Chunk, Decided, check_columns, decide_chunk, table_chunk
from .ids import IdRegistry
from .sinks import FORMATS, open_sink
from .sources import InputFile, Reader, resolve_input
from .stream import DEFAULT_CHUNK_ROWS, PredictSummary, output_format, predict_stream

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "FORMATS",
    "BlockAligner",
    "Chunk",
    "Decided",
    "IdRegistry",
    "InputFile",
    "PredictSummary",
    "Reader",
    "check_columns",
    "decide_chunk",
    "open_sink",
    "output_format",
    "predict_stream",
    "resolve_input",
    "table_chunk",
]
