"""The navigation's unread count, counted in the database (inbox/selectors.unread_count): the
inbox's entries less the read and done ones, the account's own messages and what a rule hides,
the same number the entries themselves give."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.inbox.models import EntryState, InboxFeed
from hubbub.inbox.selectors import entries, is_own, unread_count
from hubbub.listening import services
from hubbub.listening.conditions import spec_from
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from tests.timeline.conftest import net_item

pytestmark = pytest.mark.django_db


def test_the_count_leaves_out_read_own_hidden_and_unanswerable_items(
        alice: User, bob: User, feed: Feed) -> None:
    InboxFeed.objects.create(feed=feed)
    for name, action in (("hide secrets", "hide"), ("releases", "inbox")):
        services.save_rule(alice, spec_from({
            "conditions": [{"kind": "words", "values": [name.split()[-1].rstrip("s")]}],
            "actions": [{"kind": action}]}), name=name, expires_at=None)
    at = timezone.now() - timedelta(minutes=5)
    own = feed.connection.handle.upper()  # the account's own answer, in another case
    ingest(feed, [
        net_item(1, at=at, kind="mention", text="hello you"),
        net_item(2, at=at, kind="reply", text="read already"),
        replace(net_item(3, at=at, kind="direct", text="my own answer"), author_handle=own),
        net_item(4, at=at, kind="post", text="just a post"),
        net_item(5, at=at, kind="post", text="the release is out"),
        net_item(6, at=at, kind="mention", text="a secret mention"),
    ])
    EntryState.objects.create(item=Item.objects.get(remote_id="r2"), user=alice, state="read")

    assert unread_count(alice) == 2  # the mention, and the post the rule added
    reference = [i for i in entries(alice)
                 if not getattr(i, "inbox_status", "") and not is_own(i)]
    assert sorted(i.remote_id for i in reference) == ["r1", "r5"]
    assert unread_count(bob) == 0


def test_the_inbox_page_counts_once_for_the_page_and_the_navigation(
        alice: User, feed: Feed, client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    InboxFeed.objects.create(feed=feed)
    ingest(feed, [net_item(1, at=timezone.now() - timedelta(minutes=1), kind="mention")])
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/inbox/").content.decode()
    assert '<span class="nav-count">1<' in page
    assert "1 unread" in page
    counts = [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "timeline_item" in q["sql"]]
    assert len(counts) == 1, counts
