"""Background jobs (training) that outlive the page that started them; UI-free.

One :class:`JobRegistry` per process (a server): :func:`registry`. A job runs a function in a
daemon thread, handing it a progress callback whose :class:`~mewo_core.models.base.ProgressEvent`
s are stored (the last one per stage, in stage order), so any page run, from any browser
session, can show where the job is, its result once done, or its error. A user error
(:class:`~mewo_core.errors.MewoError`) is kept as its message; any other exception as its type and
message (never a traceback in the app).

A job belongs to the ``owner`` that started it (the app passes its browser session's id): the app
lists a user's own jobs only, while the one-training-at-a-time rule is server-wide. A running job
can be cancelled: its next progress event stops it (:class:`JobCancelled`), before anything is
saved; so does the process's exit (:mod:`.background`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import MewoError
from ..models.base import ProgressCallback, ProgressEvent
from . import background

Status = Literal["running", "done", "failed", "cancelled"]
JobFunction = Callable[[ProgressCallback], Any]


class JobCancelled(MewoError):
    """Raised inside a job's function (by its progress callback) once the job is cancelled."""


@dataclass
class Job:
    """One background job: what it does, where it is, and how it ended."""

    id: str
    label: str
    kind: str = "training"
    status: Status = "running"
    started: float = field(default_factory=time.time)
    finished: float | None = None
    stages: dict[str, ProgressEvent] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    owner: str = ""
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def elapsed(self) -> float:
        """Seconds since the start (until the end once finished)."""
        return (self.finished or time.time()) - self.started

    def events(self) -> list[ProgressEvent]:
        """The latest event of each stage, in the order the stages started."""
        return list(self.stages.values())


class JobRegistry:
    """Jobs of one process, newest last; keeps at most ``keep`` finished jobs."""

    def __init__(self, keep: int = 20, max_running: int = 1) -> None:
        self.keep = keep
        self.max_running = max_running
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(self, label: str, function: JobFunction, *, kind: str = "training",
              info: dict[str, Any] | None = None, owner: str = "") -> Job:
        """Run ``function(progress)`` in a background thread for ``owner``; refuse when
        ``max_running`` jobs of ``kind`` already run (a :class:`MewoError` naming them)."""
        with self._lock:
            busy = [j for j in self._jobs.values() if j.running and j.kind == kind]
            if len(busy) >= self.max_running:
                raise MewoError(
                    f"{kind} of {busy[0].label} is still running; start another when it has "
                    "finished"
                )
            job = Job(id=f"job-{next(self._ids)}", label=label, kind=kind, info=dict(info or {}),
                      owner=owner)
            self._jobs[job.id] = job
            self._trim()
        background.start(self._run, job, function, name=f"mewo-{job.id}")
        return job

    def _run(self, job: Job, function: JobFunction) -> None:
        def progress(event: ProgressEvent) -> None:
            if job.cancel_requested.is_set() or background.stopping.is_set():
                raise JobCancelled("cancelled")
            with self._lock:
                job.stages[event.stage] = event

        try:
            result = function(progress)
        except JobCancelled:
            self._finish(job, "cancelled", error="cancelled before it finished; nothing was saved")
        except MewoError as exc:
            self._finish(job, "failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a background thread must record every failure
            self._finish(job, "failed", error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job, "done", result=result)

    def _finish(self, job: Job, status: Status, *, result: Any = None,
                error: str | None = None) -> None:
        with self._lock:
            job.result, job.error = result, error
            job.finished = time.time()
            job.status = status

    def _trim(self) -> None:
        done = [j for j in self._jobs.values() if not j.running]
        for job in done[: max(0, len(done) - self.keep)]:
            del self._jobs[job.id]

    def cancel(self, job_id: str, owner: str = "") -> bool:
        """Ask ``owner``'s running job to stop at its next progress event; whether it was asked
        (False for another owner's job or one that already ended)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.running or job.owner != owner:
                return False
            job.cancel_requested.set()
            return True

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, kind: str | None = None, owner: str | None = None) -> list[Job]:
        """The jobs (of ``kind``, of ``owner``; None: any), oldest first."""
        with self._lock:
            return [j for j in self._jobs.values()
                    if (kind is None or j.kind == kind) and (owner is None or j.owner == owner)]

    def running(self, kind: str | None = None, owner: str | None = None) -> list[Job]:
        return [j for j in self.jobs(kind, owner) if j.running]

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (or ``timeout`` seconds passed); for scripts, tests."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if not job.running or (deadline is not None and time.monotonic() > deadline):
                return job
            time.sleep(0.05)


_REGISTRY: JobRegistry | None = None
_REGISTRY_LOCK = threading.Lock()


def registry() -> JobRegistry:
    """This process's registry (one per server, shared by every browser session)."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry()
        return _REGISTRY
