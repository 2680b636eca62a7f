"""The inbox's filters choose each kind in the database: two hundred newer mentions do not push
a direct message off the Direct filter, and the query says what `is_direct` says."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.inbox.models import InboxFeed
from hubbub.inbox.selectors import (
    DIRECT,
    DIRECT_PAGE,
    PAGE,
    entries,
    is_direct,
    listing,
    listing_page,
)
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from tests.timeline.conftest import net_item

pytestmark = pytest.mark.django_db


def test_newer_mentions_do_not_hide_a_direct_message(alice: User, feed: Feed) -> None:
    InboxFeed.objects.create(feed=feed)
    now = timezone.now()
    ingest(feed, [net_item(1, at=now - timedelta(days=1), kind="direct", text="psst",
                           conversation="c1", participants=["@ann@x.example"]),
                  net_item(2, at=now - timedelta(days=1), kind="mention", text="by visibility",
                           visibility="direct")])
    ingest(feed, [net_item(n, at=now - timedelta(minutes=n), kind="mention", text=f"hi {n}")
                  for n in range(10, 10 + 2 * PAGE + 20)])
    plain, threads = listing(alice, "direct")
    assert plain == []
    assert sorted(m.text for t in threads for m in t.messages) == ["by visibility", "psst"]
    plain, threads = listing(alice, "all")
    assert len(plain) == PAGE
    assert all(not is_direct(i) for i in plain)
    assert sum(len(t.messages) for t in threads) == 2
    plain, threads = listing(alice, "mentions")
    assert (len(plain), threads) == (PAGE, [])
    # The query and the function agree on every entry.
    by_query = set(entries(alice).filter(DIRECT).values_list("pk", flat=True))
    assert by_query == {i.pk for i in Item.objects.all() if is_direct(i)}


def test_older_entries_come_a_page_at_a_time(alice: User, feed: Feed, client: Client) -> None:
    InboxFeed.objects.create(feed=feed)
    now = timezone.now()
    total = PAGE + 30
    ingest(feed, [net_item(n, at=now - timedelta(minutes=n), kind="mention", text=f"hi {n}")
                  for n in range(1, total + 1)])
    first, _ = listing(alice, "mentions")
    cursor = (first[-1].created_at, first[-1].pk)
    second, threads = listing(alice, "mentions", cursor)
    assert threads == []
    assert [i.text for i in first + second] == [f"hi {n}" for n in range(1, total + 1)]

    client.force_login(alice)
    page = client.get("/inbox/?show=mentions").content.decode()
    older = re.search(r'href="(\?show=mentions&amp;before=[0-9.]+)" rel="next"', page)
    assert older, "an Older entries link"
    following = client.get("/inbox/" + older.group(1).replace("&amp;", "&")).content.decode()
    assert f"post <b>{total}</b>" in following  # (items show their HTML)
    assert f"post <b>{PAGE + 1}</b>" in following
    assert f"post <b>{PAGE}</b>" not in following
    assert 'rel="next"' not in following  # the last page
    assert client.get("/inbox/?before=" + "9" * 40).status_code == 200


@pytest.mark.parametrize("before", ["1000." + "9" * 30, "-5.1", "9" * 40 + ".1", "x.y", "\x00"])
def test_a_strange_cursor_is_no_error(alice: User, feed: Feed, client: Client,
                                      before: str) -> None:
    client.force_login(alice)
    assert client.get("/inbox/", {"before": before}).status_code == 200


def test_a_long_conversation_pages_older_messages(alice: User, feed: Feed,
                                                  client: Client) -> None:
    """One conversation of 450 messages: the newest 200 first, then 'Older messages' (a plain
    link, no script) gives the next 200 and then the last 50; every message shows once."""
    InboxFeed.objects.create(feed=feed)
    now = timezone.now()
    total = 2 * DIRECT_PAGE + 50
    ingest(feed, [net_item(n, at=now - timedelta(minutes=n), kind="direct", text=f"dm {n}",
                           conversation="c1", participants=["@ann@x.example"])
                  for n in range(1, total + 1)])
    seen: list[str] = []
    before = None
    for _ in range(3):
        found = listing_page(alice, "direct", before)
        assert len(found.threads) == 1
        seen += [m.text for m in reversed(found.threads[0].messages)]  # (oldest first inside)
        before = found.older_direct
    assert before is None  # the last page
    assert seen == [f"dm {n}" for n in range(1, total + 1)]

    client.force_login(alice)
    url = "/inbox/?show=direct"
    shown: list[int] = []
    for _ in range(3):
        page = client.get(url).content.decode()
        shown.append(len(re.findall(r"post <b>\d+</b>", page)))
        older = re.search(r'href="(\?show=direct&amp;before=[0-9.]+)" rel="next">Older messages',
                          page)
        if older is None:
            break
        url = "/inbox/" + older.group(1).replace("&amp;", "&")
    assert shown == [DIRECT_PAGE, DIRECT_PAGE, 50]
    assert "post <b>450</b>" in page
    assert "post <b>401</b>" in page
    assert "post <b>400</b>" not in page
    # The All filter links to the same older page.
    assert "Older messages" in client.get("/inbox/").content.decode()


def test_older_messages_are_only_ones_own(alice: User, bob: User, feed: Feed,
                                          client: Client) -> None:
    InboxFeed.objects.create(feed=feed)
    now = timezone.now()
    ingest(feed, [net_item(n, at=now - timedelta(minutes=n), kind="direct", text=f"dm {n}",
                           participants=["@ann@x.example"]) for n in range(1, 4)])
    client.force_login(bob)
    first = listing_page(alice, "direct").threads[0].messages[0]
    page = client.get("/inbox/", {"show": "direct",
                                  "before": f"{10**17}.{first.pk + 1}"}).content.decode()
    assert "post <b>" not in page
    assert "Nothing older." in page
