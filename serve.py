"""How the dashboard's server is started: ``python serve.py [streamlit options]`` is ``streamlit
run app.py`` (what ``make run`` calls), with glibc's allocator told to keep the memory it frees
for the next arrays instead of handing it back to the system.

Why: at a million tracks a page builds and drops arrays of hundreds of MB. glibc returns any
block over 32 MB to the system on free (and, with one arena per thread, never shares a freed block
across threads), so the next array of that size starts on fresh pages. On a virtual machine that
hands freed memory back to its host (here within about 2 s) that is slow: refilling a freed
200 MB array 2 or 10 s later took 116 / 586 ms against 6 ms kept
(``benchmarks/bench_allocator.py``, ``docs/scale.md``). With one arena, no mmap and no
trimming, freed memory stays in the process and is reused; the cost is that the server's
resident memory stays at its peak (which is what the memory target bounds). The setting is
glibc's (``GLIBC_TUNABLES``): other C libraries ignore it, and a value already in the
environment is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: glibc malloc: one arena for every thread, no mmap'd blocks, no trimming of the heap's top.
MALLOC_TUNABLES = ("glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:"
                   "glibc.malloc.trim_threshold=68719476736")
APP = Path(__file__).resolve().parent / "app.py"


def server_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`MALLOC_TUNABLES`, unless it
    already sets ``GLIBC_TUNABLES``."""
    env = dict(os.environ if base is None else base)
    env.setdefault("GLIBC_TUNABLES", MALLOC_TUNABLES)
    return env


def command(options: Sequence[str] = (), app: Path = APP) -> list[str]:
    """The server's command line: ``streamlit run app.py`` with ``options``."""
    return [sys.executable, "-m", "streamlit", "run", str(app), *options]


def main(argv: Sequence[str] | None = None) -> None:
    """Replace this process by the server (the allocator reads its settings at start)."""
    args = command(sys.argv[1:] if argv is None else argv)
    os.execve(args[0], args, server_env())


if __name__ == "__main__":
    main()
