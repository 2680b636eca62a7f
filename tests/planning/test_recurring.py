"""Recurring posts: occurrences in the zone's wall clock, and the job that makes each one into
a post exactly once (twice in a row, from two threads, after a restart)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection

from hubbub.connections.models import Connection
from hubbub.jobs import periodic
from hubbub.planning import recurring
from hubbub.planning.models import Frequency, Occurrence, RecurringPost
from hubbub.planning.recurring import RecurringError, Rule
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.planning.conftest import Clock, as_local

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 5 January 2026, 10:00 in Berlin


def weekly(conn: Connection, **kw: object) -> Rule:
    fields: dict[str, object] = {
        "text": "Weekly hello", "connections": [conn], "frequency": Frequency.WEEKLY,
        "weekdays": [0], "time_of_day": time(9), "tz": BERLIN, "starts_on": date(2026, 1, 5),
    }
    fields.update(kw)
    return Rule(**fields)  # type: ignore[arg-type]


def local_times(rule: RecurringPost, n: int = 100) -> list[str]:
    return [as_local(at, rule.timezone) for at in islice(recurring.instants(rule), n)]


@pytest.mark.django_db
def test_every_monday_0900_until_a_date(owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(conn, until=date(2027, 3, 1)))
    found = local_times(rule)
    # Today's 09:00 had passed when it was saved; the last is on the end date itself.
    assert found[0] == "Mon 2026-01-12 09:00 CET"
    assert found[-1] == "Mon 2027-03-01 09:00 CET"
    assert len(found) == 60
    assert {f[15:20] for f in found} == {"09:00"}
    assert "Mon 2026-03-30 09:00 CEST" in found  # summer time: still 09:00 on the wall


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "change_day"), [(BERLIN, 29), (NEW_YORK, 8)])
def test_a_daily_time_keeps_its_wall_clock_across_the_change(
        owner: User, conn: Connection, clock: Clock, zone: str, change_day: int) -> None:
    clock(datetime(2026, 3, 1, tzinfo=UTC))
    rule = recurring.create_recurring(owner, weekly(
        conn, frequency=Frequency.DAILY, weekdays=[], tz=zone, starts_on=date(2026, 3, 1),
        count=40))
    found = list(recurring.instants(rule))
    assert len(found) == 40
    assert {as_local(at, zone)[15:20] for at in found} == {"09:00"}
    before = [at.hour for at in found if at.day < change_day and at.month == 3]
    after = [at.hour for at in found if at.day > change_day and at.month == 3]
    assert len(set(before)) == len(set(after)) == 1
    assert after[0] == before[0] - 1


@pytest.mark.django_db
def test_weekly_on_several_days_with_a_count(owner: User, conn: Connection,
                                             clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(conn, weekdays=[1, 3], time_of_day=time(
        18, 15), count=3))
    assert local_times(rule) == ["Tue 2026-01-06 18:15 CET", "Thu 2026-01-08 18:15 CET",
                                 "Tue 2026-01-13 18:15 CET"]


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "rule_kw", "message"), [
    (BERLIN, {"frequency": Frequency.DAILY, "weekdays": []},
     "02:30 does not exist on Sunday 29 March 2026 in Europe/Berlin"),
    (NEW_YORK, {"weekdays": [6]}, "02:30 does not exist on Sunday 8 March 2026 in "
                                  "America/New_York"),
])
def test_a_time_the_clocks_skip_is_refused(owner: User, conn: Connection, clock: Clock,
                                           zone: str, rule_kw: dict[str, object],
                                           message: str) -> None:
    clock(NOW)
    with pytest.raises(RecurringError, match=message):
        recurring.create_recurring(owner, weekly(conn, tz=zone, time_of_day=time(2, 30),
                                                 **rule_kw))
    # The same time on days the clocks never change, or ending before the change, is fine.
    recurring.create_recurring(owner, weekly(conn, tz=zone, time_of_day=time(2, 30)))
    recurring.create_recurring(owner, weekly(conn, tz=zone, time_of_day=time(2, 30),
                                             frequency=Frequency.DAILY, weekdays=[],
                                             until=date(2026, 3, 1)))


@pytest.mark.django_db
@pytest.mark.parametrize(("rule_kw", "message"), [
    ({"weekdays": []}, "at least one day"),
    ({"connections": []}, "at least one account"),
    ({"text": "  "}, "Write something"),
    ({"until": date(2025, 1, 1)}, "before the first day"),
    ({"count": 0}, "at least once"),
    ({"tz": "Mars/Olympus"}, "not a time zone"),
    ({"text": "x" * 600}, "@alice@fake.example"),  # over the account's limit
])
def test_bad_rules_are_refused(owner: User, conn: Connection, clock: Clock,
                               rule_kw: dict[str, object], message: str) -> None:
    clock(NOW)
    with pytest.raises(RecurringError, match=message):
        recurring.create_recurring(owner, weekly(conn, **rule_kw))
    assert not RecurringPost.objects.exists()


@pytest.mark.django_db
def test_the_job_makes_a_week_ahead_once(owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(
        conn, frequency=Frequency.DAILY, weekdays=[], time_of_day=time(12)))
    # Saved at 10:00: today 12:00 ... next Monday 12:00 is 7 days and 2 hours out.
    posts = list(Post.objects.order_by("scheduled_for"))
    assert [as_local(p.scheduled_for) for p in posts] == [
        f"{d} 2026-01-{n:02d} 12:00 CET" for d, n in
        zip(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], range(5, 12), strict=True)]
    assert recurring.materialize() == 0  # run again: nothing new
    assert recurring.materialize() == 0
    clock(NOW + timedelta(days=1))
    assert recurring.materialize() == 1  # a day later: one more day
    assert Post.objects.count() == 8
    assert Occurrence.objects.filter(rule=rule).count() == 8
    # Ordinary posts, scheduled for the worker, in the rule's zone.
    delivery = Delivery.objects.get(post=posts[0])
    assert delivery.state == DeliveryState.SCHEDULED
    assert delivery.due_at == posts[0].scheduled_for
    assert posts[0].timezone == BERLIN


@pytest.mark.django_db
def test_a_count_is_kept_whatever_the_job_sees(owner: User, conn: Connection,
                                               clock: Clock) -> None:
    clock(NOW)
    recurring.create_recurring(owner, weekly(conn, frequency=Frequency.DAILY, weekdays=[],
                                             time_of_day=time(12), count=3))
    for days in range(0, 20, 2):
        clock(NOW + timedelta(days=days))
        recurring.materialize()
    assert Post.objects.count() == 3


@pytest.mark.django_db
def test_a_post_that_cannot_be_made_is_written_down_not_retried(
        owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(conn, weekdays=[2]))  # Wednesdays
    assert Post.objects.count() == 1
    Connection.objects.filter(pk=conn.pk).update(disconnected_at=NOW)
    clock(NOW + timedelta(days=7))
    assert recurring.materialize() == 0
    assert recurring.materialize() == 0
    missed = Occurrence.objects.get(rule=rule, post__isnull=True)
    assert "disconnected" in missed.error
    assert "disconnected" in RecurringPost.objects.get(pk=rule.pk).last_error


@pytest.mark.django_db
def test_pause_cancels_what_is_ahead_and_resume_makes_it_again(
        owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(conn, frequency=Frequency.DAILY,
                                                    weekdays=[], time_of_day=time(12)))
    first = list(Post.objects.all())
    assert recurring.pause_recurring(owner, rule) == 7
    assert {publishing.post_status(p) for p in first} == {"cancelled"}
    assert recurring.materialize() == 0
    clock(NOW + timedelta(hours=1))
    assert recurring.resume_recurring(owner, rule) == 7
    scheduled = [p for p in Post.objects.all() if publishing.post_status(p) == "scheduled"]
    assert len(scheduled) == 7
    assert recurring.delete_recurring(owner, rule) == 7
    assert not RecurringPost.objects.exists()


@pytest.mark.django_db
def test_someone_else_cannot_change_a_rule(owner: User, other: User, conn: Connection,
                                           clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, weekly(conn))
    with pytest.raises(RecurringError, match="not yours"):
        recurring.pause_recurring(other, rule)
    with pytest.raises(RecurringError, match="not yours"):
        recurring.create_recurring(other, weekly(conn))


def test_the_job_is_registered() -> None:
    job = periodic._jobs["planning.recurring"]
    assert job.fn is recurring.materialize
    assert job.every <= 300


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_make_each_occurrence_once(owner: User, conn: Connection) -> None:
    # Made an hour ago, unpaused only now, so the week's occurrences are all still to make.
    rule = RecurringPost.objects.create(
        user=owner, text="Daily", frequency=Frequency.DAILY, time_of_day=time(12),
        timezone=BERLIN, starts_at=datetime.now(UTC) - timedelta(hours=1))
    rule.connections.set([conn])
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                recurring.materialize()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    recurring.materialize()  # and once more after a "restart"
    assert not errors, errors
    expected = [at for at in recurring.upcoming(rule, after=datetime.now(UTC) - timedelta(
        hours=6), limit=20) if at <= datetime.now(UTC) + recurring.HORIZON]
    assert Post.objects.count() == len(expected) >= 7
    assert Occurrence.objects.filter(rule=rule, post__isnull=False).count() == len(expected)
    assert Delivery.objects.count() == len(expected)
