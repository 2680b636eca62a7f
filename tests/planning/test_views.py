"""The planning pages: calendar (week, month, filters, drag target), queues, recurring posts,
moving a post (DST gap refused, fold choice), the late-post choice, and ownership (404)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.planning import recurring, services
from hubbub.planning.models import Frequency, Queue, QueueEntry, RecurringPost
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.outgoing import Outgoing
from tests.planning.conftest import Clock
from tests.web.conftest import PASSWORD, make_connection

pytestmark = pytest.mark.django_db
BERLIN = "Europe/Berlin"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 5 January 2026, 10:00 in Berlin


@pytest.fixture
def signed_in(client: Client, berlin_owner: User, clock: Clock) -> Client:
    clock(NOW)
    client.force_login(berlin_owner)
    return client


def scheduled(owner: User, conn: Connection, when: datetime, text: str = "hello") -> Post:
    return publishing.create_post(user=owner, text=text, connections=[conn],
                                  scheduled_for=when, tz=BERLIN)


def move(client: Client, post: Post, day: str, at: str, **extra: str) -> Any:
    return client.post(reverse("planning:move_any"), {"post": post.pk, "day": day, "at": at,
                                                      **extra},
                       HTTP_ACCEPT="application/json")


def test_the_nav_has_queue_and_calendar(signed_in: Client) -> None:
    body = signed_in.get(reverse("planning:calendar")).content.decode()
    assert 'href="/plan/queues/"' in body
    assert 'href="/plan/calendar/"' in body


def test_week_shows_posts_in_the_persons_zone(signed_in: Client, berlin_owner: User,
                                              conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC), "Wednesday")
    page = signed_in.get(reverse("planning:calendar"), {"date": "2026-01-07"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "5 \u2013 11 January 2026" in body  # an en dash
    assert f'data-post="{post.pk}"' in body
    assert 'data-time="09:30"' in body  # 08:30 UTC is 09:30 in Berlin
    assert 'draggable="true"' in body
    assert reverse("publishing:post_edit", args=[post.pk]) in body  # works without JS
    # A week back and on from the day asked for (a Wednesday), so Month still opens its month.
    assert "?date=2025-12-31" in body
    assert "?date=2026-01-14" in body
    assert "?month=2026-01" in body
    assert "Europe/Berlin" in body


def test_month_and_filters(signed_in: Client, berlin_owner: User, conn: Connection,
                           conn2: Connection) -> None:
    a = scheduled(berlin_owner, conn, datetime(2026, 1, 20, 8, 0, tzinfo=UTC), "from alice")
    b = scheduled(berlin_owner, conn2, datetime(2026, 1, 21, 8, 0, tzinfo=UTC), "from bob")
    body = signed_in.get(reverse("planning:calendar_month"), {"month": "2026-01"}).content.decode()
    assert "January 2026" in body
    assert f'data-post="{a.pk}"' in body
    assert f'data-post="{b.pk}"' in body
    body = signed_in.get(reverse("planning:calendar_month"),
                         {"month": "2026-01", "account": conn2.pk}).content.decode()
    assert f'data-post="{a.pk}"' not in body
    assert f'data-post="{b.pk}"' in body
    body = signed_in.get(reverse("planning:calendar_month"),
                         {"month": "2026-01", "network": "mastodon"}).content.decode()
    assert "data-post=" not in body
    assert "?month=2025-12" in body
    assert "?month=2026-02" in body


def test_sent_posts_show_but_do_not_drag_and_cancelled_ones_do_not_show(
        signed_in: Client, berlin_owner: User, conn: Connection) -> None:
    sent = scheduled(berlin_owner, conn, datetime(2026, 1, 6, 8, 0, tzinfo=UTC), "sent one")
    Delivery.objects.filter(post=sent).update(state=DeliveryState.SENT)
    gone = scheduled(berlin_owner, conn, datetime(2026, 1, 6, 9, 0, tzinfo=UTC), "cancelled")
    publishing.cancel_post(gone)
    body = signed_in.get(reverse("planning:calendar"), {"date": "2026-01-06"}).content.decode()
    assert f'data-post="{sent.pk}"' in body
    assert f'data-post="{gone.pk}"' not in body
    chunk = body[body.index(f'data-post="{sent.pk}"') - 300:body.index(f'data-post="{sent.pk}"')]
    assert "is-draggable" not in chunk


def test_drop_moves_the_post(signed_in: Client, berlin_owner: User, conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    answer = move(signed_in, post, "2026-01-09", "14:30")
    assert answer.status_code == 200, answer.content
    assert answer.json()["ok"] is True
    assert "Fri 9 Jan, 14:30" in answer.json()["message"]
    assert Delivery.objects.get(post=post).due_at == datetime(2026, 1, 9, 13, 30, tzinfo=UTC)


def test_drop_refuses_a_post_that_started_sending(signed_in: Client, berlin_owner: User,
                                                  conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    Delivery.objects.filter(post=post).update(state=DeliveryState.SENDING)
    answer = move(signed_in, post, "2026-01-09", "14:30")
    assert answer.status_code == 409
    assert "started sending" in answer.json()["message"]


def test_drop_refuses_a_passed_time(signed_in: Client, berlin_owner: User,
                                    conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    answer = move(signed_in, post, "2026-01-05", "08:00")
    assert answer.status_code == 400
    assert "has passed" in answer.json()["message"]


@pytest.mark.parametrize(("zone", "day", "at", "gap"), [
    ("Europe/Berlin", "2026-03-29", "02:30", "from 02:00 to 03:00 (CET → CEST)"),
    ("America/New_York", "2026-03-08", "02:30", "from 02:00 to 03:00 (EST → EDT)"),
])
def test_drop_into_a_gap_is_refused_naming_it(signed_in: Client, berlin_owner: User,
                                              conn: Connection, zone: str, day: str, at: str,
                                              gap: str) -> None:
    berlin_owner.profile.timezone = zone
    berlin_owner.profile.save()
    post = scheduled(berlin_owner, conn, datetime(2026, 2, 1, 8, 30, tzinfo=UTC))
    answer = move(signed_in, post, day, at)
    assert answer.status_code == 400
    assert f"{at} does not exist on Sunday" in answer.json()["message"]
    assert gap in answer.json()["message"]
    assert Delivery.objects.get(post=post).due_at == datetime(2026, 2, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day", "at", "first", "second"), [
    ("Europe/Berlin", "2026-10-25", "02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
     datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ("America/New_York", "2026-11-01", "01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
     datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
])
def test_a_fold_takes_the_first_unless_the_second_is_picked(
        signed_in: Client, berlin_owner: User, conn: Connection, zone: str, day: str, at: str,
        first: datetime, second: datetime) -> None:
    berlin_owner.profile.timezone = zone
    berlin_owner.profile.save()
    post = scheduled(berlin_owner, conn, datetime(2026, 2, 1, 8, 30, tzinfo=UTC))
    answer = move(signed_in, post, day, at)
    assert answer.status_code == 200
    assert "happens twice" in answer.json()["message"]
    assert Post.objects.get(pk=post.pk).scheduled_for == first
    # The move page offers the choice once the time is ambiguous.
    form_page = signed_in.post(reverse("planning:post_move", args=[post.pk]),
                               {"day": day, "at": at, "fold": "1",
                                "fold_for": f"{day}T{at}"})
    assert form_page.status_code == 302
    assert Post.objects.get(pk=post.pk).scheduled_for == second
    shown = signed_in.get(reverse("planning:post_move", args=[post.pk]))
    assert "happens twice" in shown.content.decode()
    assert 'name="fold"' in shown.content.decode()


def test_move_page_without_js(signed_in: Client, berlin_owner: User, conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    page = signed_in.get(reverse("planning:post_move", args=[post.pk]))
    assert 'value="2026-01-07"' in page.content.decode()
    assert 'value="09:30"' in page.content.decode()
    answer = signed_in.post(reverse("planning:post_move", args=[post.pk]),
                            {"day": "2026-03-29", "at": "02:30"})
    assert answer.status_code == 400
    assert "does not exist on Sunday 29 March 2026" in answer.content.decode()


def test_late_policy_is_visible_and_can_be_chosen(signed_in: Client, berlin_owner: User,
                                                  conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    body = signed_in.get(reverse("publishing:posts")).content.decode()
    assert "If this is late:" in body
    assert "hold it for me" in body
    assert "(your default)" in body
    answer = signed_in.post(reverse("planning:post_late_policy", args=[post.pk]),
                            {"policy": "send", "next": "/posts/"})
    assert answer.status_code == 302
    assert Post.objects.get(pk=post.pk).late_policy == "send"
    body = signed_in.get(reverse("publishing:post_detail", args=[post.pk])).content.decode()
    assert "send it anyway" in body
    assert "(your default)" not in body


def test_someone_elses_things_are_404(client: Client, berlin_owner: User, other: User,
                                      conn: Connection, clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(berlin_owner, name="Mine", tz=BERLIN, connections=[conn],
                                  slots=[(2, time(9))])
    post = services.add_to_queue(berlin_owner, queue, Outgoing(text="mine", targets=()))
    entry = QueueEntry.objects.get(post=post)
    rule = recurring.create_recurring(berlin_owner, recurring.Rule(
        text="my secret series", connections=[conn], frequency=Frequency.WEEKLY, weekdays=[0],
        time_of_day=time(9), tz=BERLIN, starts_on=date(2026, 1, 5)))
    client.login(username=other.username, password=PASSWORD)
    gets = [reverse("planning:queue", args=[queue.pk]),
            reverse("planning:post_move", args=[post.pk])]
    posts = [
        reverse("planning:queue_edit", args=[queue.pk]),
        reverse("planning:queue_delete", args=[queue.pk]),
        reverse("planning:queue_pause", args=[queue.pk]),
        reverse("planning:queue_resume", args=[queue.pk]),
        reverse("planning:slot_add", args=[queue.pk]),
        reverse("planning:slot_remove", args=[queue.pk, queue.slots.get().pk]),
        reverse("planning:queue_add_post", args=[queue.pk]),
        reverse("planning:entry_top", args=[queue.pk, entry.pk]),
        reverse("planning:entry_remove", args=[queue.pk, entry.pk]),
        reverse("planning:recurring_pause", args=[rule.pk]),
        reverse("planning:recurring_resume", args=[rule.pk]),
        reverse("planning:recurring_delete", args=[rule.pk]),
        reverse("planning:post_late_policy", args=[post.pk]),
        reverse("planning:post_move", args=[post.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"text": "x", "weekdays": [1], "time": "10:00"}).status_code \
            == 404, url
    assert move(client, post, "2026-01-09", "10:00").status_code == 404
    assert "mine" not in client.get(reverse("planning:calendar"),
                                    {"date": "2026-01-07"}).content.decode()
    assert "Mine" not in client.get(reverse("planning:queues")).content.decode()
    assert "my secret series" not in client.get(reverse("planning:recurring")).content.decode()
    # Nothing of the owner's changed.
    assert Queue.objects.get(pk=queue.pk).paused_at is None
    assert RecurringPost.objects.get(pk=rule.pk).paused_at is None
    assert publishing.post_status(Post.objects.get(pk=post.pk)) == "scheduled"


def test_queue_pages_end_to_end(signed_in: Client, berlin_owner: User,
                                conn: Connection) -> None:
    answer = signed_in.post(reverse("planning:queues"), {
        "name": "Mornings", "timezone": BERLIN, "connections": [conn.pk]})
    queue = Queue.objects.get()
    assert answer.status_code == 302
    assert answer.url == reverse("planning:queue",
                                                               args=[queue.pk])
    refused = signed_in.post(reverse("planning:slot_add", args=[queue.pk]),
                             {"weekdays": [6], "time": "02:30"})
    assert refused.status_code == 400
    assert "does not exist on Sunday 29 March 2026" in refused.content.decode()
    signed_in.post(reverse("planning:slot_add", args=[queue.pk]),
                   {"weekdays": [0, 2, 4], "time": "09:00"})
    assert queue.slots.count() == 3
    for text in ("first", "second", "third"):
        signed_in.post(reverse("planning:queue_add_post", args=[queue.pk]), {"text": text})
    page = signed_in.get(reverse("planning:queue", args=[queue.pk])).content.decode()
    assert page.index("first") < page.index("second") < page.index("third")
    assert "Wednesday 7 Jan, 09:00" in page
    assert "Friday 9 Jan, 09:00" in page
    third = QueueEntry.objects.get(post__text="third")
    signed_in.post(reverse("planning:entry_top", args=[queue.pk, third.pk]))
    page = signed_in.get(reverse("planning:queue", args=[queue.pk])).content.decode()
    assert page.index("third") < page.index("first") < page.index("second")
    signed_in.post(reverse("planning:queue_pause", args=[queue.pk]))
    assert "Paused" in signed_in.get(reverse("planning:queue", args=[queue.pk])).content.decode()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DRAFT}
    signed_in.post(reverse("planning:queue_resume", args=[queue.pk]))
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SCHEDULED}
    # The week shows the queue's posts and its open slots.
    week = signed_in.get(reverse("planning:calendar"), {"date": "2026-01-12"}).content.decode()
    assert "Open slot in Mornings" in week


def test_recurring_page_end_to_end(signed_in: Client, berlin_owner: User,
                                   conn: Connection) -> None:
    base = {"text": "Weekly update", "connections": [conn.pk], "frequency": "weekly",
            "weekdays": [0, 3], "time_of_day": "09:00", "starts_on": "2026-01-05"}
    refused = signed_in.post(reverse("planning:recurring"), {
        **base, "frequency": "daily", "time_of_day": "02:30", "ends": "never"})
    assert refused.status_code == 400
    assert "does not exist on Sunday 29 March 2026" in refused.content.decode()
    answer = signed_in.post(reverse("planning:recurring"), {**base, "ends": "on",
                                                            "until": "2027-03-01"})
    assert answer.status_code == 302
    rule = RecurringPost.objects.get()
    assert (rule.weekdays, rule.until, rule.timezone) == ([0, 3], date(2027, 3, 1), BERLIN)
    page = signed_in.get(reverse("planning:recurring")).content.decode()
    assert "Every Monday and Thursday at 09:00, until 1 March 2027" in page
    # Made a week ahead: Thursday 8 and Monday 12 January, 09:00.
    assert Post.objects.count() == 2
    signed_in.post(reverse("planning:recurring_pause", args=[rule.pk]))
    assert {publishing.post_status(p) for p in Post.objects.all()} == {"cancelled"}
    signed_in.post(reverse("planning:recurring_delete", args=[rule.pk]))
    assert not RecurringPost.objects.exists()


def test_filters_only_offer_own_accounts(signed_in: Client, other: User) -> None:
    theirs = make_connection(other, handle="@eve@fake.example", remote_id="77")
    body = signed_in.get(reverse("planning:calendar")).content.decode()
    assert theirs.handle not in body
    _ = json, timedelta


def test_a_draft_is_not_given_a_time_by_the_calendar(signed_in: Client, berlin_owner: User,
                                                     conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
    Delivery.objects.filter(post=post).update(state=DeliveryState.DRAFT)
    answer = move(signed_in, post, "2026-01-09", "10:00")
    assert answer.status_code == 400
    assert "draft" in answer.json()["message"]
    assert Delivery.objects.get(post=post).state == DeliveryState.DRAFT


def test_a_fold_drop_offers_the_other_one(signed_in: Client, berlin_owner: User,
                                          conn: Connection) -> None:
    post = scheduled(berlin_owner, conn, datetime(2026, 2, 1, 8, 30, tzinfo=UTC))
    answer = move(signed_in, post, "2026-10-25", "02:30")
    assert answer.json()["choose_url"] == reverse("planning:post_move", args=[post.pk])
    plain = signed_in.post(reverse("planning:post_move", args=[post.pk]),
                           {"day": "2026-10-25", "at": "02:45"})
    assert plain.status_code == 302
    assert plain.url == reverse("planning:post_move", args=[post.pk])
    page = signed_in.get(plain.url).content.decode()
    assert "02:45 happens twice on 25 October in Europe/Berlin" in page
    assert "02:45 CET (UTC+01:00), an hour later" in page
    assert 'name="fold" value="0" id="id_fold_0" checked' in page  # where it is now
    # A choice sent for another time than the one it was offered for does not count.
    signed_in.post(reverse("planning:post_move", args=[post.pk]),
                   {"day": "2026-10-25", "at": "02:15", "fold": "1",
                    "fold_for": "2026-10-25T02:45"})
    assert Post.objects.get(pk=post.pk).scheduled_for == datetime(2026, 10, 25, 0, 15,
                                                                  tzinfo=UTC)
    signed_in.post(reverse("planning:post_move", args=[post.pk]),
                   {"day": "2026-10-25", "at": "02:15", "fold": "1",
                    "fold_for": "2026-10-25T02:15"})
    assert Post.objects.get(pk=post.pk).scheduled_for == datetime(2026, 10, 25, 1, 15,
                                                                  tzinfo=UTC)


def test_a_doubled_hour_shows_which_reading(signed_in: Client, berlin_owner: User,
                                            conn: Connection) -> None:
    first = scheduled(berlin_owner, conn, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "first")
    second = scheduled(berlin_owner, conn, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "second")
    body = signed_in.get(reverse("planning:calendar"), {"date": "2026-10-25"}).content.decode()
    assert "The clocks go back from 03:00 to 02:00 (CEST → CET)" in body
    sunday_two = 'data-drop-day="2026-10-25" data-drop-hour="2"'
    start = body.index(sunday_two)
    cell = body[start:body.index('<div class="pl-hour"', start)]
    assert "is-doubled" in body[body.rindex("<div", 0, start):start]
    assert f'data-post="{first.pk}"' in cell
    assert f'data-post="{second.pk}"' in cell
    assert '<span class="pl-abbr">CEST</span>' in cell
    assert '<span class="pl-abbr">CET</span>' in cell
