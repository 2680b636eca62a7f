"""The worker's senders (jobs/dispatch.py) and wake-ups (jobs/wake.py): bounds per account, per
network and in all, rows left free for other workers, and commits that wake the loop.

The dispatcher's threads are not started here: a launched job stays in flight, holding its
slot, which is what the bounds are about (tests/integration/test_postnow.py runs them for real).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hubbub.connections.models import Connection
from hubbub.jobs import scheduler, wake
from hubbub.jobs.dispatch import Dispatcher, Job, Limits
from hubbub.jobs.worker import HubWorker
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post
from tests.engine.scripted import ScriptedConnector, StagingConnector
from tests.waiting import until


def _connection(owner: Any, network: str, remote_id: str) -> Connection:
    c = Connection(user=owner, network=network, base_url="http://x.test", remote_id=remote_id,
                   handle=f"@{network}{remote_id}")
    c.credentials = {"token": "t"}
    c.save()
    return c


def _dispatcher(**limits: int) -> Dispatcher:
    return Dispatcher(Limits(**limits), run=lambda pk: None)


def _taken(pks: list[int]) -> set[int]:
    """Rows a worker holds: claimed for a sender (scheduled ones), or taken (the others)."""
    return set(Delivery.objects.filter(pk__in=pks)
               .filter(Q(state=DeliveryState.SENDING) | Q(enqueued_at__isnull=False))
               .values_list("pk", flat=True))


@pytest.mark.django_db
def test_one_account_gets_one_delivery_at_a_time(owner: Any, connection: Connection) -> None:
    first = create_post(user=owner, text="one", connections=[connection]).deliveries.get()
    second = create_post(user=owner, text="two", connections=[connection]).deliveries.get()
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 1
    # The one that could not start is not taken: another worker may start it.
    assert _taken([first.pk, second.pk]) == {first.pk}
    assert scheduler.dispatch_due(dispatcher) == 0
    dispatcher.release(Job(first.pk, connection.network, connection.pk))
    assert scheduler.dispatch_due(dispatcher) == 1
    assert _taken([first.pk, second.pk]) == {first.pk, second.pk}


@pytest.mark.django_db
def test_one_network_gets_at_most_its_share(owner: Any, scripted: ScriptedConnector,
                                            staging: StagingConnector) -> None:
    same = [_connection(owner, "scripted", str(n)) for n in range(3)]
    other = _connection(owner, "staging", "9")
    post = create_post(user=owner, text="hello", connections=[*same, other])
    dispatcher = _dispatcher(threads=8, per_network=2, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 3  # two on "scripted", one on "staging"
    taken = Delivery.objects.filter(pk__in=_taken([d.pk for d in post.deliveries.all()]))
    assert sorted(taken.values_list("connection__network", flat=True)) == [
        "scripted", "scripted", "staging"]
    # The scheduler no longer even reads rows of a full network or a busy account.
    assert dispatcher.busy() == ({"scripted"}, set(taken.values_list("connection_id", flat=True)))


@pytest.mark.django_db
def test_no_more_in_flight_than_threads(owner: Any, scripted: ScriptedConnector) -> None:
    accounts = [_connection(owner, "scripted", str(n)) for n in range(5)]
    create_post(user=owner, text="hello", connections=accounts)
    dispatcher = _dispatcher(threads=3, per_network=10, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 3
    assert dispatcher.room() == 0
    assert scheduler.dispatch_due(dispatcher) == 0
    assert dispatcher.peak == 3


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="HUBBUB_SEND_PER_ACCOUNT"):
        Limits(threads=4, per_network=2, per_account=0)


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_makes_deliveries_due_wakes_the_loop(owner: Any,
                                                           connection: Connection) -> None:
    woken = wake.subscribe()
    try:
        with transaction.atomic():
            create_post(user=owner, text="now", connections=[connection])
            assert not woken.is_set()  # not before the commit: the rows are not visible yet
        assert woken.is_set()
    finally:
        wake.unsubscribe(woken)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_post_wakes_nobody(owner: Any, connection: Connection) -> None:
    def post_then_fail() -> None:
        with transaction.atomic():
            create_post(user=owner, text="never", connections=[connection])
            raise RuntimeError("the request failed after all")

    woken = wake.subscribe()
    try:
        with pytest.raises(RuntimeError):
            post_then_fail()
        assert not woken.is_set()
        create_post(user=owner, text="a draft", connections=[connection], draft=True)
        assert not woken.is_set()  # a draft is not due
    finally:
        wake.unsubscribe(woken)


@pytest.mark.django_db
def test_a_failed_take_gives_every_slot_back(owner: Any, scripted: ScriptedConnector,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = [_connection(owner, "scripted", str(n)) for n in range(3)]
    post = create_post(user=owner, text="hello", connections=accounts)
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    taken = 0

    def claim_then_fail(pk: int, *args: Any) -> bool:
        nonlocal taken
        taken += 1
        if taken == 2:
            raise RuntimeError("database is locked")
        return bool(Delivery.objects.filter(pk=pk).update(state=DeliveryState.SENDING))

    monkeypatch.setattr(scheduler, "_claim", claim_then_fail)
    with pytest.raises(RuntimeError):
        scheduler.dispatch_due(dispatcher)
    # The transaction rolled back the first take too: nothing is taken, nothing held.
    assert dispatcher.room() == 8
    assert _taken([d.pk for d in post.deliveries.all()]) == set()


def _launched(dispatcher: Dispatcher) -> list[Job]:
    """The jobs the dispatcher holds (its threads are not started here)."""
    return list(dispatcher._jobs.values())


@pytest.mark.django_db
def test_a_scheduled_row_is_claimed_with_its_take_and_sent_by_its_sender(
        owner: Any, connection: Connection, scripted: ScriptedConnector) -> None:
    delivery = create_post(user=owner, text="at once", connections=[connection]).deliveries.get()
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 1
    [job] = _launched(dispatcher)
    claimed = Delivery.objects.get(pk=delivery.pk)
    # Taken and claimed in one compare-and-set: the sender starts with the row its own.
    assert (claimed.state, claimed.attempts, claimed.enqueued_at) == (DeliveryState.SENDING, 1,
                                                                      None)
    assert job.claimed_by
    assert claimed.lease_owner == job.claimed_by
    assert claimed.lease_until is not None
    assert claimed.first_attempt_at is not None
    assert list(claimed.events.values_list("to_state", "detail").order_by("pk")) == [
        ("scheduled", f"due {delivery.due_at.isoformat()}"), ("sending", "attempt 1")]
    scheduler.run_job(job)
    sent = Delivery.objects.get(pk=delivery.pk)
    assert sent.state == DeliveryState.SENT
    assert scripted.calls == [delivery.idempotency_key]  # once
    assert sent.parts_done == [{"remote_id": "r1", "url": "http://x.test/1"}]
    scheduler.run_job(job)  # the same job again: no longer its sender's, nothing sent
    assert scripted.calls == [delivery.idempotency_key]


@pytest.mark.django_db
def test_a_claim_fails_on_a_row_changed_since_it_was_read(owner: Any,
                                                          connection: Connection) -> None:
    delivery = create_post(user=owner, text="read", connections=[connection]).deliveries.get()
    now = timezone.now()
    assert not engine.claim_taken(delivery.pk, enqueued_at=None, attempts=1, owner="w", now=now)
    assert not engine.claim_taken(delivery.pk, enqueued_at=now, attempts=0, owner="w", now=now)
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SCHEDULED
    assert engine.claim_taken(delivery.pk, enqueued_at=None, attempts=0, owner="w", now=now)
    assert not engine.claim_taken(delivery.pk, enqueued_at=None, attempts=0, owner="v", now=now)
    assert Delivery.objects.get(pk=delivery.pk).lease_owner == "w"


@pytest.mark.django_db
def test_a_claimed_row_swept_before_its_sender_started_is_not_sent(
        owner: Any, connection: Connection, scripted: ScriptedConnector) -> None:
    delivery = create_post(user=owner, text="late", connections=[connection]).deliveries.get()
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 1
    [job] = _launched(dispatcher)
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(1))
    assert engine.sweep_expired_leases() == 1
    scheduler.run_job(job)
    assert scripted.calls == []  # 'unknown' is settled by asking the network, never resent
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.UNKNOWN


@pytest.mark.django_db
def test_a_first_attempt_far_past_its_time_is_left_to_the_late_policy(
        owner: Any, connection: Connection, scripted: ScriptedConnector) -> None:
    delivery = create_post(user=owner, text="old", connections=[connection]).deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now() - timedelta(hours=2))
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 1
    [job] = _launched(dispatcher)
    assert job.claimed_by == ""  # only taken: engine.process reads the person's policy
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SCHEDULED
    scheduler.run_job(job)
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.HELD
    assert scripted.calls == []


@pytest.mark.django_db(transaction=True)
def test_with_senders_off_due_work_runs_on_the_task_runner(
        owner: Any, connection: Connection, scripted: ScriptedConnector, settings: Any) -> None:
    """HUBBUB_SEND_IN_WORKER=0: the scheduler enqueues a task, and the worker's task runner,
    which looks with a plain read and starts only when a task is ready, runs it."""
    settings.HUBBUB_SEND_IN_WORKER = False
    settings.HUBBUB_READ_NETWORKS = False
    settings.HUBBUB_SCHEDULER_INTERVAL = 0.2
    worker = HubWorker(concurrency=1)
    worker.start()
    try:
        post = create_post(user=owner, text="by task", connections=[connection])
        until(lambda: post.deliveries.get().state == DeliveryState.SENT, "the task to send it")
        second = create_post(user=owner, text="again", connections=[connection])
        until(lambda: second.deliveries.get().state == DeliveryState.SENT, "the second one")
    finally:
        worker.stop()
    assert len(scripted.calls) == 2
    assert not DBTaskResult.objects.ready().exists()


@pytest.mark.django_db
def test_a_freed_slot_is_worth_a_look_only_when_rows_were_left_behind(
        owner: Any, connection: Connection) -> None:
    first = create_post(user=owner, text="one", connections=[connection]).deliveries.get()
    create_post(user=owner, text="two", connections=[connection])
    dispatcher = _dispatcher(threads=8, per_network=4, per_account=1)
    assert scheduler.dispatch_due(dispatcher) == 1
    assert dispatcher.left_behind  # "two" waits for the account's slot
    dispatcher.release(Job(first.pk, connection.network, connection.pk))
    assert scheduler.dispatch_due(dispatcher) == 1
    assert not dispatcher.left_behind  # everything due started: a finished sender frees no one
    create_post(user=owner, text="three", connections=[connection])
    assert scheduler.dispatch_due(dispatcher) == 0
    assert dispatcher.left_behind  # the account is busy: its rows were not even read
