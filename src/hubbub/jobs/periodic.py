"""Periodic jobs beside the delivery loop: apps register a function and how often it runs.

The scheduler tick (jobs/scheduler.py) runs whatever is due. Each job must be safe to run on
several workers at once (claim rows by compare-and-set, as the delivery engine does), and quick:
it should only find due work and write it down, never block on a slow network for long.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float  # seconds
    fn: Callable[[], object]
    next_at: float = field(default=0.0)


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def register(name: str, every: float, fn: Callable[[], object]) -> None:
    """Run fn about every `every` seconds in each worker (first run at the next tick)."""
    with _lock:
        _jobs[name] = Job(name, every, fn)


def run_due(now: float | None = None) -> list[str]:
    """Run the jobs whose time has come; a failing job is logged and tried again later."""
    now = time.monotonic() if now is None else now
    with _lock:
        due = [job for job in _jobs.values() if job.next_at <= now]
        for job in due:
            job.next_at = now + job.every
    ran = []
    for job in due:
        try:
            job.fn()
            ran.append(job.name)
        except Exception:
            log.exception("periodic job %s failed; it runs again in %ss", job.name, job.every)
    return ran
