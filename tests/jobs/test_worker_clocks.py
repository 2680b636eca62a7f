"""Workers whose machines' clocks are minutes apart agree on which worker is alive and which
take of a delivery is live: the worker beats, the task-row sweep, the scheduler's takes
(Delivery.enqueued_at) and the kept tasks' tries go by the database's clock
(core/dbclock.py), whichever machine writes or compares them. Before, each used its own: a
worker fifteen minutes ahead failed a live worker's running task as a dead runner's, and
took again a delivery another worker had just taken; one behind kept a dead worker's task
running.

A worker's machine is this process with django.utils.timezone.now shifted while that
worker's step runs (`machine_clock`); the database's clock is not moved. Runs on SQLite and,
with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from hubbub.connections.models import Connection
from hubbub.core.dbclock import db_now
from hubbub.jobs import kept, scheduler, task_rows
from hubbub.jobs.models import KeptTask, WorkerBeat
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post

pytestmark = pytest.mark.django_db

SKEW = timedelta(minutes=15)
RECOMPUTE = "hubbub.listening.tasks.recompute_rules"


@contextmanager
def machine_clock(offset: timedelta) -> Iterator[None]:
    """While inside, this process's wall clock reads `offset` off the true one: the steps run
    inside are a worker's on a machine whose clock is that far off."""
    real = timezone.now
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real() + offset)
        yield


def _running(runner: str, started_ago: timedelta, path: str = task_rows.DELIVER) -> Any:
    return DBTaskResult.objects.create(
        task_path=path, args_kwargs={"args": [1], "kwargs": {}}, backend_name="default",
        queue_name="default", run_after=get_date_max(), status="RUNNING",
        worker_ids=[runner], started_at=timezone.now() - started_ago)


def test_a_beat_is_the_databases_time_whatever_the_workers_clock() -> None:
    for worker, skew in (("host:ahead", SKEW), ("host:behind", -SKEW)):
        with machine_clock(skew):
            scheduler.beat(worker, timezone.now())
    now = db_now()
    for beat_at in WorkerBeat.objects.values_list("beat_at", flat=True):
        assert now - timedelta(seconds=30) < beat_at <= now


def test_a_worker_ahead_does_not_take_a_live_workers_running_task_for_a_dead_ones(
        settings: Any) -> None:
    settings.HUBBUB_WORKER_DEAD_SECONDS = 60
    with machine_clock(-SKEW):  # worker A, behind: alive, running a long task
        scheduler.beat("host:a", timezone.now())
    long_task = _running("host:a-0", timedelta(minutes=30))
    rules = _running("host:a-1", timedelta(minutes=30), path=RECOMPUTE)
    with machine_clock(SKEW):  # worker B, ahead, sweeps
        done = task_rows.sweep()
    assert (done["failed"], done["requeued"]) == (0, 0)
    for row in (long_task, rules):
        row.refresh_from_db()
        assert row.status == "RUNNING"


def test_a_worker_behind_settles_a_dead_workers_task_when_the_database_says_so(
        settings: Any) -> None:
    settings.HUBBUB_WORKER_DEAD_SECONDS = 60
    scheduler.beat("host:a", timezone.now())
    WorkerBeat.objects.filter(worker_id="host:a").update(
        beat_at=db_now() - timedelta(minutes=2))  # it stopped beating two minutes ago
    orphan = _running("host:a-0", timedelta(minutes=5))
    with machine_clock(-SKEW):  # the sweeping worker is behind
        assert task_rows.sweep()["failed"] == 1
    orphan.refresh_from_db()
    assert orphan.status == "FAILED"
    assert orphan.exception_class_path == task_rows.DIED


def test_a_delivery_taken_by_one_worker_is_not_taken_again_by_one_whose_clock_is_ahead(
        owner: Any, connection: Connection, settings: Any) -> None:
    settings.HUBBUB_REQUEUE_SECONDS = 300  # the skew is three of these
    delivery = create_post(user=owner, text="due", connections=[connection]).deliveries.get()
    # Due an hour ago: due for every worker here (due times are the database's, deploy.md).
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with machine_clock(-SKEW):  # worker A, behind, takes it and enqueues its task
        assert scheduler.enqueue_due() == 1
    taken = Delivery.objects.get(pk=delivery.pk).enqueued_at
    assert taken is not None
    now = db_now()
    assert now - timedelta(seconds=30) < taken <= now  # the database's time
    with machine_clock(SKEW):  # worker B, ahead: A's take is five minutes from stale
        assert scheduler.due_deliveries() == []
        assert scheduler.enqueue_due() == 0
    assert Delivery.objects.get(pk=delivery.pk).enqueued_at == taken
    assert DBTaskResult.objects.count() == 1
    # Once the database says the take is stale, the worker behind takes it again (its task
    # still waits: no second task), and then the one ahead sees that take as live.
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=db_now() - timedelta(seconds=301))
    with machine_clock(-SKEW):
        assert [pk for pk, _ in scheduler.due_deliveries()] == [delivery.pk]
        assert scheduler.enqueue_due() == 0
    retaken = Delivery.objects.get(pk=delivery.pk).enqueued_at
    assert retaken is not None
    assert retaken > taken
    with machine_clock(SKEW):
        assert scheduler.due_deliveries() == []
    assert DBTaskResult.objects.count() == 1


def test_a_kept_task_tried_by_one_worker_is_not_tried_again_by_one_ahead() -> None:
    kept.keep("hubbub.listening.tasks.recompute_rules", [10**9])
    KeptTask.objects.update(tried_at=db_now())  # worker A just tried it (the engine refused)
    assert SKEW.total_seconds() > kept.RETRY_SECONDS * 3
    with machine_clock(SKEW):  # worker B, ahead by many RETRY_SECONDS
        assert kept.retry() == 0
    assert KeptTask.objects.count() == 1


def test_due_times_claims_and_leases_go_by_the_databases_clock(
        owner: Any, connection: Connection, settings: Any) -> None:
    """A worker ahead finds a post due in two minutes not due, and cannot claim it; once the
    database says it is due, a worker behind claims it at once, its lease is the database's
    time, and the worker ahead does not take that live send for abandoned. A post sent "now"
    by a web process ahead is due at once for a worker on the true clock."""
    settings.HUBBUB_LEASE_SECONDS = 120  # the skew is seven and a half of these
    later = create_post(user=owner, text="later", connections=[connection],
                        scheduled_for=db_now() + timedelta(minutes=2)).deliveries.get()
    with machine_clock(SKEW):
        assert scheduler.due_deliveries() == []
        assert engine.claim(later.pk, "host:ahead") is None
        assert scheduler.seconds_to_next_due(600) > 60
    assert Delivery.objects.get(pk=later.pk).state == DeliveryState.SCHEDULED
    Delivery.objects.filter(pk=later.pk).update(due_at=db_now() - timedelta(seconds=1))
    with machine_clock(-SKEW):
        assert [pk for pk, _ in scheduler.due_deliveries()] == [later.pk]
        claimed = engine.claim(later.pk, "host:behind")
    assert claimed is not None
    assert claimed.state == DeliveryState.SENDING
    assert claimed.lease_until is not None
    now = db_now()
    assert now < claimed.lease_until <= now + timedelta(seconds=120)
    with machine_clock(SKEW):
        assert engine.sweep_expired_leases() == 0
    assert Delivery.objects.get(pk=later.pk).state == DeliveryState.SENDING

    with machine_clock(SKEW):  # the web process, ahead
        sent_now = create_post(user=owner, text="now", connections=[connection]
                               ).deliveries.get()
    claimed = engine.claim(sent_now.pk, "host:true")  # not held as late, not waiting either
    assert claimed is not None
    assert claimed.state == DeliveryState.SENDING
