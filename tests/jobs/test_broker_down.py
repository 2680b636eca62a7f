"""A Celery broker that is down (issue 13), against real brokers: a redis-server of the test's
own, stopped and started again, and a closed loopback port on either scheme (the machine's
shared Redis and RabbitMQ stay up for the other tests). The hub's tasks go to the broker from
this process (`on_celery`), as with HUBBUB_TASKS_BACKEND=celery."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from hubbub.connections.models import Connection
from hubbub.jobs import celery_app, kept, periodic, scheduler, task_rows
from hubbub.jobs.models import DeliveryMessage, KeptTask
from hubbub.listening.tasks import recompute_rules
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post
from hubbub.publishing.tasks import deliver
from tests.engine.scripted import ScriptedConnector
from tests.jobs.brokers import OwnRedis, free_port
from tests.jobs.conftest import QUEUE

pytestmark = pytest.mark.django_db
DELIVER = "hubbub.publishing.tasks.deliver"


def _deliver_messages(server: OwnRedis) -> list[str]:
    """The argsrepr of each `deliver` message waiting in the queue (kombu keeps a Redis queue
    as a list of JSON messages, their headers naming the task and its arguments)."""
    with server.client() as client:
        raw = client.lrange(QUEUE, 0, -1)
    headers = [json.loads(message)["headers"] for message in raw]
    return [h["argsrepr"] for h in headers if h["task"] == DELIVER]


def _age(seconds: float) -> None:
    """Every delivery's take and message note, `seconds` further in the past: as if that long
    went by on the database's clock, which they go by (not the due times: those are the
    person's, compared with the worker's clock, docs/deploy.md)."""
    if seconds:
        by = timedelta(seconds=seconds)
        Delivery.objects.exclude(enqueued_at=None).update(enqueued_at=F("enqueued_at") - by)
        DeliveryMessage.objects.update(sent_at=F("sent_at") - by)


def _failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the scheduler said went wrong. (The periodic jobs that enqueue, such as the
    profiles' reads, say once too that the broker refuses them.)"""
    return [r for r in caplog.records if r.levelno >= logging.WARNING
            and r.name == "hubbub.jobs.scheduler"]


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_down_broker_stops_no_other_work_of_the_tick_and_is_logged_once(
        on_celery: Any, owner: Any, connection: Connection, scheme: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """Before: `enqueue_due` raised out of the tick, so the periodic jobs after it never ran
    while the broker was down, and the worker logged the same traceback every tick."""
    port = free_port()  # nothing listens there: the broker is down
    on_celery(f"redis://127.0.0.1:{port}/0" if scheme == "redis"
              else f"amqp://guest:guest@127.0.0.1:{port}//")
    create_post(user=owner, text="due while the broker is down", connections=[connection])
    ran: list[int] = []
    periodic.register("test.beside", 0, lambda: ran.append(1))  # due at every tick
    try:
        with caplog.at_level(logging.INFO, logger="hubbub"):
            for turn in range(1, 4):
                scheduler.tick()
                assert len(ran) == turn, "the periodic work of the tick was skipped"
    finally:
        periodic._jobs.pop("test.beside", None)
    failures = _failures(caplog)
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert "enqueue" in failures[0].getMessage()
    # Nothing was taken: the delivery waits, due, for a broker that takes its message.
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SCHEDULED
    assert delivery.enqueued_at is None


def test_a_broker_back_takes_the_due_deliveries_and_says_so(
        on_celery: Any, own_redis: OwnRedis, owner: Any, connection: Connection,
        caplog: pytest.LogCaptureFixture) -> None:
    on_celery(own_redis.url)
    own_redis.stop()
    delivery = create_post(user=owner, text="due", connections=[connection]).deliveries.get()
    with caplog.at_level(logging.INFO, logger="hubbub"):
        scheduler.tick()
        scheduler.tick()
        own_redis.start()
        assert scheduler.tick()["enqueued"] == 1
    assert _deliver_messages(own_redis) == [repr([delivery.pk])]
    said = [r.getMessage() for r in caplog.records if r.name == "hubbub.jobs.scheduler"]
    assert len(_failures(caplog)) == 1, said
    assert said[-1].endswith("works again, after 2 failed turns"), said


def test_a_periodic_job_that_keeps_failing_is_said_once(
        caplog: pytest.LogCaptureFixture) -> None:
    """A periodic job that enqueues (the profiles' reads, the feeds) fails at every turn while
    the broker is down: one error with its traceback, then one line when it works again."""
    broken = [True]

    def job() -> None:
        if broken[0]:
            raise ConnectionRefusedError("the broker is down")

    periodic.register("test.flaky", 10, job)
    try:
        with caplog.at_level(logging.DEBUG, logger="hubbub.jobs.periodic"):
            for turn in range(4):
                assert "test.flaky" not in periodic.run_due(now=1e9 + 10 * turn)
            broken[0] = False
            assert "test.flaky" in periodic.run_due(now=1e9 + 40)
            assert "test.flaky" in periodic.run_due(now=1e9 + 50)
    finally:
        periodic._jobs.pop("test.flaky", None)
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "test.flaky" in r.getMessage()]
    assert [level for level, _ in said if level >= logging.INFO] == [logging.ERROR, logging.INFO]
    first = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert first.exc_info is not None  # the traceback, once
    assert said[-1] == (logging.INFO, "periodic job test.flaky works again, after 4 failed turns")


def test_a_refused_task_is_kept_once_and_enqueued_when_the_broker_is_back(
        on_celery: Any, own_redis: OwnRedis, owner: Any) -> None:
    on_celery(own_redis.url)
    own_redis.stop()
    for _ in range(3):  # three rule changes while the broker is down: one recompute kept
        assert kept.enqueue_or_keep(recompute_rules, owner.pk) is False
    assert KeptTask.objects.count() == 1
    with pytest.raises(OperationalError):  # still down: the periodic job says so, once
        kept.retry()
    assert KeptTask.objects.count() == 1
    own_redis.start()
    later = timezone.now() + timedelta(seconds=kept.RETRY_SECONDS)
    assert kept.retry(later) == 1
    assert KeptTask.objects.count() == 0
    with own_redis.client() as client:
        waiting = [json.loads(m)["headers"] for m in client.lrange(QUEUE, 0, -1)]
    assert [(h["task"], h["argsrepr"]) for h in waiting] == [
        ("hubbub.listening.tasks.recompute_rules", repr([owner.pk]))]
    assert kept.retry(later + timedelta(seconds=kept.RETRY_SECONDS)) == 0
def test_a_lost_delivery_message_is_sent_again_while_the_queue_is_busy(
        on_celery: Any, own_redis: OwnRedis, owner: Any, connection: Connection,
        scripted: ScriptedConnector, settings: Any) -> None:
    """Before: a delivery whose message the broker lost got a new one only once the hub's queue
    was empty, so a queue kept busy by other work (feed reads, recomputes) left it waiting for
    ever. Now after HUBBUB_CELERY_RESEND_SECONDS at most, and once in that time; the
    delivery's claim by compare-and-set still sends it once whatever runs twice."""
    settings.HUBBUB_SEND_IN_WORKER = False
    on_celery(own_redis.url)
    delivery = create_post(user=owner, text="lost", connections=[connection]).deliveries.get()
    assert scheduler.enqueue_due() == 1
    assert _deliver_messages(own_redis) == [repr([delivery.pk])]
    # The broker restarts without keeping anything: the message is lost. Other work keeps
    # the queue busy from then on.
    own_redis.stop()
    own_redis.start()
    for _ in range(3):
        recompute_rules.enqueue(owner.pk)
    assert own_redis.waiting(QUEUE) == 3

    moved = 0.0

    def take_again(after: float) -> int:
        """The scheduler's next look, `after` seconds after the first. The takes and the
        message notes are the database's clock (core/dbclock.py), which no test can move:
        the times the hub wrote are moved back by as much instead."""
        nonlocal moved
        _age(after - moved)
        moved = after
        return scheduler.enqueue_due()

    requeue = settings.HUBBUB_REQUEUE_SECONDS
    # Stale, but its message may still wait behind the others: taken again, no new message.
    assert take_again(requeue + 1) == 0
    assert _deliver_messages(own_redis) == []
    # Past the bound: a new message though the queue is still busy...
    resend = settings.HUBBUB_CELERY_RESEND_SECONDS
    assert take_again(resend + requeue + 2) == 1
    assert _deliver_messages(own_redis) == [repr([delivery.pk])]
    assert own_redis.waiting(QUEUE) == 4
    # ...and only one in that time.
    assert take_again(resend + 2 * requeue + 3) == 0
    assert _deliver_messages(own_redis) == [repr([delivery.pk])]
    # Had the first message only been late, both run: the claim sends the post once.
    deliver.call(delivery.pk)
    deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert scripted.calls == [delivery.idempotency_key]
    # The note of when its message went is swept once it means nothing more.
    _age(3 * resend - moved)
    assert task_rows.sweep()["messages"] == 1
    assert not DeliveryMessage.objects.exists()


def test_a_consumer_never_gives_up_on_its_broker() -> None:
    """Celery's default ends the consumer after 100 failed tries to connect (about 47 minutes
    of a broker down: tried by hand with 2 tries, its thread ended after 6 s) and the worker
    then runs on without taking a task. The hub's consumer tries for ever; sending a message
    still fails at once (the tests above: a refused enqueue is kept or said once)."""
    assert celery_app.make_app().conf.broker_connection_max_retries is None
