"""Editing a recurring post: its text, accounts, days, time and end. What went out stays; the
posts already made ahead follow the new rule (re-worded where their time and accounts hold,
cancelled otherwise, the new times made); never two live posts for one occurrence."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.planning import recurring
from hubbub.planning.models import Frequency, Occurrence, RecurringPost
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post
from tests.planning.conftest import Clock, as_local

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
ZONE = "Europe/Berlin"


def _rule(conn: Connection, **changes: Any) -> recurring.Rule:
    base: dict[str, Any] = {
        "text": "Weekly check-in", "connections": [conn], "frequency": Frequency.WEEKLY,
        "weekdays": [0, 2], "time_of_day": time(11, 0), "tz": ZONE,
        "starts_on": date(2026, 1, 5), "until": date(2026, 3, 1)}
    return recurring.Rule(**(base | changes))


def _live(rule: RecurringPost) -> list[tuple[str, str, list[int]]]:
    """(local time, text, accounts) of the rule's posts that are not cancelled, in order."""
    rows = []
    for occurrence in Occurrence.objects.filter(rule=rule, post__isnull=False).select_related(
            "post").order_by("at"):
        post = occurrence.post
        assert post is not None
        if publishing.post_status(post) == "cancelled":
            continue
        rows.append((as_local(post.scheduled_for), post.text,
                     sorted(post.deliveries.values_list("connection_id", flat=True))))
    return rows


def _no_duplicates(rule: RecurringPost) -> None:
    live = Post.objects.filter(occurrence__rule=rule).exclude(
        deliveries__state=DeliveryState.CANCELLED)
    assert max(Counter(p.scheduled_for for p in live).values(), default=0) <= 1


def test_edits_follow_the_new_rule_and_leave_what_went_out(
        owner: User, conn: Connection, conn2: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    assert _live(rule) == [("Mon 2026-01-05 11:00 CET", "Weekly check-in", [conn.pk]),
                           ("Wed 2026-01-07 11:00 CET", "Weekly check-in", [conn.pk])]
    monday = Occurrence.objects.get(rule=rule, at=datetime(2026, 1, 5, 10, tzinfo=UTC)).post
    wednesday = Occurrence.objects.get(rule=rule, at=datetime(2026, 1, 7, 10, tzinfo=UTC)).post
    assert monday is not None
    assert wednesday is not None
    Delivery.objects.filter(post=monday).update(state=DeliveryState.SENT)  # it went out

    # New words and Tuesday instead of Monday: Wednesday's post is re-worded in place,
    # Tuesday's is made, Monday's (sent) is left as it went out.
    done = recurring.update_recurring(owner, rule, _rule(conn, text="Check-in, new words",
                                                         weekdays=[1, 2]))
    assert (done.kept, done.cancelled, done.made) == (1, 0, 1)
    assert _live(rule) == [("Mon 2026-01-05 11:00 CET", "Weekly check-in", [conn.pk]),
                           ("Tue 2026-01-06 11:00 CET", "Check-in, new words", [conn.pk]),
                           ("Wed 2026-01-07 11:00 CET", "Check-in, new words", [conn.pk])]
    assert Occurrence.objects.get(rule=rule, at=wednesday.scheduled_for).post == wednesday
    assert recurring.materialize() == 0  # the job finds nothing left to make

    # Another time: the planned posts at 11:00 are cancelled, 12:00 ones made.
    done = recurring.update_recurring(owner, rule, _rule(conn, text="Check-in, new words",
                                                         weekdays=[1, 2],
                                                         time_of_day=time(12, 0)))
    assert (done.kept, done.cancelled, done.made) == (0, 2, 2)
    assert [when for when, _t, _a in _live(rule)] == [
        "Mon 2026-01-05 11:00 CET", "Tue 2026-01-06 12:00 CET", "Wed 2026-01-07 12:00 CET"]
    wednesday.refresh_from_db()
    assert publishing.post_status(wednesday) == "cancelled"

    # Other accounts: made again for them.
    done = recurring.update_recurring(owner, rule, _rule(
        conn2, text="Check-in, new words", weekdays=[1, 2], time_of_day=time(12, 0)))
    assert (done.kept, done.cancelled, done.made) == (0, 2, 2)
    assert [accounts for _w, _t, accounts in _live(rule)] == [[conn.pk], [conn2.pk], [conn2.pk]]

    # An end date: what is past it is cancelled.
    done = recurring.update_recurring(owner, rule, _rule(
        conn2, text="Check-in, new words", weekdays=[1, 2], time_of_day=time(12, 0),
        until=date(2026, 1, 6)))
    assert (done.kept, done.cancelled, done.made) == (1, 1, 0)
    assert [when for when, _t, _a in _live(rule)] == [
        "Mon 2026-01-05 11:00 CET", "Tue 2026-01-06 12:00 CET"]
    assert recurring.upcoming(done.rule, after=NOW + timedelta(days=2), limit=3) == []
    _no_duplicates(rule)


def test_a_time_the_clocks_skip_is_refused_and_nothing_changes(
        owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn, until=None))
    before = _live(rule)
    with pytest.raises(recurring.RecurringError,
                       match="02:30 does not exist on Sunday 29 March 2026 in Europe/Berlin"):
        recurring.update_recurring(owner, rule, _rule(conn, until=None, weekdays=[6],
                                                      time_of_day=time(2, 30), text="gone?"))
    rule.refresh_from_db()
    assert (rule.text, rule.weekdays, rule.time_of_day) == ("Weekly check-in", [0, 2],
                                                            time(11, 0))
    assert _live(rule) == before
    # A Monday 02:30 exists every week: accepted (RFC 5545 never needed).
    recurring.update_recurring(owner, rule, _rule(conn, until=None, weekdays=[0],
                                                  time_of_day=time(2, 30)))


def test_paused_edited_resumed_and_stopped(owner: User, conn: Connection,
                                           clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    assert recurring.pause_recurring(owner, rule) == 2
    done = recurring.update_recurring(owner, rule, _rule(conn, text="After the break"))
    assert (done.kept, done.cancelled, done.made) == (0, 0, 0)
    assert done.rule.is_paused
    assert recurring.resume_recurring(owner, rule) == 2
    assert {text for _w, text, _a in _live(rule)} == {"After the break"}
    _no_duplicates(rule)
    assert recurring.delete_recurring(owner, rule) == 2
    assert not RecurringPost.objects.filter(pk=rule.pk).exists()


def test_a_post_given_its_own_time_is_left_alone(owner: User, conn: Connection,
                                                 clock: Clock) -> None:
    from hubbub.planning import services

    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    wednesday = Occurrence.objects.get(rule=rule, at=datetime(2026, 1, 7, 10, tzinfo=UTC)).post
    assert wednesday is not None
    services.reschedule(owner, wednesday, day=date(2026, 1, 7), at=time(15, 0), tz=ZONE)
    recurring.update_recurring(owner, rule, _rule(conn, text="Re-worded"))
    wednesday.refresh_from_db()
    assert (wednesday.text, as_local(wednesday.scheduled_for)) == (
        "Weekly check-in", "Wed 2026-01-07 15:00 CET")
    assert publishing.post_status(wednesday) == "scheduled"
    assert [text for _w, text, _a in _live(rule)] == ["Re-worded", "Weekly check-in"]


def test_a_worker_that_worked_out_a_time_before_the_edit_makes_nothing(
        owner: User, conn: Connection, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    recurring.update_recurring(owner, rule, _rule(conn, time_of_day=time(12, 0)))
    stale = datetime(2026, 1, 12, 10, tzinfo=UTC)  # Monday 11:00, the old time
    clock(NOW + timedelta(days=6))
    assert recurring._make(rule.pk, stale) is False
    assert not Occurrence.objects.filter(rule=rule, at=stale).exists()
    assert recurring._make(rule.pk, datetime(2026, 1, 12, 11, tzinfo=UTC)) is True


def test_someone_else_cannot_edit(owner: User, other: User, conn: Connection,
                                  clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    with pytest.raises(recurring.RecurringError, match="not yours"):
        recurring.update_recurring(other, rule, _rule(conn, text="mine now"))
    rule.refresh_from_db()
    assert rule.text == "Weekly check-in"


def test_the_edit_page(client: Any, owner: User, other: User, conn: Connection,
                       berlin_owner: User, clock: Clock) -> None:
    clock(NOW)
    rule = recurring.create_recurring(owner, _rule(conn))
    url = reverse("planning:recurring_edit", args=[rule.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "mine"}).status_code == 404
    client.force_login(owner)
    listing = client.get(reverse("planning:recurring")).content.decode()
    assert f'href="{url}"' in listing
    page = client.get(url).content.decode()
    assert "Weekly check-in" in page
    assert 'value="11:00"' in page
    assert 'value="2026-03-01"' in page
    form = {"text": "Edited on the page", "connections": [conn.pk], "frequency": "weekly",
            "weekdays": ["0", "2"], "time_of_day": "11:00", "starts_on": "2026-01-05",
            "ends": "on", "until": "2026-03-01", "count": ""}
    answer = client.post(url, form)
    assert answer.status_code == 302
    assert answer.url == reverse("planning:recurring") + f"#rule-{rule.pk}"
    assert {text for _w, text, _a in _live(rule)} == {"Edited on the page"}
    # A Sunday 02:30 is refused on the page, with what was typed kept.
    answer = client.post(url, form | {"weekdays": ["6"], "time_of_day": "02:30",
                                      "text": "Sunday night", "until": "2026-04-30"})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "02:30 does not exist on Sunday 29 March 2026" in body
    assert "Sunday night" in body
    rule.refresh_from_db()
    assert rule.text == "Edited on the page"
