"""The background side of the hub: the scheduler loop, the senders and task runners, in threads.

`hubbub serve` runs it beside the web server in one process; `hubbub worker` runs it alone
(several can run at once against PostgreSQL). Tasks (feed reads, the rules' recompute, and
deliveries with HUBBUB_SEND_IN_WORKER off) run on database task runners in threads, or, with
HUBBUB_TASKS_BACKEND=celery, on a Celery consumer in a thread (jobs/celery_app.py).

The scheduler loop does a full tick every HUBBUB_SCHEDULER_INTERVAL (sweep leases, release rate
limits, periodic jobs, start what is due) and, between ticks, only starts what is due: when
jobs/wake.py says a commit made deliveries due, when a sender frees a slot, and when the next
scheduled delivery's time comes. Due deliveries run on the dispatcher's threads
(jobs/dispatch.py), bounded per network and per account.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as DBTaskWorker
from django_tasks_db.models import DBTaskResult

from hubbub.jobs import scheduler, wake
from hubbub.jobs.dispatch import Dispatcher, Limits, keep_or_close_connections
from hubbub.publishing.leasing import new_owner_id
from hubbub.publishing.models import Delivery

log = logging.getLogger(__name__)
TASK_LOOK_SECONDS = 0.2  # how often the task runner looks for a ready task
BEAT_SECONDS = 5.0  # how often a worker says it is alive (WorkerBeat)


class HubWorker:
    def __init__(self, *, concurrency: int = 1, run_scheduler: bool = True) -> None:
        self.worker_id = new_owner_id()
        self.concurrency = concurrency
        self.run_scheduler = run_scheduler
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._task_workers: list[DBTaskWorker] = []
        self._consumer: Any = None  # the Celery consumer (HUBBUB_TASKS_BACKEND=celery)
        self._wake = wake.subscribe()
        # Set by every wake-up from a commit (never waited on): the loop reads the next
        # scheduled time again only after one, or at a full tick.
        self._changed = wake.subscribe()
        self.dispatcher: Dispatcher | None = None
        if run_scheduler and settings.HUBBUB_SEND_IN_WORKER:
            self.dispatcher = Dispatcher(Limits.from_settings(), scheduler.run_job,
                                         on_done=self._slot_freed)
        self.ticks = 0  # full ticks done (tests wait for the first)

    def _scheduler_loop(self) -> None:
        interval = float(settings.HUBBUB_SCHEDULER_INTERVAL)
        next_tick = 0.0
        next_due = 0.0  # monotonic time to look for the next scheduled delivery again
        while not self._stop.is_set():
            self._wake.clear()  # before looking: a wake-up while looking is not lost
            changed = self._changed.is_set()
            self._changed.clear()
            pause = interval
            try:
                keep_or_close_connections()  # a woken loop reads at once, on an open link
                now = time.monotonic()
                full = now >= next_tick
                if full:
                    scheduler.tick(self.dispatcher)
                    next_tick = time.monotonic() + interval
                    self.ticks += 1
                else:
                    scheduler.start_due(self.dispatcher)
                # A sender that finished only frees a slot: the next scheduled time is read
                # again after a commit that changed what is due, at a tick, and once it passed
                # (a change another process made is seen at the next tick, as before).
                if full or changed or time.monotonic() >= next_due:
                    next_due = time.monotonic() + scheduler.seconds_to_next_due(interval)
                pause = max(0.0, min(next_tick, next_due) - time.monotonic())
            except Exception:
                log.exception("scheduler tick failed; trying again")
                next_due = 0.0
            self._wake.wait(pause)
        close_old_connections()

    def _beat_loop(self) -> None:
        """Say this process is alive every BEAT_SECONDS, from a thread of its own: a tick that
        runs a long periodic job (a sweep) must not make another worker's sweep take this
        one's running tasks for a dead worker's (jobs/task_rows.py)."""
        while not self._stop.is_set():
            try:
                scheduler.beat(self.worker_id, self.started_at)
            except Exception:
                log.exception("worker beat failed; trying again")
            finally:
                # One write every 5 s: no reason to hold a PostgreSQL connection between
                # (close_old_connections keeps a healthy one for CONN_MAX_AGE, 60 s, reused).
                connections.close_all()
            self._stop.wait(BEAT_SECONDS)

    def _start_committed(self, delivery: Delivery) -> bool:
        """Offered by jobs/wake.py at the commit that made `delivery` due."""
        if self.dispatcher is None or self._stop.is_set():
            return False
        return scheduler.start_committed(self.dispatcher, delivery)

    def _slot_freed(self) -> None:
        """A sender finished: look again only if the last look left due rows behind for want
        of a slot (otherwise nothing is waiting for this one; new rows come with a wake-up)."""
        if self.dispatcher is not None and self.dispatcher.left_behind:
            self._wake.set()

    def _task_loop(self, worker: DBTaskWorker) -> None:
        """The task runner, started only when a task is ready. Its own loop looks every 0.2 s
        inside an exclusive transaction on a fresh database connection: on SQLite a write lock
        five times a second, which claims and posts then wait for, and a reconnect each time.
        Here a plain read on a kept connection looks; the runner (batch mode) runs what is
        ready and returns."""
        tasks = DBTaskResult.objects.ready().filter(backend_name="default",
                                                    queue_name__in=worker.queue_names)
        while not self._stop.is_set() and worker.running:
            try:
                if tasks.exists():
                    worker.run()
                keep_or_close_connections()
            except Exception:
                log.exception("task runner crashed; restarting it")
                close_old_connections()
                self._stop.wait(1)
                continue
            self._stop.wait(TASK_LOOK_SECONDS)
        close_old_connections()

    def start(self) -> None:
        self._spawn("beat", self._beat_loop)
        if settings.HUBBUB_TASKS_ON_CELERY:
            # Tasks come from the broker: a Celery consumer in a thread (jobs/celery_app.py);
            # no database task runner, and the task-table sweep keeps only the beats.
            from hubbub.jobs.celery_app import start_consumer

            self._consumer = start_consumer(self.worker_id, self.concurrency)
        elif settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            for n in range(self.concurrency):
                worker = DBTaskWorker(
                    queue_names=["default"], interval=TASK_LOOK_SECONDS, batch=True,
                    backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id=f"{self.worker_id}-{n}",
                    excluded_queue_names=[],
                )
                self._task_workers.append(worker)
                self._spawn(f"tasks-{n}", self._task_loop, worker)
        if self.dispatcher is not None:
            self.dispatcher.start()
            wake.start_locally(self._start_committed)
        if self.run_scheduler:
            self._spawn("scheduler", self._scheduler_loop)
            if wake.uses_postgres():
                self._spawn("wake", wake.listen_forever, self._stop)
        if self.run_scheduler and settings.HUBBUB_READ_NETWORKS:
            # The deck's reading side: polls due feeds, keeps streams open for watched ones.
            from hubbub.timeline.polling import run_poll_loop
            from hubbub.timeline.streaming import run_stream_supervisor

            self._spawn("poll", run_poll_loop, self._stop)
            self._spawn("streams", run_stream_supervisor, self._stop)

    def _spawn(self, name: str, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=f"hubbub-{name}", daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        wake.unsubscribe(self._wake)
        wake.unsubscribe(self._changed)
        wake.stop_locally(self._start_committed)
        for worker in self._task_workers:
            worker.running = False
        if self._consumer is not None:
            self._consumer.stop(timeout)
        for thread in self._threads:
            thread.join(timeout)
        if self.dispatcher is not None:
            self.dispatcher.stop(timeout)

    def wait(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(0.5)
