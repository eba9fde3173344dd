"""Inputs and measured child runs shared by the predict benchmarks (``bench_predict.py``,
``bench_dask.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def demo_catalogue(root: Path, n: int) -> Path:
    """``root/demo-N``: ``demo-data --format parquet --tracks N`` (x_train, x_test), generated on
    first use."""
    demo = root / f"demo-{n}"
    if not (demo / "x_test.parquet").exists():
        print(f"generating {n:,} demo tracks into {demo} …", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mewo_core",
                "demo-data",
                "--out",
                str(demo),
                "--tracks",
                str(n),
                "--format",
                "parquet",
                "--force",
            ],  # fmt: skip
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
        )
    return demo


_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": p.returncode, "out": p.stdout, "err": p.stderr[-3000:], "wall": wall,
                  "maxrss_mb": u.ru_maxrss / 1024, "cpu": u.ru_utime + u.ru_stime}))
"""


def measure_child(cmd: list[str], what: str) -> tuple[dict, object]:
    """Run ``cmd`` under a fresh wrapper process (so ``getrusage(RUSAGE_CHILDREN)`` covers that
    run alone); return the wrapper's numbers (``wall``, ``maxrss_mb``, ``cpu``, ...) and the
    JSON the child printed after ``RESULT ``. Exits with ``what`` and the child's stderr when
    it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, env=env, cwd=ROOT
    )
    info = json.loads(proc.stdout)
    if info["rc"] != 0:
        raise SystemExit(f"{what} failed:\n{info['err']}")
    line = next(ln for ln in info["out"].splitlines() if ln.startswith("RESULT "))
    return info, json.loads(line[len("RESULT ") :])
