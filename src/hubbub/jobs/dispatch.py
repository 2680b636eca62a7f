"""The worker's own senders: due deliveries run at once on a few threads, bounded.

The scheduler loop (jobs/worker.py) hands each due delivery here instead of to the task queue,
so the targets of one post go out side by side and nothing waits for a task runner to poll.
Bounds (settings, per worker process):

- HUBBUB_SEND_THREADS: deliveries in flight at once, in all;
- HUBBUB_SEND_PER_NETWORK: at once on one network (Mastodon, Bluesky...), so a burst does not
  hit one service with everything;
- HUBBUB_SEND_PER_ACCOUNT: at once on one connected account (1: an account's posts go out in
  the order they fell due, and its rate limit sees one caller).

A slot is reserved before the row is taken (`reserve`, then the scheduler's compare-and-set,
then `launch` or `release`), so a row is never taken that cannot start now and stays free for
another worker. For a scheduled row that compare-and-set is the engine's claim itself
(engine.claim_taken: the row is sending, leased to the job's `claimed_by`), so the sender goes
straight to the network (engine.send_claimed); other rows are only taken, and engine.process
claims or settles them. Either way one compare-and-set makes a delivery run once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    threads: int = 8
    per_network: int = 4
    per_account: int = 1

    def __post_init__(self) -> None:
        for name in ("threads", "per_network", "per_account"):
            if getattr(self, name) < 1:
                raise ValueError(f"HUBBUB_SEND_{name.upper()} must be at least 1")

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(int(settings.HUBBUB_SEND_THREADS), int(settings.HUBBUB_SEND_PER_NETWORK),
                   int(settings.HUBBUB_SEND_PER_ACCOUNT))


@dataclass(frozen=True)
class Job:
    delivery_id: int
    network: str
    account_id: int
    claimed_by: str = ""  # the lease owner when the scheduler claimed the row for its sender


class Dispatcher:
    """Runs `run(job)` on `limits.threads` threads; `on_done()` after each, so the
    scheduler looks again for what a freed slot can take."""

    def __init__(self, limits: Limits, run: Callable[[Job], object],
                 on_done: Callable[[], object] = lambda: None) -> None:
        self.limits = limits
        self._run = run
        self._on_done = on_done
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}  # reserved or running
        self._networks: Counter[str] = Counter()
        self._accounts: Counter[int] = Counter()
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self.peak = 0  # most deliveries in flight at once, for tests and benchmarks
        # Whether the scheduler's last look may have left due rows for want of a slot: a
        # finished job wakes it only then (set by the scheduler, read by on_done's owner).
        self.left_behind = True

    def start(self, name: str = "hubbub-send") -> None:
        for n in range(self.limits.threads):
            thread = threading.Thread(target=self._loop, name=f"{name}-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = None) -> None:
        """Let the running deliveries finish, then end the threads (again: wait again)."""
        if not self._stopping:
            self._stopping = True
            for _ in self._threads:
                self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)

    # --- what the scheduler asks -------------------------------------------------------------
    def room(self) -> int:
        with self._lock:
            return self.limits.threads - len(self._jobs)

    def busy(self) -> tuple[set[str], set[int]]:
        """Networks and accounts with no slot left: the scheduler does not look at their rows."""
        with self._lock:
            networks = {n for n, c in self._networks.items() if c >= self.limits.per_network}
            accounts = {a for a, c in self._accounts.items() if c >= self.limits.per_account}
        return networks, accounts

    def reserve(self, job: Job) -> bool:
        """Hold a slot for `job` if every bound allows it (and it is not already here)."""
        with self._lock:
            if (job.delivery_id in self._jobs
                    or len(self._jobs) >= self.limits.threads
                    or self._networks[job.network] >= self.limits.per_network
                    or self._accounts[job.account_id] >= self.limits.per_account):
                return False
            self._jobs[job.delivery_id] = job
            self._networks[job.network] += 1
            self._accounts[job.account_id] += 1
            self.peak = max(self.peak, len(self._jobs))
            return True

    def launch(self, job: Job) -> None:
        """Run a reserved job on the next free thread (there is one: the slot was held)."""
        self._queue.put(job)

    def release(self, job: Job) -> None:
        """Give a reserved (or finished) job's slot back."""
        with self._lock:
            if self._jobs.pop(job.delivery_id, None) is None:
                return
            self._networks[job.network] -= 1
            self._accounts[job.account_id] -= 1
            if self._networks[job.network] <= 0:
                del self._networks[job.network]
            if self._accounts[job.account_id] <= 0:
                del self._accounts[job.account_id]

    # --- the sending threads -------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                close_old_connections()
                break
            try:
                self._run(job)
            except Exception:
                # engine.process records every outcome on the row; this is a bug or a lost
                # database: the row's lease or enqueued_at brings it back later.
                log.exception("delivery %s stopped with an error", job.delivery_id)
            finally:
                keep_or_close_connections()
                self.release(job)
                self._on_done()


def keep_or_close_connections() -> None:
    """A sender (and the scheduler loop) keeps its database connection between rounds: opening
    one is part of the time to the first request. One that failed, or is past CONN_MAX_AGE on
    a server database, is closed and opened again by the next query."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        if connection.vendor == "sqlite" and not connection.errors_occurred:
            continue  # a file on this machine: nothing times it out
        connection.close_if_unusable_or_obsolete()
