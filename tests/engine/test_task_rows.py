"""The task table stays bounded (jobs/task_rows.py, issue 13): finished rows go after the
retention, a dead runner's RUNNING rows are settled (by the beat of the worker it belonged to,
not by a process id), wake-ups that can wake nothing are removed, and the scheduler no longer
enqueues a delivery again while its task waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from hubbub.connections.models import Connection
from hubbub.jobs import scheduler, task_rows
from hubbub.jobs.models import WorkerBeat
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post
from tests.engine.scripted import ScriptedConnector

pytestmark = pytest.mark.django_db
RECOMPUTE = "hubbub.listening.tasks.recompute_rules"


def _task(path: str = task_rows.DELIVER, args: list[Any] | None = None, *,
          status: str = "READY", runner: str | None = None, age: float = 0,
          queue: str = "default") -> Any:
    now = timezone.now()
    return DBTaskResult.objects.create(
        task_path=path, args_kwargs={"args": args or [1], "kwargs": {}}, backend_name="default",
        queue_name=queue, run_after=get_date_max(), status=status,
        worker_ids=[runner] if runner else [],
        started_at=now - timedelta(seconds=age) if status != "READY" else None,
        finished_at=now - timedelta(seconds=age) if status in ("SUCCESSFUL", "FAILED") else None,
    )


def _beat(worker_id: str, age: float) -> None:
    now = timezone.now()
    WorkerBeat.objects.create(worker_id=worker_id, hostname="elsewhere", pid=1,
                              started_at=now - timedelta(hours=1),
                              beat_at=now - timedelta(seconds=age))


def test_rows_of_runners_that_stopped_beating_are_settled(settings: Any) -> None:
    settings.HUBBUB_WORKER_DEAD_SECONDS = 60
    _beat("host:dead", age=600)
    _beat("host:alive", age=1)  # on another machine: only its beat says it lives
    dead = _task(status="RUNNING", runner="host:dead-0", age=300)
    unknown = _task(status="RUNNING", runner="host:gone-1", age=300)  # no beat at all
    alive = _task(status="RUNNING", runner="host:alive-0", age=300)  # a long task
    young = _task(status="RUNNING", runner="host:dead-1", age=5)  # started just now
    rules = _task(RECOMPUTE, status="RUNNING", runner="host:dead-0", age=300)

    done = task_rows.sweep()

    assert done["failed"] == 2
    assert done["requeued"] == 1
    for row in (dead, unknown):
        row.refresh_from_db()
        assert row.status == "FAILED"
        assert row.exception_class_path == task_rows.DIED
        assert "stopped beating" in row.traceback
        assert row.finished_at is not None
    for row in (alive, young):
        row.refresh_from_db()
        assert row.status == "RUNNING"
    rules.refresh_from_db()
    assert rules.status == "READY"
    assert rules.started_at is None
    assert task_rows.sweep()["failed"] == 0  # settled once


def test_finished_rows_and_old_beats_go_after_the_retention(settings: Any) -> None:
    settings.HUBBUB_TASK_RETENTION_SECONDS = 3600
    old = [_task(status=s, age=7200) for s in ("SUCCESSFUL", "FAILED")]
    recent = _task(status="SUCCESSFUL", age=60)
    _beat("host:long-gone", age=7200)
    _beat("host:recent", age=10)
    done = task_rows.sweep()
    assert done["deleted"] == 2
    assert done["beats"] == 1
    assert not DBTaskResult.objects.filter(pk__in=[row.pk for row in old]).exists()
    assert DBTaskResult.objects.filter(pk=recent.pk).exists()
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["host:recent"]


def test_wake_ups_that_wake_nothing_are_removed(owner: Any, connection: Connection) -> None:
    post = create_post(user=owner, text="waits", connections=[connection],
                       scheduled_for=timezone.now() + timedelta(hours=1))
    waiting = post.deliveries.get()
    sent = create_post(user=owner, text="sent", connections=[connection],
                       scheduled_for=timezone.now() + timedelta(hours=1)).deliveries.get()
    Delivery.objects.filter(pk=sent.pk).update(state=DeliveryState.SENT)
    first = _task(args=[waiting.pk])
    second = _task(args=[waiting.pk])  # a second wake-up for the same delivery
    for_sent = _task(args=[sent.pk])
    for_nothing = _task(args=[10**12])
    elsewhere = _task(queue="nobody-runs-this")
    rules = _task(RECOMPUTE, args=[owner.pk])
    assert task_rows.sweep()["removed"] == 4
    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {first.pk, rules.pk}
    assert not kept & {second.pk, for_sent.pk, for_nothing.pk, elsewhere.pk}


def test_a_delivery_is_enqueued_again_only_when_no_task_of_its_waits(
        owner: Any, connection: Connection, scripted: ScriptedConnector) -> None:
    """Before: every HUBBUB_REQUEUE_SECONDS another task for a delivery whose task had not
    run yet (23,649 such rows after 597 kills)."""
    delivery = create_post(user=owner, text="due", connections=[connection]).deliveries.get()
    assert scheduler.enqueue_due() == 1
    stale = timezone.now() - timedelta(hours=1)
    for _ in range(3):  # its task waits: taken again, nothing enqueued
        Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=stale)
        assert scheduler.enqueue_due() == 0
        delivery.refresh_from_db()
        assert delivery.enqueued_at is not None
        assert delivery.enqueued_at > stale
    assert DBTaskResult.objects.count() == 1
    # Its runner died and the sweep failed the row: the next take enqueues anew.
    DBTaskResult.objects.update(status="RUNNING", started_at=stale,
                                worker_ids=["host:dead-0"])
    assert task_rows.sweep()["failed"] == 1
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=stale)
    assert scheduler.enqueue_due() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1
