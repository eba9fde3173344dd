"""What every page of a split needs, prepared in the background: UI-free.

A :class:`Preparation` computes, in background threads (:mod:`.background`), the model's
scores on one split (the model's first scoring, seconds to minutes at a million tracks) and,
beside them, the baseline's thresholds (a fit on the train part), through the
:class:`~mewo_core.session.Session` that owns them, so the values land in its shared cache. A
page that shows no model output does not wait for it; a page that does waits with
:meth:`Preparation.wait`, reading :attr:`Preparation.progress` for its bar. The work outlives
the page run that started it: a rerun or a second browser session finds it running.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from . import background


@dataclass
class Preparation:
    """One split's preparation: where it is (``progress``), how it ended (``error``)."""

    split: str
    rows: int
    model_name: str
    done_rows: int = 0
    seconds_left: float | None = None
    stage: str = "loading"
    error: BaseException | None = None
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def progress(self) -> float:
        """The share done, 0 to 1 (the scoring is most of the work)."""
        if self.finished:
            return 1.0
        return 0.95 * self.done_rows / self.rows if self.rows else 0.0

    def tell(self, done: int, total: int, left: float) -> None:
        """The scoring's progress callback: rows done of ``total``, seconds left (the scoring
        stops here once the process exits)."""
        background.check()
        self.rows, self.done_rows, self.seconds_left = total, done, left

    def wait(self, timeout: float | None = None) -> bool:
        """Whether it has finished (waiting at most ``timeout`` seconds)."""
        return self._finished.wait(timeout)

    def run(
        self, *lanes: list[tuple[str, Callable[[], object]]],
        afterwards: Callable[[], object] | None = None,
    ) -> None:
        """Run each lane of steps (stage name, thunk) in its own daemon thread, keeping the first
        error; finished once every lane is. :attr:`stage` follows the first lane, then the
        others. ``afterwards`` runs once finished without error, in the last lane's thread: work
        a page is likely to ask for next, which nothing waits for (its error is left to the
        page that asks for the value)."""
        left, lock = [len(lanes)], threading.Lock()

        def work(index: int, steps: list[tuple[str, Callable[[], object]]]) -> None:
            _yield_to_page_runs()
            try:
                for stage, step in steps:
                    if index == 0:
                        self.stage = stage
                    step()
            except BaseException as exc:  # noqa: BLE001 - kept for the page that waits on it
                self.error = self.error or exc
            finally:
                with lock:
                    left[0] -= 1
                    if index == 0 and left[0]:
                        self.stage = lanes[-1][-1][0]  # the other lanes' work remains
                    last = not left[0]
                    if last:
                        self._finished.set()
            if last and afterwards is not None and self.error is None:
                with contextlib.suppress(Exception):
                    afterwards()

        for index, steps in enumerate(lanes):
            background.start(work, index, steps, name=f"prepare-{self.split}-{index}")


#: How much lower than the page runs the preparation's threads (and the threads they start) run.
NICENESS = 10


def _yield_to_page_runs() -> None:
    """Lower this thread's CPU priority (Linux: per thread), so that a page run of any session
    goes first on a busy server; nothing where the system does not allow it."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
