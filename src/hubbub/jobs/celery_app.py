"""The task engine on Celery (HUBBUB_TASKS_BACKEND=celery; the `celery` extra): the hub's
Django tasks (`django.tasks`) go to a broker through django-tasks-celery, and every `hubbub
worker` (and `serve`, unless --web-only) runs a Celery consumer in a thread beside its scheduler
and senders (`start_consumer`), so there is no other process to run than the broker.

What keeps the guarantees of the database queue (docs/deploy.md, "The task engine"):

- A task row was never the truth, and neither is a message: a delivery's work is claimed on
  its Delivery row by compare-and-set (engine.process), so a message handed out twice sends
  nothing twice.
- A message is acknowledged only after its task ran (`task_acks_late`), and each consumer
  thread holds one at a time (`worker_prefetch_multiplier`). A worker that dies (SIGKILL, a
  crash, the machine gone) takes its whole process with it, consumer and pool threads alike:
  nothing in it acknowledges or rejects anything, and its messages stay unacknowledged on the
  broker. RabbitMQ hands them out again as soon as the worker's connection drops; Redis after
  HUBBUB_CELERY_VISIBILITY_SECONDS (which must stay above the longest task, or a task still
  running is handed out a second time: harmless for the claim, wasted work otherwise).
  `task_reject_on_worker_lost` is not set: it acts only when Celery sees a pool's worker die
  (a prefork child process). On this thread pool it would only put back the message of a task
  that raised a BaseException, and hand it out again for ever if it always does; a delivery
  comes back through its own row anyway (its lease, then the lost-delivery resend below).
- The scheduler takes a stale delivery again after HUBBUB_REQUEUE_SECONDS without a second
  task while a task may still wait for it (`task_rows.pending_deliveries`). A broker cannot be
  asked cheaply which messages it holds: here "may still wait" is "the hub's queue is not
  empty (`waiting_messages`) and the delivery's message went out less than
  HUBBUB_CELERY_RESEND_SECONDS ago" (jobs.DeliveryMessage). Otherwise a delivery still waiting
  gets a new task (a message lost with a broker that kept nothing on disk), also while other
  work keeps the queue busy.
- A broker that is down refuses messages: the scheduler's enqueue fails alone (the rest of its
  tick runs, said once: jobs/periodic.Trouble), the deliveries stay due on their rows, and a
  task asked for after a commit (the rules' recompute) is kept and enqueued again
  (jobs/kept.py).
- No results are stored: the hub reads none (state lives on its rows).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from celery import Celery
from django.conf import settings

log = logging.getLogger(__name__)

# Modules that define the hub's tasks (@task): imported by every consumer before it takes a
# message, so each task is registered with Celery whatever the process imported so far.
TASK_MODULES = (
    "hubbub.publishing.tasks",
    "hubbub.listening.tasks",
    "hubbub.imports.tasks",
    "hubbub.people.tasks",
    "hubbub.connections.services",  # read_capabilities
)


def make_app() -> Celery:
    app = Celery("hubbub", set_as_current=False)
    app.conf.update(
        broker_url=settings.HUBBUB_CELERY_BROKER,
        broker_connection_retry_on_startup=True,
        # A consumer whose broker is down tries again for ever (every 2 s, then up to every 30 s).
        # Celery's default gives up after 100 tries (about 47 minutes), and the consumer thread
        # then ends: the worker would run on without taking a task until restarted. Sending a
        # message is not affected: a refused one fails after a few quick tries
        # (task_publish_retry_policy), for the caller to keep it (jobs/kept.py).
        broker_connection_max_retries=None,
        # Redis: a message unacknowledged that long goes back to the queue; consumers look
        # for such messages every few seconds (kombu's default is about every 100 s).
        broker_transport_options={
            "visibility_timeout": settings.HUBBUB_CELERY_VISIBILITY_SECONDS,
            "unacked_restore_interval": min(5, settings.HUBBUB_CELERY_VISIBILITY_SECONDS),
            "unacked_restore_throttle": 1},
        task_default_queue=settings.HUBBUB_CELERY_QUEUE,
        task_acks_late=True,
        # A task that raised is done: its failure is on its own row (a delivery's retry, a
        # feed's backoff); handing it out again would only repeat it.
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        # Only if someone sets a result backend: Django's get_result needs the task's name.
        result_extended=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_enable_remote_control=False,  # no pidbox queue a worker on the broker
    )
    return app


app = make_app()


def register_tasks() -> list[str]:
    """Import every module that defines tasks (django-tasks-celery registers a task with Celery
    when it is defined); the names Celery knows."""
    from importlib import import_module

    for name in TASK_MODULES:
        import_module(name)
    return sorted(name for name in app.tasks if name.startswith("hubbub."))


def waiting_messages() -> int:
    """How many messages wait in the hub's queue on the broker (not those a consumer holds)."""
    try:
        with app.connection_for_read() as conn:
            # One try: a broker that is down answers at once (kombu's own retries took 6 s,
            # at every pass of the scheduler while it lasted); a refused enqueue follows.
            conn.ensure_connection(max_retries=0)
            channel = conn.default_channel
            _, count, _ = channel.queue_declare(queue=settings.HUBBUB_CELERY_QUEUE,
                                                passive=True)
            return int(count)
    except Exception as exc:  # no such queue yet (nothing was ever sent), or no broker
        log.debug("broker queue not read: %s", exc)
        return 0


class Consumer:
    """A Celery worker (thread pool of `concurrency`) run in a thread of this process."""

    def __init__(self, worker_id: str, concurrency: int) -> None:
        register_tasks()
        self.controller: Any = app.WorkController(
            hostname=f"{worker_id}@{socket.gethostname()}", pool="threads",
            concurrency=max(1, concurrency), loglevel="WARNING", without_heartbeat=True,
            without_mingle=True, without_gossip=True, queues=[settings.HUBBUB_CELERY_QUEUE],
        )
        self.thread = threading.Thread(target=self._run, name="hubbub-celery", daemon=True)
        self._lock = threading.Lock()
        self._stopping: threading.Thread | None = None

    def _run(self) -> None:
        try:
            self.controller.start()
        except Exception:
            log.exception("the Celery consumer stopped")

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the consumer to stop (warm: the running tasks finish), waiting at most `timeout`.
        Called from a signal handler too, so the stop itself runs on a thread of its own, once:
        what has not finished when the process exits was never acknowledged, and the broker
        hands it out again."""
        with self._lock:
            if self._stopping is None:
                self._stopping = threading.Thread(target=self._stop, name="hubbub-celery-stop",
                                                  daemon=True)
                self._stopping.start()
        self._stopping.join(timeout)
        self.thread.join(max(0.0, timeout))

    def _stop(self) -> None:
        try:
            self.controller.stop(in_sighandler=False)
        except Exception:
            log.exception("stopping the Celery consumer failed")


def start_consumer(worker_id: str, concurrency: int) -> Consumer:
    consumer = Consumer(worker_id, concurrency)
    consumer.start()
    return consumer
