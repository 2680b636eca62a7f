"""The reconciliation loop: every tick, settle what vanished and start what is due.

Due deliveries are started on the worker's own bounded threads (`dispatch_due`, jobs/dispatch.py)
or, with HUBBUB_SEND_IN_WORKER off, enqueued as tasks for the task engine (`enqueue_due`). The
worker runs the dispatch between ticks too, whenever jobs/wake.py says rows became due; a
delivery made due in this process is usually started before that, by the committing thread
itself (`start_committed`).

Safe to run on several machines at once: taking a row is a compare-and-set on enqueued_at, and a
duplicate run is harmless because engine.process claims the row by compare-and-set.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.core.dbclock import Now, ago, db_now
from hubbub.jobs import periodic, task_rows
from hubbub.jobs.dispatch import Dispatcher, Job
from hubbub.jobs.models import WorkerBeat
from hubbub.publishing import engine
from hubbub.publishing.leasing import new_owner_id
from hubbub.publishing.models import WAITING_STATES, Delivery, DeliveryState
from hubbub.publishing.tasks import deliver

log = logging.getLogger(__name__)
BATCH = 200


def requeue_after() -> timedelta:
    # A task enqueued but never run (its worker died holding it) is enqueued again after this.
    return timedelta(seconds=settings.HUBBUB_REQUEUE_SECONDS)


def release_rate_limits() -> int:
    return Connection.objects.filter(
        health=Health.RATE_LIMITED, rate_limited_until__lte=Now()
    ).update(health=Health.OK, rate_limited_until=None, health_detail="")


WAITING = list(WAITING_STATES)


def _due() -> QuerySet[Delivery]:
    """Waiting rows due by the database's clock and not taken lately. Both go by the
    database's clock (core/dbclock.py, compared in the query itself), never the worker's: a
    worker whose clock runs ahead must not send a post before its time nor take another's row
    again while its task is young, and one behind must not send late nor leave a dead
    worker's take for longer."""
    stale = ago(requeue_after())
    return (
        Delivery.objects.filter(
            state__in=WAITING, due_at__lte=Now(), connection__disconnected_at__isnull=True,
        )
        .exclude(connection__health=Health.NEEDS_RECONNECT)
        .exclude(connection__health=Health.RATE_LIMITED,
                 connection__rate_limited_until__gt=Now())
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("due_at")
    )


def due_deliveries() -> list[tuple[int, datetime | None]]:
    return list(_due().values_list("pk", "enqueued_at")[:BATCH])


def _take(pk: int, previous: datetime | None, db_time: datetime) -> bool:
    """Compare-and-set: this worker takes the row unless another took it since it was read.
    `db_time` is the database's clock (db_now), a Python value so that the next take's
    equality matches what is stored (SQLite keeps times as text, and Now() writes another
    text for the same time)."""
    return bool(Delivery.objects.filter(pk=pk, enqueued_at=previous)
                .update(enqueued_at=db_time))


def _claim(pk: int, previous: datetime | None, attempts: int, owner: str,
           now: datetime) -> bool:
    """Take a scheduled row and claim it for a sender in one compare-and-set (engine).
    `now` is the database's clock (db_now)."""
    return engine.claim_taken(pk, enqueued_at=previous, attempts=attempts, owner=owner, now=now)


def start_committed(dispatcher: Dispatcher, delivery: Delivery) -> bool:
    """A delivery just committed as scheduled (jobs/wake.py, in the committing thread): claim
    it and start its sender now, if a slot is free and the row is due and as this process
    saved it (the claim's compare-and-set checks that on the row itself: state, due time,
    take, attempt, lateness). The loop would find it later and do the same on another thread.
    False: not started, and the caller wakes the loop."""
    if not Delivery.connection.is_cached(delivery):
        return False
    owner = new_owner_id()
    job = Job(delivery.pk, delivery.connection.network, delivery.connection_id, claimed_by=owner)
    if not dispatcher.reserve(job):
        return False
    try:
        won = _claim(delivery.pk, delivery.enqueued_at, delivery.attempts, owner, db_now())
    except BaseException:
        dispatcher.release(job)
        raise
    if not won:
        dispatcher.release(job)
        return False
    dispatcher.launch(job)
    return True


def run_job(job: Job) -> None:
    """What a sender runs: a row claimed here is published at once; any other (a first
    attempt far past its time, a check, a delete) goes through engine.process."""
    if job.claimed_by:
        engine.send_claimed(job.delivery_id, job.claimed_by)
    else:
        engine.process(job.delivery_id)


def dispatch_due(dispatcher: Dispatcher) -> int:
    """Start what is due on the dispatcher's threads, as far as its bounds allow. Rows it has no
    slot for stay untaken (another worker may take them); a freed slot wakes the loop again.

    A scheduled row is claimed here (state sending, leased to its sender), in the same
    compare-and-set that takes it, so its sender goes straight to the network; other rows are
    only taken, and engine.process decides what they need."""
    if dispatcher.room() <= 0:
        dispatcher.left_behind = True
        return 0
    networks, accounts = dispatcher.busy()
    # Set before looking: a slot freed while this look runs wakes the loop for another.
    dispatcher.left_behind = True
    rows = list(_due().exclude(connection__network__in=networks)
                .exclude(connection_id__in=accounts)
                .values_list("pk", "enqueued_at", "connection__network", "connection_id",
                             "state", "due_at", "attempts")[:BATCH])
    reserved: list[Job] = []
    won: list[Job] = []
    if not rows:
        dispatcher.left_behind = bool(networks or accounts)
        return 0
    # The database's clock, read after the look: every row it found due is due by it. The
    # takes (enqueued_at) and the claims (lease, lateness) are written with this one value.
    now = db_now()
    try:
        # One transaction for every take: one write lock instead of one a row, so the senders
        # started below do not queue behind the rest of this batch (SQLite's busy wait sleeps).
        with transaction.atomic():
            for pk, previous, network, account_id, state, due_at, attempts in rows:
                if dispatcher.room() <= 0:
                    break
                owner = ""
                if (state == DeliveryState.SCHEDULED
                        and engine.claims_without_reading(due_at, attempts, now)):
                    owner = new_owner_id()
                job = Job(pk, network, account_id, claimed_by=owner)
                if not dispatcher.reserve(job):
                    continue
                reserved.append(job)
                if (_claim(pk, previous, attempts, owner, now) if owner
                        else _take(pk, previous, now)):
                    won.append(job)
                else:
                    dispatcher.release(job)
    except BaseException:
        for job in reserved:  # rolled back: nothing was taken, every slot is free again
            dispatcher.release(job)
        raise
    # Rows of busy networks or accounts were not even read, and a full batch may have more.
    dispatcher.left_behind = bool(networks or accounts or len(rows) >= BATCH
                                  or len(won) < len(rows))
    for job in won:
        dispatcher.launch(job)
    return len(won)


def seconds_to_next_due(limit: float) -> float:
    """How long until the next waiting delivery falls due (at most `limit`): the loop sleeps
    that long, so a post scheduled for 10:00:00 is looked at then, not at the next tick. The
    wait is measured on the database's clock, which decides that it is due."""
    nxt = (Delivery.objects.filter(state__in=WAITING, due_at__gt=Now(),
                                   connection__disconnected_at__isnull=True)
           .order_by("due_at").values_list("due_at", flat=True).first())
    if nxt is None:
        return limit
    return max(0.0, min(limit, (nxt - db_now()).total_seconds()))


def enqueue_due() -> int:
    """Take what is due and enqueue a task for each (HUBBUB_SEND_IN_WORKER off). A row taken
    before whose task still waits or runs is taken again (its enqueued_at moves on) without a
    second task: the first wakes it, and a dead runner's task is settled by the task sweep
    (jobs/task_rows.py), after which the next take enqueues anew. On Celery a message lost by
    the broker is sent again once the queue is empty, or HUBBUB_CELERY_RESEND_SECONDS after
    it went (task_rows.pending_deliveries). A second message never sends twice: the task
    claims its delivery by compare-and-set."""
    due = due_deliveries()
    db_time = db_now() if due else timezone.now()
    pending = task_rows.pending_deliveries(pk for pk, previous in due if previous is not None)
    count = 0
    for pk, previous in due:
        with transaction.atomic():
            if _take(pk, previous, db_time) and pk not in pending:
                task_rows.note_sent(pk)
                deliver.enqueue(pk)  # last: a refusal rolls the take and the note back
                count += 1
    return count


def beat(worker_id: str, started_at: datetime) -> None:
    """Say this worker is alive. beat_at is the database's clock: another worker, on a machine
    whose clock is minutes off, compares it (jobs/task_rows.py) to tell a dead runner's
    tasks from a live one's."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:200], "pid": os.getpid(),
                  "started_at": started_at, "beat_at": db_now()},
    )


# Each step of a tick fails on its own: a Celery broker that is down makes every enqueue fail
# (HUBBUB_SEND_IN_WORKER off), and that must not skip the sweeps and the periodic jobs after
# it, nor log the same traceback at every tick while it lasts (said once, then once more when
# it works again).
_SWEEP = periodic.Trouble("sweeping the expired leases", log)
_RELEASE = periodic.Trouble("releasing the ended rate limits", log)
_ENQUEUE = periodic.Trouble("enqueueing the due deliveries on the task engine", log)
_DISPATCH = periodic.Trouble("starting the due deliveries", log)


def _step(trouble: periodic.Trouble, step: Callable[[], int]) -> int:
    try:
        done = step()
    except Exception as exc:
        trouble.failed(exc)
        return 0
    trouble.worked()
    return done


def start_due(dispatcher: Dispatcher | None) -> int:
    """Start what is due: on the dispatcher's threads, or as tasks of the task engine. A
    failure (the broker is down, the database busy) is said once; the rows stay due."""
    if dispatcher is None:
        return _step(_ENQUEUE, enqueue_due)
    return _step(_DISPATCH, lambda: dispatch_due(dispatcher))


def tick(dispatcher: Dispatcher | None = None) -> dict[str, int]:
    swept = _step(_SWEEP, engine.sweep_expired_leases)
    released = _step(_RELEASE, release_rate_limits)
    enqueued = start_due(dispatcher)
    periodic.run_due()
    if swept or enqueued:
        log.debug("tick: swept=%s released=%s enqueued=%s", swept, released, enqueued)
    return {"swept": swept, "released": released, "enqueued": enqueued}
