"""Refilling a freed array: glibc as it is against the settings ``serve.py`` gives the server.

Usage: ``python benchmarks/bench_allocator.py [--mb 200] [--waits 0,2,10]``.

Each setting runs in a fresh process (the allocator reads ``GLIBC_TUNABLES`` at start): a
worker thread fills a new ``--mb`` MB numpy array, frees it, waits, and fills a new one again,
once per wait; the times of the refills are printed side by side with their ratio (the two
processes 10 s apart, so that both start on fresh pages). On a
virtual machine that hands freed memory back to its host, a refill after a wait runs on fresh
pages (slow); with ``serve.py``'s settings the freed block stays in the process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serve import server_env  # noqa: E402

WORKER = """
import json, sys, threading, time
import numpy as np
mb, waits = int(sys.argv[1]), [float(w) for w in sys.argv[2].split(",")]
out = []
def fill():
    t0 = time.perf_counter()
    a = np.empty(mb * 1_000_000, dtype=np.uint8)
    a.fill(1)
    return 1000 * (time.perf_counter() - t0)
def work():
    out.append(["first", fill()])
    for w in waits:
        time.sleep(w)
        out.append([f"after {w:g} s", fill()])
t = threading.Thread(target=work)
t.start()
t.join()
print(json.dumps(out))
"""


def refills(env: dict[str, str], mb: int, waits: str) -> list[tuple[str, float]]:
    done = subprocess.run([sys.executable, "-c", WORKER, str(mb), waits], env=env,
                          capture_output=True, text=True, check=True)
    return [tuple(row) for row in json.loads(done.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--waits", default="0,2,10", help="seconds before each refill")
    args = parser.parse_args()
    system = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    plain = refills(system, args.mb, args.waits)
    time.sleep(10)  # the first process's freed pages go back to the host too: both start fresh
    served = refills(server_env(system), args.mb, args.waits)
    print(f"{args.mb} MB filled in a worker thread, ms (glibc as it is | serve.py's settings)")
    for (when, a), (_, b) in zip(plain, served, strict=True):
        print(f"{when:>14}: {a:8.1f} | {b:8.1f}   ratio {a / b:6.1f}")


if __name__ == "__main__":
    main()
