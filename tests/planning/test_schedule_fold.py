"""A time the clocks show twice, in the composer and on the edit page: the form shows the two
instants with their offsets and refuses to schedule until the person picks one for exactly that
date and time; the page's live check (planning:schedule_fold) shows the same choice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection
from hubbub.publishing import services as publishing
from hubbub.publishing.forms import ComposeForm, draft_data
from hubbub.publishing.models import Post
from tests.planning.conftest import Clock

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

# (zone, day, time, first instant, its label, second instant, its label)
FOLDS = [
    ("Europe/Berlin", date(2026, 10, 25), "02:30",
     datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "02:30 CEST (UTC+02:00), the first",
     datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "02:30 CET (UTC+01:00), an hour later"),
    ("America/New_York", date(2026, 11, 1), "01:30",
     datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "01:30 EDT (UTC-04:00), the first",
     datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "01:30 EST (UTC-05:00), an hour later"),
]


def _in_zone(owner: User, zone: str) -> None:
    Profile.objects.update_or_create(user=owner, defaults={"timezone": zone})


def _schedule(client: Any, conn: Connection, day: date, at: str, text: str,
              **extra: str) -> Any:
    return client.post(reverse("publishing:compose"), {
        "action": "schedule", "targets": [conn.pk], "text": text,
        "schedule_date": day.isoformat(), "schedule_time": at, **extra})


@pytest.mark.parametrize(("zone", "day", "at", "first", "first_label", "second",
                          "second_label"), FOLDS)
def test_the_composer_asks_which_and_schedules_the_one_picked(
        client: Any, owner: User, conn: Connection, clock: Clock, zone: str, day: date,
        at: str, first: datetime, first_label: str, second: datetime,
        second_label: str) -> None:
    clock(NOW)
    _in_zone(owner, zone)
    client.force_login(owner)
    stamp = f"{day.isoformat()}T{at}"

    # No choice: the form comes back with both instants, nothing is saved.
    answer = _schedule(client, conn, day, at, "which one?")
    page = answer.content.decode()
    assert answer.status_code == 400
    assert f"{at} happens twice on {day:%-d %B} in {zone}" in page
    assert "Pick which of the two you mean." in page
    assert first_label in page
    assert second_label in page
    assert f'name="schedule_fold_for" value="{stamp}"' in page
    assert 'name="schedule_fold" value="0" id="id_schedule_fold_0">' in page  # none ticked
    assert "which one?" in page  # what was typed is kept
    assert not Post.objects.exists()

    # A choice made for another time (the person changed the time after picking) is no choice.
    answer = _schedule(client, conn, day, at, "stale", schedule_fold="1",
                       schedule_fold_for=f"{day.isoformat()}T00:30")
    assert answer.status_code == 400
    assert not Post.objects.exists()

    # The second, then the first.
    answer = _schedule(client, conn, day, at, "the second", schedule_fold="1",
                       schedule_fold_for=stamp)
    assert answer.status_code == 302
    assert Post.objects.get(text="the second").scheduled_for == second
    answer = _schedule(client, conn, day, at, "the first", schedule_fold="0",
                       schedule_fold_for=stamp)
    assert answer.status_code == 302
    assert Post.objects.get(text="the first").scheduled_for == first

    # The live check shows the same choice the round trip did; nothing for an ordinary time.
    live = client.get(reverse("planning:schedule_fold"), {
        "schedule_date": day.isoformat(), "schedule_time": at}).content.decode()
    assert first_label in live
    assert second_label in live
    assert stamp in live
    assert "checked" not in live
    live = client.get(reverse("planning:schedule_fold"), {
        "schedule_date": day.isoformat(), "schedule_time": at, "schedule_fold": "1",
        "schedule_fold_for": stamp}).content.decode()
    assert 'value="1" id="id_schedule_fold_1" checked>' in live
    for ordinary in ({"schedule_date": day.isoformat(), "schedule_time": "12:00"},
                     {"schedule_date": "2026-07-01", "schedule_time": at},
                     {"schedule_date": "nonsense", "schedule_time": "25:99"}, {}):
        answer = client.get(reverse("planning:schedule_fold"), ordinary)
        assert answer.status_code == 200
        assert answer.content.decode() == ""


def test_posting_now_ignores_a_doubled_time_typed(client: Any, owner: User,
                                                  conn: Connection, clock: Clock) -> None:
    clock(NOW)
    _in_zone(owner, "Europe/Berlin")
    client.force_login(owner)
    answer = client.post(reverse("publishing:compose"), {
        "action": "now", "targets": [conn.pk], "text": "right away",
        "schedule_date": "2026-10-25", "schedule_time": "02:30"})
    assert answer.status_code == 302
    assert Post.objects.get(text="right away").scheduled_for is None


def test_the_edit_page_keeps_the_reading_the_post_has(client: Any, owner: User,
                                                      conn: Connection, clock: Clock) -> None:
    clock(NOW)
    _in_zone(owner, "Europe/Berlin")
    client.force_login(owner)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second
    post = publishing.create_post(user=owner, text="late in the night", connections=[conn],
                                  scheduled_for=second, tz="Europe/Berlin")
    url = reverse("publishing:post_edit", args=[post.pk])
    page = client.get(url).content.decode()
    assert "02:30 CET (UTC+01:00), an hour later" in page
    assert 'value="1" id="id_schedule_fold_1" checked>' in page
    assert 'name="schedule_fold_for" value="2026-10-25T02:30"' in page

    # Saved as it is (the page sends the choice it shows): still the second.
    answer = client.post(url, {"text": "late in the night, edited", "content_warning": "",
                               "schedule_date": "2026-10-25", "schedule_time": "02:30",
                               "schedule_fold": "1", "schedule_fold_for": "2026-10-25T02:30"})
    assert answer.status_code == 302
    post.refresh_from_db()
    assert (post.text, post.scheduled_for) == ("late in the night, edited", second)

    # Without a choice the edit is refused and nothing changes.
    answer = client.post(url, {"text": "lost?", "content_warning": "",
                               "schedule_date": "2026-10-25", "schedule_time": "02:30"})
    assert answer.status_code == 400
    assert "Pick which of the two you mean." in answer.content.decode()
    post.refresh_from_db()
    assert post.text == "late in the night, edited"

    # Moved to the first reading.
    answer = client.post(url, {"text": "earlier", "content_warning": "",
                               "schedule_date": "2026-10-25", "schedule_time": "02:30",
                               "schedule_fold": "0", "schedule_fold_for": "2026-10-25T02:30"})
    assert answer.status_code == 302
    post.refresh_from_db()
    assert post.scheduled_for == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_draft_reopened_keeps_its_reading(owner: User, conn: Connection,
                                            clock: Clock) -> None:
    clock(NOW)
    draft = publishing.create_post(user=owner, text="draft", connections=[conn], draft=True,
                                   scheduled_for=datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
                                   tz="America/New_York")
    form = ComposeForm(initial=draft_data(draft, "America/New_York"), user=owner,
                       zone="America/New_York")
    assert [(o.label, o.checked) for o in form.fold_options()] == [
        ("01:30 EDT (UTC-04:00), the first", False),
        ("01:30 EST (UTC-05:00), an hour later", True)]
    assert form.initial["schedule_time"] == time(1, 30, fold=1)


@pytest.mark.parametrize(("zone", "day", "at", "expected"), [
    ("Europe/Berlin", date(2026, 10, 25), time(2, 30),
     ("02:30 CEST (UTC+02:00), the first", "02:30 CET (UTC+01:00), an hour later")),
    ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45),
     ("01:45 +11 (UTC+11:00), the first", "01:45 +1030 (UTC+10:30), 30 minutes later")),
    ("Europe/Berlin", date(2026, 3, 29), time(2, 30), None),  # a gap, not a fold
    ("Asia/Tokyo", date(2026, 10, 25), time(2, 30), None),
])
def test_the_question_asked(zone: str, day: date, at: time,
                            expected: tuple[str, str] | None) -> None:
    from hubbub.core import localtime

    found = localtime.ambiguity(day, at, zone)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert tuple(label for _v, label in found.choices) == expected
    assert [v for v, _l in found.choices] == ["0", "1"]
    assert found.stamp == f"{day.isoformat()}T{at:%H:%M}"
