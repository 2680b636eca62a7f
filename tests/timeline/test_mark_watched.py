"""mark_watched writes only what is due: a column GET normally writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubbub.timeline import polling
from hubbub.timeline.models import Feed
from hubbub.timeline.polling import WATCHED_REFRESH, active_seconds, mark_watched
from tests.timeline.conftest import make_column

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shown(alice: User, feed: Feed) -> Feed:
    make_column(alice, [feed])
    return feed


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].split()[0] in ("UPDATE", "INSERT", "DELETE")]


def test_a_second_look_soon_after_writes_nothing(shown: Feed) -> None:
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    with CaptureQueriesContext(connection) as first:
        mark_watched([shown])
    assert len(_writes(first)) == 2  # watched_at, and the poll pulled forward
    watched = Feed.objects.get(pk=shown.pk).watched_at
    with CaptureQueriesContext(connection) as second:
        mark_watched([shown])
        mark_watched([shown.pk])
    assert _writes(second) == []
    assert len(second.captured_queries) == 2  # one read each
    assert Feed.objects.get(pk=shown.pk).watched_at == watched


def test_watched_at_is_refreshed_once_it_is_older_than_the_refresh(shown: Feed) -> None:
    old = timezone.now() - WATCHED_REFRESH - timedelta(seconds=1)
    Feed.objects.filter(pk=shown.pk).update(watched_at=old, next_poll_at=timezone.now())
    with CaptureQueriesContext(connection) as captured:
        mark_watched([shown])
    assert len(_writes(captured)) == 1
    watched = Feed.objects.get(pk=shown.pk).watched_at
    assert watched is not None
    assert watched > old
    assert polling.is_watched(Feed.objects.get(pk=shown.pk), timezone.now())


def test_a_poll_due_within_the_watched_pace_and_its_jitter_stays(shown: Feed) -> None:
    soon = timezone.now() + timedelta(seconds=active_seconds() * (1 + polling.JITTER) - 1)
    Feed.objects.filter(pk=shown.pk).update(watched_at=timezone.now(), next_poll_at=soon)
    with CaptureQueriesContext(connection) as captured:
        mark_watched([shown])
    assert _writes(captured) == []
    assert Feed.objects.get(pk=shown.pk).next_poll_at == soon
    far = timezone.now() + timedelta(minutes=10)
    Feed.objects.filter(pk=shown.pk).update(next_poll_at=far)
    mark_watched([shown])
    pulled = Feed.objects.get(pk=shown.pk).next_poll_at
    assert pulled is not None
    assert pulled <= timezone.now()
