"""Periodic jobs beside the delivery loop: apps register a function and how often it runs.

The scheduler tick (jobs/scheduler.py) runs whatever is due. Each job must be safe to run on
several workers at once (claim rows by compare-and-set, as the delivery engine does), and quick:
it should only find due work and write it down, never block on a slow network for long.

A job that keeps failing (a Celery broker that is down makes every enqueue fail) is said once,
with its traceback, and once more when it works again (`Trouble`), not at every turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class Trouble:
    """A step run again and again (a periodic job, the scheduler's enqueueing) that may fail
    for a long while: the first failure is logged with its traceback, the ones after it only
    at debug level, and the first success after them says how many turns failed. Thread-safe
    enough for a counter: each step runs on one thread at a time."""

    def __init__(self, what: str, logger: logging.Logger | None = None) -> None:
        self.what = what
        self.log = logger or log
        self.failed_turns = 0

    def failed(self, exc: BaseException) -> None:
        self.failed_turns += 1
        if self.failed_turns == 1:
            self.log.error("%s failed (said once until it works again): %s", self.what, exc,
                           exc_info=exc)
        else:
            self.log.debug("%s failed again (%s turns): %s", self.what, self.failed_turns, exc)

    def worked(self) -> None:
        if self.failed_turns:
            self.log.info("%s works again, after %s failed turns", self.what,
                          self.failed_turns)
            self.failed_turns = 0


@dataclass
class Job:
    name: str
    every: float  # seconds
    fn: Callable[[], object]
    next_at: float = field(default=0.0)
    trouble: Trouble = field(init=False)

    def __post_init__(self) -> None:
        self.trouble = Trouble(f"periodic job {self.name}")


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def register(name: str, every: float, fn: Callable[[], object]) -> None:
    """Run fn about every `every` seconds in each worker (first run at the next tick)."""
    with _lock:
        _jobs[name] = Job(name, every, fn)


def run_due(now: float | None = None) -> list[str]:
    """Run the jobs whose time has come; a failing job is tried again at its next turn (and
    said once, not at every turn: `Trouble`)."""
    now = time.monotonic() if now is None else now
    with _lock:
        due = [job for job in _jobs.values() if job.next_at <= now]
        for job in due:
            job.next_at = now + job.every
    ran = []
    for job in due:
        try:
            job.fn()
        except Exception as exc:
            job.trouble.failed(exc)
        else:
            job.trouble.worked()
            ran.append(job.name)
    return ran
