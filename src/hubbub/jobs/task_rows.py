"""The task table (django_tasks_db's DBTaskResult) kept bounded, whatever kills the workers.

A task row is a wake-up, never the truth: a delivery's state lives on its Delivery row (whose
lease and enqueued_at bring its work back after a crash, and whose claim by compare-and-set
makes it run once), a feed's read on its subscription (claimed by moving next_poll_at by a
lease). What grew without bound before (issue 13), and what `sweep` (a periodic job, every
HUBBUB_TASK_SWEEP_SECONDS on each worker) does about it:

- Finished rows (successful or failed) were deleted a day after, once an hour, by each worker:
  now after HUBBUB_TASK_RETENTION_SECONDS.
- A runner killed while it ran a task leaves the row RUNNING for ever (the library has no
  lease). A row is its runner's if the runner's id (``<worker id>-<n>``) names a worker whose
  beat (WorkerBeat, written every few seconds by its scheduler loop, on whatever machine)
  is older than HUBBUB_WORKER_DEAD_SECONDS, or names no beat at all and the task started that
  long ago: the process id alone says nothing on another machine. The beats are written and
  compared on the database's clock (core/dbclock.py), so a worker whose clock is minutes off
  neither takes a live worker's tasks for a dead one's nor keeps a dead one's alive; a row's
  started_at is the task library's, on its runner's clock: a runner ahead by X has its rows
  looked at X later (never sooner). Such a row is failed (a
  delivery's or a feed's work comes back through its own row) or, for a task nothing else
  brings back and that is safe to run twice, made READY again (REQUEUED_ON_DEATH).
- READY rows whose run_after is 9999-01-01 are not rows "never to run": that date is the
  library's mark for "no run_after", i.e. at once. They piled up because the scheduler, with
  HUBBUB_SEND_IN_WORKER off, enqueued a delivery again every HUBBUB_REQUEUE_SECONDS while its
  earlier task still waited (a killed worker's rows wait until another runner reaches them).
  The scheduler now enqueues again only when no task for that delivery is waiting or running
  (`pending_deliveries`), and the sweep removes the wake-ups that cannot wake anything: a
  second waiting task for one delivery, a task for a delivery no longer waiting, and rows
  for a backend or queue no worker here runs.
- Each worker start wrote a WorkerBeat row of its own: beats older than the retention go too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django_tasks_db.models import DBTaskResult

from hubbub.core.dbclock import ago, db_now
from hubbub.jobs.models import DeliveryMessage, WorkerBeat

log = logging.getLogger(__name__)

QUEUES = ("default",)  # the only queue HubWorker's runners serve
DELIVER = "hubbub.publishing.tasks.deliver"
# Tasks whose runner died are run again only if nothing else brings their work back and a
# second run does no harm (recompute is idempotent); a delivery comes back through its row's
# lease and enqueued_at, a feed's read through its subscription's claim.
REQUEUED_ON_DEATH = frozenset({"hubbub.listening.tasks.recompute_rules"})
DIED = "hubbub.jobs.task_rows.WorkerDied"
CHUNK = 500


class WorkerDied(Exception):
    """Recorded as the failure of a task whose runner stopped beating."""


def retention() -> timedelta:
    return timedelta(seconds=settings.HUBBUB_TASK_RETENTION_SECONDS)


def dead_after() -> timedelta:
    return timedelta(seconds=settings.HUBBUB_WORKER_DEAD_SECONDS)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass over the task table; what it did, by kind. Safe on several workers at once:
    every change is a compare-and-set on the row's status (and start). `now` is the
    database's clock (core/dbclock.py), which the beats and the message notes are written
    with, whichever machine wrote them."""
    now = now or db_now()
    if settings.HUBBUB_TASKS_ON_CELERY:  # no task rows: tasks wait on the broker
        beats = WorkerBeat.objects.filter(beat_at__lt=now - max(retention(), dead_after()))
        sent = DeliveryMessage.objects.filter(sent_at__lt=now - resend_after())
        return {"beats": beats.delete()[0], "messages": sent.delete()[0]}
    done = {
        "deleted": delete_finished(now),
        **settle_dead_runners(now),
        "removed": remove_idle_wakeups(),
        "beats": WorkerBeat.objects.filter(beat_at__lt=now - max(retention(), dead_after()))
        .delete()[0],
    }
    if any(done.values()):
        log.info("task rows: %s", done)
    return done


def delete_finished(now: datetime) -> int:
    return DBTaskResult.objects.finished().filter(finished_at__lt=now - retention()).delete()[0]


def _beat_owner(runner_ids: object) -> str | None:
    """The worker id behind a row's last runner id (HubWorker names its runners '<id>-<n>')."""
    if not isinstance(runner_ids, list) or not runner_ids or not isinstance(runner_ids[-1], str):
        return None
    return runner_ids[-1].rsplit("-", 1)[0]


def settle_dead_runners(now: datetime) -> dict[str, int]:
    """Fail, or make ready again, the RUNNING rows of runners that stopped beating."""
    stale = now - dead_after()
    rows = list(DBTaskResult.objects.running().filter(started_at__lt=stale)
                .values_list("id", "worker_ids", "task_path", "started_at"))
    if not rows:
        return {"failed": 0, "requeued": 0}
    owners = {_beat_owner(ids) for _, ids, _, _ in rows} - {None}
    alive = set(WorkerBeat.objects.filter(worker_id__in=owners, beat_at__gte=stale)
                .values_list("worker_id", flat=True))
    failed = requeued = 0
    for pk, ids, path, started_at in rows:
        if _beat_owner(ids) in alive:
            continue  # a long task on a live worker
        same = DBTaskResult.objects.running().filter(pk=pk, started_at=started_at)
        if path in REQUEUED_ON_DEATH:
            requeued += same.update(status="READY", started_at=None)
        else:
            failed += same.update(
                status="FAILED", finished_at=now, return_value=None,
                exception_class_path=DIED,
                traceback=f"{DIED}: its runner {ids[-1] if ids else '?'} stopped beating "
                          f"(no sign of life since {stale.isoformat()}); the work comes back "
                          "through its own row\n")
    return {"failed": failed, "requeued": requeued}


def _delivery_id(args_kwargs: object) -> int | None:
    args = args_kwargs.get("args") if isinstance(args_kwargs, dict) else None
    if isinstance(args, list) and len(args) == 1 and isinstance(args[0], int):
        return args[0]
    return None


def resend_after() -> timedelta:
    return timedelta(seconds=settings.HUBBUB_CELERY_RESEND_SECONDS)


def pending_deliveries(ids: Iterable[int] | None = None) -> set[int]:
    """Deliveries that a waiting or running task will wake already. On Celery the broker's
    messages cannot be read cheaply: none once the hub's queue is empty (jobs/celery_app.py);
    while it holds messages, those whose message went out less than
    HUBBUB_CELERY_RESEND_SECONDS ago (DeliveryMessage). Before, every one asked for while the
    queue was busy, so a message the broker lost was never sent again while other work (feed
    reads, recomputes) kept the queue busy."""
    if settings.HUBBUB_TASKS_ON_CELERY:
        from hubbub.jobs.celery_app import waiting_messages

        asked = set(ids) if ids is not None else set()
        if not asked or waiting_messages() == 0:
            return set()
        since = ago(resend_after())  # the database's clock, as note_sent writes it
        return set(DeliveryMessage.objects.filter(delivery_id__in=asked, sent_at__gte=since)
                   .values_list("delivery_id", flat=True))
    rows = DBTaskResult.objects.filter(task_path=DELIVER, status__in=("READY", "RUNNING"))
    found = {_delivery_id(value) for value in rows.values_list("args_kwargs", flat=True)}
    found.discard(None)
    wanted = set(ids) if ids is not None else None
    return {pk for pk in found if pk is not None and (wanted is None or pk in wanted)}


def note_sent(delivery_id: int) -> None:
    """On Celery: the scheduler sends `delivery_id` a message now (in its take's transaction,
    before the message goes: a refused message leaves no note). sent_at is the database's
    clock: the scheduler of another worker, whose clock may be off, ages it."""
    if settings.HUBBUB_TASKS_ON_CELERY:
        DeliveryMessage.objects.update_or_create(delivery_id=delivery_id,
                                                 defaults={"sent_at": db_now()})


def remove_idle_wakeups() -> int:
    """Delete the READY rows no runner here takes, a second waiting task for one delivery, and
    tasks for deliveries no longer waiting (the delivery's own row says what is left)."""
    from hubbub.publishing.models import WAITING_STATES as WAITING
    from hubbub.publishing.models import Delivery

    ready = DBTaskResult.objects.filter(status="READY")
    removed = ready.filter(~Q(backend_name="default") | ~Q(queue_name__in=QUEUES)).delete()[0]
    rows = list(ready.filter(task_path=DELIVER).order_by("enqueued_at")
                .values_list("id", "args_kwargs"))
    if not rows:
        return removed
    wanted = {pk for _, args in rows if (pk := _delivery_id(args)) is not None}
    waiting = set(Delivery.objects.filter(pk__in=wanted, state__in=WAITING)
                  .values_list("pk", flat=True)) if len(wanted) < 10_000 else set(
        Delivery.objects.filter(state__in=WAITING).values_list("pk", flat=True))
    seen: set[int] = set()
    idle = []
    for task_id, args in rows:
        pk = _delivery_id(args)
        if pk is None or pk in seen or pk not in waiting:
            idle.append(task_id)
        else:
            seen.add(pk)
    for start in range(0, len(idle), CHUNK):
        removed += ready.filter(pk__in=idle[start : start + CHUNK]).delete()[0]
    return removed


__all__ = ["DIED", "REQUEUED_ON_DEATH", "WorkerDied", "note_sent", "pending_deliveries", "sweep"]
