"""Does this machine draw the reference demo catalogue? Run it on a new machine, any BLAS kernel.

Prints the machine (CPU, numpy / pyarrow versions, BLAS), then for the small reference catalogue
(:mod:`mewo_core.demo.reference`) the sha256 of the generated arrays and of the CSV files under
several OpenBLAS kernels, thread counts and chunk sizes (each in a fresh process, the variables
set only for that child), and the default catalogue's train fingerprint; each against the
reference. Exit status 1 if anything differs.

    .venv/bin/python benchmarks/check_same_bytes.py [--default] [--kernels Haswell SkylakeX]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mewo_core.demo import file_digests, generate_catalogue, write_demo_data  # noqa: E402
from mewo_core.demo import reference as ref  # noqa: E402


def _child(chunk: int) -> dict[str, str]:
    """Digests of the small reference catalogue in this process (arrays and CSV files)."""
    cat = generate_catalogue(ref.SMALL_TRACKS, ref.SMALL_SEED)
    out = {
        "arrays": hashlib.sha256(
            cat.x.to_numpy().tobytes() + cat.y.to_numpy().tobytes()
        ).hexdigest()[:16]
    }
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo_data(tmp, ref.SMALL_TRACKS, ref.SMALL_SEED, chunk_tracks=chunk)
        out.update(file_digests(paths))
    return out


def _machine() -> dict[str, str]:
    import numpy as np
    import pyarrow as pa

    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((ln.split(":", 1)[1].strip() for ln in flags.splitlines()
                  if ln.startswith("model name")), platform.processor())  # fmt: skip
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "avx512f": str(" avx512f" in flags),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--kernels", nargs="*", default=["", "Haswell", "SkylakeX", "Sandybridge"])
    p.add_argument("--default", action="store_true", help="also the default 110,000 tracks")
    args = p.parse_args()
    if args.child is not None:
        print(json.dumps(_child(args.child)))
        return 0
    print(json.dumps(_machine()))
    bad = False
    runs = [({"OPENBLAS_CORETYPE": k} if k else {}, 10_000) for k in args.kernels]
    runs += [({"OPENBLAS_NUM_THREADS": "1"}, 10_000), ({}, 1_000), ({}, 10**9)]
    reference_arrays = None
    for env, chunk in runs:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(chunk)],
            env={**os.environ, **env}, capture_output=True, text=True,
        )  # fmt: skip
        label = " ".join(f"{k}={v}" for k, v in env.items()) or "default kernel"
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            print(f"{label}, chunk {chunk}: could not run on this CPU ({why})")
            continue
        got = json.loads(done.stdout)
        reference_arrays = reference_arrays or got["arrays"]
        files = [n for n in ref.SMALL if got[n] != ref.SMALL[n]]
        same_arrays = got["arrays"] == reference_arrays
        bad |= bool(files) or not same_arrays
        print(f"{label}, chunk {chunk}: arrays {got['arrays']}"
              f"{'' if same_arrays else ' (differs from the first run)'}; files "
              f"{'all equal the reference' if not files else 'differ: ' + ', '.join(files)}")
    if args.default:
        from mewo_core.data import load_folder

        with tempfile.TemporaryDirectory() as tmp:
            write_demo_data(tmp)
            fp = load_folder(tmp).train.fingerprint
        same = fp == ref.DEFAULT_TRAIN_FINGERPRINT
        bad |= not same
        verdict = "equals" if same else "DIFFERS from"
        print(f"default catalogue train fingerprint {fp}: {verdict} the reference "
              f"{ref.DEFAULT_TRAIN_FINGERPRINT}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
