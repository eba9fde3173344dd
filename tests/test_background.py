"""Background threads end with the process (mewo_core.session.background): an exit waits for
short work, stops a scoring or a training at its next progress report, and never aborts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _exit_with(script: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``script`` (it starts background work and returns at once) in a fresh interpreter."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=None)  # fmt: skip
    return done, time.perf_counter() - began


def test_exit_waits_for_short_numpy_work(tmp_path: Path) -> None:
    out = tmp_path / "done.npy"
    done, _ = _exit_with(f"""
        import time, numpy as np
        from mewo_core.session import background
        def work():
            a = np.random.default_rng(0).random((600, 600))
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                a = np.tanh(a @ a.T / 600)
            np.save({str(out)!r}, a)
        background.start(work, name="work")
    """, tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr
    assert out.exists()  # the thread was joined before the interpreter finalised


def test_exit_stops_a_scoring_and_a_training_at_their_next_progress(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    done, seconds = _exit_with(f"""
        import time
        from mewo_core.models.base import ProgressEvent
        from mewo_core.session import jobs
        from mewo_core.session.preparation import Preparation
        def scoring():
            try:
                for i in range(10**6):
                    preparation.tell(i, 10**6, 1.0)
                    time.sleep(0.01)
            except Exception as exc:
                open({str(log)!r}, "a").write(f"scoring {{type(exc).__name__}}\\n")
                raise
        def training(progress):
            try:
                for i in range(10**6):
                    progress(ProgressEvent("epochs", i, 10**6))
                    time.sleep(0.01)
            except Exception as exc:
                open({str(log)!r}, "a").write(f"training {{type(exc).__name__}}\\n")
                raise
        preparation = Preparation("validation", 10**6, "m")
        preparation.run([("scoring", scoring)])
        jobs.registry().start("endless", training)
        time.sleep(0.3)
    """, tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr
    assert sorted(log.read_text().split("\n")[:-1]) == ["scoring Stopped",
                                                        "training JobCancelled"]  # fmt: skip
    assert seconds < 60  # stopped, not run to its end (10**6 steps of 10 ms)
