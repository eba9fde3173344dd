"""The session package's background threads (preparations, training jobs), ended with the process.

They are daemon threads, so that a page run never waits on them; but a daemon thread still
inside numpy, scipy or torch while the interpreter finalises can abort the process
("terminate called without an active exception"). So :func:`start` keeps every such thread,
and at exit :data:`stopping` is set (a scoring or a training stops at its next progress
report: :func:`check`) and the threads are joined, for up to :data:`EXIT_WAIT` seconds.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable

from ..errors import MewoError

#: Seconds the process waits at exit for its background threads to end.
EXIT_WAIT = 60.0

#: Set when the process exits: long work stops at its next :func:`check`.
stopping = threading.Event()

_live: set[threading.Thread] = set()
_lock = threading.Lock()


class Stopped(MewoError):
    """Raised by :func:`check` once the process is exiting."""


def check() -> None:
    """Raise :class:`Stopped` once the process is exiting (called at each progress report)."""
    if stopping.is_set():
        raise Stopped("the server is shutting down")


def start(target: Callable[..., object], *args: object, name: str) -> threading.Thread:
    """Run ``target(*args)`` in a daemon thread joined at exit."""

    def run() -> None:
        try:
            target(*args)
        finally:
            with _lock:
                _live.discard(threading.current_thread())

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _lock:
        _live.add(thread)
    thread.start()
    return thread


def running() -> list[threading.Thread]:
    """The background threads not yet ended."""
    with _lock:
        return [t for t in _live if t.is_alive()]


def join_all(timeout: float = EXIT_WAIT) -> list[str]:
    """Ask long work to stop and wait up to ``timeout`` seconds for every background thread:
    the names of those still running."""
    stopping.set()
    deadline = time.monotonic() + timeout
    for thread in running():
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in running()]


atexit.register(join_all)
