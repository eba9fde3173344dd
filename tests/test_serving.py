"""The server's launcher (``python serve.py``, what ``make run`` calls): its
allocator settings, and that with them freed memory stays in the process for the next arrays."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

import serve as serving

# a thread allocates and frees 200 MB, then reports the resident memory before and after
PROBE = """
import json, threading, numpy as np
def rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024
out = {}
def work():
    out["before"] = rss()
    a = np.ones(200_000_000, dtype=np.uint8)
    out["held"] = rss()
    del a
    out["after"] = rss()
t = threading.Thread(target=work); t.start(); t.join()
print(json.dumps(out))
"""


def test_server_env_adds_the_tunables_and_keeps_a_users_own() -> None:
    env = serving.server_env({"PATH": "/bin"})
    assert env == {"PATH": "/bin", "GLIBC_TUNABLES": serving.MALLOC_TUNABLES}
    mine = serving.server_env({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert mine["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
    args = serving.command(["--server.port", "1"])
    assert args[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert args[4].endswith("app.py") and args[-2:] == ["--server.port", "1"]


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the settings are glibc's")
def test_with_the_server_settings_freed_memory_stays_for_reuse() -> None:
    def probe(env: dict[str, str]) -> dict[str, float]:
        done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                              text=True, check=True, timeout=120)
        return json.loads(done.stdout)

    # glibc's own settings only: none from this machine's environment (MALLOC_*_ too)
    bare = {k: v for k, v in os.environ.items()
            if k != "GLIBC_TUNABLES" and not k.startswith("MALLOC_")}
    plain = probe(bare)
    served = probe(serving.server_env(bare))
    for run in (plain, served):
        assert run["held"] - run["before"] > 180  # MB: the array was resident
    assert plain["held"] - plain["after"] > 180, "without them the block goes back at once"
    assert served["held"] - served["after"] < 20, "with them the block stays in the process"
