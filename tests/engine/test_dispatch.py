"""The worker's senders (jobs/dispatch.py) and wake-ups (jobs/wake.py): bounds per account, per
network and in all, rows left free for other workers, and commits that wake the loop.

The dispatcher's threads are not started here: a launched job stays in flight, holding its
slot, which is what the bounds are about (tests/integration/test_postnow.py runs them for real).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from hubbub.connections.models import Connection
from hubbub.jobs import scheduler, wake
from hubbub.jobs.dispatch import Dispatcher, Job, Limits
from hubbub.publishing.models import Delivery
from hubbub.publishing.services import create_post
from tests.engine.scripted import ScriptedConnector, StagingConnector


def _connection(owner: Any, network: str, remote_id: str) -> Connection:
    c = Connection(user=owner, network=network, base_url="http://x.test", remote_id=remote_id,
                   handle=f"@{network}{remote_id}")
    c.credentials = {"token": "t"}
    c.save()
    return c


def _dispatcher(**limits: int) -> Dispatcher:
    return Dispatcher(Limits(**limits), run=lambda pk: None)


def _taken(pks: list[int]) -> set[int]:
    return set(Delivery.objects.filter(pk__in=pks, enqueued_at__isnull=False)
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
    taken = Delivery.objects.filter(post=post, enqueued_at__isnull=False)
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

    def take_then_fail(pk: int, previous: Any) -> bool:
        nonlocal taken
        taken += 1
        if taken == 2:
            raise RuntimeError("database is locked")
        return bool(Delivery.objects.filter(pk=pk).update(enqueued_at=post.created_at))

    monkeypatch.setattr(scheduler, "_take", take_then_fail)
    with pytest.raises(RuntimeError):
        scheduler.dispatch_due(dispatcher)
    # The transaction rolled back the first take too: nothing is taken, nothing held.
    assert dispatcher.room() == 8
    assert _taken([d.pk for d in post.deliveries.all()]) == set()
