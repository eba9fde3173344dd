"""Faults: training killed mid-way, crashes while writing, two trainings racing for one name.

Existing artifacts stay byte-identical and no half-written artifact is ever visible.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mewo_core.artifacts import list_artifacts, load_model
from tests.conftest import write_tiny_folder

ROOT = Path(__file__).resolve().parents[1]


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _train_cmd(data: Path, out: Path, model: str = "robust-thresholds") -> list[str]:
    return [
        sys.executable,
        "-m",
        "mewo_core",
        "train",
        "--data",
        str(data),
        "--model",
        model,
        "--out",
        str(out),
        "--quiet",
    ]


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    data = write_tiny_folder(tmp_path / "data", n=1500)
    root = tmp_path / "artifacts"
    proc = subprocess.run(
        _train_cmd(data, root / "existing", "baseline"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return data, root


def _visible(root: Path) -> list[str]:
    return [i.name for i in list_artifacts(root)]


def _kill_on(proc: subprocess.Popen, marker: str, timeout: float = 300.0) -> str:
    """Read ``proc``'s output (stdout with stderr; tqdm's ``\\r`` updates as lines) until a
    line holds ``marker``, then SIGKILL it: the kill follows an event of the run, not a clock."""
    deadline = time.monotonic() + timeout
    buffer = b""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        lines = buffer.replace(b"\r", b"\n").decode(errors="replace").splitlines()
        hit = next((line for line in lines if marker in line), None)
        if hit is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return hit
    proc.kill()
    proc.wait()
    raise AssertionError(f"no progress line with {marker!r}; got {buffer[-500:]!r}")


@pytest.mark.slow
@pytest.mark.parametrize("marker", ["thresholds:", "3/6", "saved "])
def test_sigkill_during_training_leaves_artifacts_intact(setup, marker: str) -> None:
    """Killed at its first progress line, in the middle of threshold tuning, and right after it
    says it saved: the existing artifact is byte-identical and whatever is visible is whole."""
    data, root = setup
    before = _tree_digest(root / "existing")
    cmd = [c for c in _train_cmd(data, root / "new") if c != "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _kill_on(proc, marker)
    assert _tree_digest(root / "existing") == before
    visible = _visible(root)
    if marker == "saved ":  # "saved" is printed once the artifact is in place
        assert visible == ["existing", "new"]
    assert visible in (["existing"], ["existing", "new"])
    for name in visible:  # whatever is visible is whole
        load_model(root / name)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["rename", "savez", "manifest"])
def test_crash_while_writing_leaves_no_visible_half_model(setup, where: str) -> None:
    """The process kills itself at the worst moments of writing (with --force over `existing`)."""
    data, root = setup
    before = _tree_digest(root / "existing")
    target = {"rename": "os.rename", "savez": "np.savez", "manifest": "os.fsync"}[where]
    script = textwrap.dedent(f"""
        import os, signal, sys
        import numpy as np
        modules = {{"os": os, "np": np}}
        real = eval({target!r}, modules)
        def crash(*args, **kwargs):
            if {where!r} == "savez":
                real(*args, **kwargs)  # the weights are written, then the process dies
            os.kill(os.getpid(), signal.SIGKILL)
        module, name = {target!r}.split(".")
        setattr(modules[module], name, crash)  # the library's own calls go through these
        from mewo_core.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    cmd = [sys.executable, "-c", script, *_train_cmd(data, root / "existing")[3:], "--force"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert _visible(root) == ["existing"]
    assert _tree_digest(root / "existing") == before
    load_model(root / "existing")


@pytest.mark.slow
def test_two_trainings_racing_for_one_name(setup) -> None:
    data, root = setup
    procs = [
        subprocess.Popen(
            _train_cmd(data, root / "same"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert loser.startswith("error: ") and "Traceback" not in loser
    assert "already exists" in loser or "another process" in loser
    assert sorted(_visible(root)) == ["existing", "same"]
    load_model(root / "same")


def test_stale_temporary_folders_are_invisible(setup) -> None:
    _, root = setup
    (root / ".half.tmp-123").mkdir()
    (root / ".half.tmp-123" / "arrays.npz").write_bytes(b"partial")
    assert _visible(root) == ["existing"]
    assert os.path.isdir(root / ".half.tmp-123")
