"""Queues: slots, the next free slot, move to top, remove, pause and resume, DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import islice

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.core.dbclock import db_now
from hubbub.jobs.scheduler import due_deliveries
from hubbub.planning import services
from hubbub.planning.models import Queue, QueueEntry
from hubbub.planning.services import QueueError
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.outgoing import Outgoing
from tests.planning.conftest import Clock, as_local
from tests.web.conftest import make_connection

pytestmark = pytest.mark.django_db
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
MON, WED, FRI, SUN = 0, 2, 4, 6
# Monday 5 January 2026, 10:00 in Berlin (CET, UTC+1): Monday's 09:00 slot has passed.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def queue(owner: User, conn: Connection, clock: Clock) -> Queue:
    clock(NOW)
    return services.create_queue(owner, name="Mornings", tz=BERLIN, connections=[conn],
                                 slots=[(MON, time(9)), (WED, time(9)), (FRI, time(17, 30))])


def times(posts: list[Post]) -> list[str]:
    fresh = [Post.objects.get(pk=p.pk) for p in posts]
    return [as_local(p.scheduled_for) for p in fresh]


def order(queue: Queue) -> list[int]:
    return [e.post_id for e in services.waiting_entries(queue)]


def add(owner: User, queue: Queue, text: str) -> Post:
    return services.add_to_queue(owner, queue, Outgoing(text=text, targets=()))


def test_slots_come_in_order_from_now(queue: Queue) -> None:
    slots = list(islice(services.upcoming_slots(queue, after=NOW), 4))
    assert [as_local(s) for s in slots] == [
        "Wed 2026-01-07 09:00 CET", "Fri 2026-01-09 17:30 CET", "Mon 2026-01-12 09:00 CET",
        "Wed 2026-01-14 09:00 CET"]


@pytest.mark.parametrize(("zone", "utc_hours"), [
    # Berlin: CET (UTC+1) until 29 March, then CEST (UTC+2).
    (BERLIN, [8, 8, 8, 8, 7, 7]),
    # New York: EST (UTC-5) until 8 March, then EDT (UTC-4).
    (NEW_YORK, [14, 13, 13, 13, 13, 13]),
])
def test_a_monday_0900_slot_is_0900_local_in_winter_and_summer(
    owner: User, conn: Connection, zone: str, utc_hours: list[int]
) -> None:
    queue = services.create_queue(owner, name="Q", tz=zone, connections=[conn],
                                  slots=[(MON, time(9))])
    slots = list(islice(services.upcoming_slots(queue, after=datetime(2026, 3, 2, tzinfo=UTC)),
                        6))
    assert [f"{s:%m-%d}" for s in slots] == ["03-02", "03-09", "03-16", "03-23", "03-30",
                                              "04-06"]
    assert {as_local(s, zone)[15:20] for s in slots} == {"09:00"}
    assert [s.hour for s in slots] == utc_hours


def test_add_to_queue_takes_the_next_free_slots(owner: User, queue: Queue,
                                                conn: Connection) -> None:
    first = add(owner, queue, "first")
    second = add(owner, queue, "second")
    assert times([first, second]) == ["Wed 2026-01-07 09:00 CET", "Fri 2026-01-09 17:30 CET"]
    assert order(queue) == [first.pk, second.pk]
    # Ordinary posts, scheduled through publishing: one delivery per account of the queue.
    delivery = Delivery.objects.get(post=first)
    assert delivery.connection == conn
    assert delivery.state == DeliveryState.SCHEDULED
    assert delivery.due_at == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    assert Post.objects.get(pk=first.pk).timezone == BERLIN


def test_a_cancelled_post_leaves_a_slot_the_next_one_takes(owner: User, queue: Queue) -> None:
    first, second = add(owner, queue, "first"), add(owner, queue, "second")
    publishing.cancel_post(first)
    third = add(owner, queue, "third")
    assert times([third, second]) == ["Wed 2026-01-07 09:00 CET", "Fri 2026-01-09 17:30 CET"]
    assert order(queue) == [third.pk, second.pk]


def test_move_to_top_takes_the_earliest_slot_and_the_others_shift_down(
        owner: User, queue: Queue) -> None:
    a, b, c = (add(owner, queue, t) for t in "abc")
    entry = QueueEntry.objects.get(post=c)
    services.move_to_top(owner, entry)
    assert order(queue) == [c.pk, a.pk, b.pk]
    assert times([c, a, b]) == ["Wed 2026-01-07 09:00 CET", "Fri 2026-01-09 17:30 CET",
                                "Mon 2026-01-12 09:00 CET"]
    assert Delivery.objects.get(post=c).due_at == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    assert Delivery.objects.get(post=b).due_at == datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


def test_remove_cancels_the_post_and_the_rest_close_up(owner: User, queue: Queue) -> None:
    a, b, c = (add(owner, queue, t) for t in "abc")
    services.remove_from_queue(owner, QueueEntry.objects.get(post=a))
    assert publishing.post_status(Post.objects.get(pk=a.pk)) == "cancelled"
    assert order(queue) == [b.pk, c.pk]
    assert times([b, c]) == ["Wed 2026-01-07 09:00 CET", "Fri 2026-01-09 17:30 CET"]


def test_pause_keeps_order_sends_nothing_and_resume_retimes_from_now(
        owner: User, queue: Queue, clock: Clock) -> None:
    a, b = add(owner, queue, "a"), add(owner, queue, "b")
    assert services.pause_queue(owner, queue) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DRAFT}
    c = add(owner, queue, "c while paused")  # joins the end, parked too
    assert Delivery.objects.get(post=c).state == DeliveryState.DRAFT
    services.move_to_top(owner, QueueEntry.objects.get(post=b))
    assert order(queue) == [b.pk, a.pk, c.pk]
    # A week and a half later nothing of the queue was due for the worker.
    clock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))  # Thursday 13:00 Berlin
    assert due_deliveries() == []
    assert services.resume_queue(owner, queue) == 3
    assert order(queue) == [b.pk, a.pk, c.pk]
    assert times([b, a, c]) == ["Fri 2026-01-16 17:30 CET", "Mon 2026-01-19 09:00 CET",
                                "Wed 2026-01-21 09:00 CET"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SCHEDULED}


def test_pausing_leaves_a_post_that_started_sending_alone(
        owner: User, queue: Queue, conn2: Connection) -> None:
    queue.connections.add(conn2)
    post = add(owner, queue, "two accounts")
    Delivery.objects.filter(post=post, connection=conn2).update(state=DeliveryState.SENDING)
    services.pause_queue(owner, queue)
    states = dict(Delivery.objects.filter(post=post).values_list("connection_id", "state"))
    # Half-parked would never go out: the other account is scheduled as before.
    assert states[conn2.pk] == DeliveryState.SENDING
    assert set(states.values()) == {DeliveryState.SENDING, DeliveryState.SCHEDULED}


def test_a_post_given_its_own_time_leaves_the_queue(owner: User, queue: Queue) -> None:
    a, b = add(owner, queue, "a"), add(owner, queue, "b")
    services.reschedule(owner, a, day=datetime(2026, 1, 8).date(), at=time(12, 0), tz=BERLIN)
    assert order(queue) == [b.pk]
    c = add(owner, queue, "c")  # a's old slot is free again
    assert times([c, a]) == ["Wed 2026-01-07 09:00 CET", "Thu 2026-01-08 12:00 CET"]


def test_a_post_that_started_sending_is_no_longer_in_the_queue(owner: User,
                                                               queue: Queue) -> None:
    a, b = add(owner, queue, "a"), add(owner, queue, "b")
    Delivery.objects.filter(post=a).update(state=DeliveryState.SENDING)
    with pytest.raises(QueueError, match="no longer waiting"):
        services.move_to_top(owner, QueueEntry.objects.get(post=a))
    assert order(queue) == [b.pk]


def test_slot_changes_retime_the_queue(owner: User, queue: Queue) -> None:
    a, b = add(owner, queue, "a"), add(owner, queue, "b")
    assert services.add_slots(owner, queue, weekdays=[1, 3], at=time(7, 15)) == 2  # Tue, Thu
    assert times([a, b]) == ["Tue 2026-01-06 07:15 CET", "Wed 2026-01-07 09:00 CET"]
    services.remove_slot(owner, queue.slots.get(weekday=1))
    assert times([a, b]) == ["Wed 2026-01-07 09:00 CET", "Thu 2026-01-08 07:15 CET"]


@pytest.mark.parametrize(("zone", "message"), [
    (BERLIN, "02:30 does not exist on Sunday 29 March 2026 in Europe/Berlin"),
    (NEW_YORK, "02:30 does not exist on Sunday 8 March 2026 in America/New_York"),
])
def test_a_slot_the_clocks_skip_is_refused(owner: User, conn: Connection, zone: str,
                                           message: str, clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(owner, name="Night", tz=zone, connections=[conn])
    with pytest.raises(QueueError, match=message):
        services.add_slots(owner, queue, weekdays=[SUN], at=time(2, 30))
    assert services.add_slots(owner, queue, weekdays=[MON], at=time(2, 30)) == 1
    assert services.add_slots(owner, queue, weekdays=[SUN], at=time(3, 0)) == 1


def test_a_slot_in_a_fold_is_the_first_of_the_two(owner: User, conn: Connection,
                                                   clock: Clock) -> None:
    # In Berlin a Sunday 02:30 is skipped in March (so refused); New York's fold is 01:00-02:00.
    clock(NOW)
    queue = services.create_queue(owner, name="Night", tz=NEW_YORK, connections=[conn],
                                  slots=[(SUN, time(1, 30))])
    after = datetime(2026, 10, 31, tzinfo=UTC)
    first = next(services.upcoming_slots(queue, after=after))
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


def test_a_queue_without_slots_or_of_someone_else_refuses(
        owner: User, other: User, conn: Connection) -> None:
    queue = services.create_queue(owner, name="Empty", tz=BERLIN, connections=[conn])
    with pytest.raises(QueueError, match="no time slots"):
        services.add_to_queue(owner, queue, Outgoing(text="hello", targets=()))
    with pytest.raises(QueueError, match="not yours"):
        services.add_to_queue(other, queue, Outgoing(text="hello", targets=()))
    theirs = make_connection(other, handle="@m@fake.example", remote_id="99")
    with pytest.raises(QueueError, match="not yours"):
        services.create_queue(owner, name="Q", tz=BERLIN, connections=[theirs])
    assert Post.objects.count() == 0


def test_the_composer_may_pick_the_accounts(owner: User, queue: Queue,
                                            conn2: Connection) -> None:
    post = services.add_to_queue(owner, queue, Outgoing(
        text="only bob", targets=(conn2,), content_warning="cw"))
    assert [d.connection_id for d in post.deliveries.all()] == [conn2.pk]
    assert post.content_warning == "cw"


def test_too_long_for_an_account_is_refused_and_nothing_is_queued(
        owner: User, queue: Queue) -> None:
    with pytest.raises(publishing.PostError):
        add(owner, queue, "x" * 600)
    assert QueueEntry.objects.count() == 0


def test_zone_change_retimes_to_the_same_wall_clock(owner: User, queue: Queue,
                                                   conn: Connection) -> None:
    a = add(owner, queue, "a")
    services.update_queue(owner, queue, name="Mornings NY", tz=NEW_YORK, connections=[conn])
    # 09:00 in New York on Monday is 14:00 UTC: still ahead, so the first slot is today's.
    assert as_local(Post.objects.get(pk=a.pk).scheduled_for, NEW_YORK) == (
        "Mon 2026-01-05 09:00 EST")


def test_delete_queue_cancels_its_waiting_posts(owner: User, queue: Queue) -> None:
    a = add(owner, queue, "a")
    assert services.delete_queue(owner, queue) == 1
    assert publishing.post_status(Post.objects.get(pk=a.pk)) == "cancelled"
    assert not Queue.objects.exists()


def test_held_posts_wait_for_the_person(owner: User, queue: Queue) -> None:
    a, b = add(owner, queue, "a"), add(owner, queue, "b")
    Delivery.objects.filter(post=a).update(state=DeliveryState.HELD)
    services.move_to_top(owner, QueueEntry.objects.get(post=b))
    # The held one keeps its (passed) time for the person to decide; b takes the first slot.
    assert times([a, b]) == ["Wed 2026-01-07 09:00 CET", "Wed 2026-01-07 09:00 CET"]
    assert Delivery.objects.get(post=a).state == DeliveryState.HELD


def test_the_queue_is_visible_to_the_worker_when_due(owner: User, queue: Queue) -> None:
    a = add(owner, queue, "a")
    delivery = Delivery.objects.get(post=a)
    assert delivery.due_at == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)  # Wednesday 09:00 Berlin
    # The worker asks the database's clock (core/dbclock.py), which this test cannot move: the
    # slot is put as far ahead of the database's now as it is ahead of the test's NOW, then
    # one second behind it.
    Delivery.objects.filter(pk=delivery.pk).update(due_at=db_now() + (delivery.due_at - NOW))
    assert due_deliveries() == []
    Delivery.objects.filter(pk=delivery.pk).update(due_at=db_now() - timedelta(seconds=1))
    assert [pk for pk, _ in due_deliveries()] == [delivery.pk]
