"""Rules that name impossible moments or broken text, from the form or a file: refused in words,
nothing saved, and a person's feeds keep updating. And notices only for what arrives, not for
the old posts of a conversation opened."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hubbub.accounts.models import Profile
from hubbub.listening import services
from hubbub.listening.conditions import Invalid, spec_from
from hubbub.listening.models import Notice, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import CONVERSATION_FEED_KEY, Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.listening.test_store import now_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo(client: Client, alice: User) -> Client:
    """Alice, signed in, nine hours east of UTC: her 0001-01-01 is year 0 in UTC."""
    Profile.objects.update_or_create(user=alice, defaults={"timezone": "Asia/Tokyo"})
    client.force_login(alice)
    return client


@pytest.mark.parametrize("field", ["hide_until", "expires"])
def test_a_date_outside_the_range_is_refused_by_the_form(tokyo: Client, alice: User,
                                                         feed: Feed, field: str) -> None:
    form = {"words": "hello", "visibility": "hide_until", "hide_until": "2030-01-01",
            "days": "30", "do": "save", field: "0001-01-01"}
    response = tokyo.post("/rules/new/", form)
    assert response.status_code in (200, 400)
    assert "a date between 1970 and 9999 is needed" in response.content.decode()
    assert not Rule.objects.exists()
    ingest(feed, [now_item(1, "hello there")])  # the feed still takes its items
    assert Item.objects.filter(text="hello there").exists()


def _file(**rule: Any) -> bytes:
    entry = {"name": "r", "conditions": [{"kind": "words", "values": ["hello"]}],
             "actions": [{"kind": "hide"}], **rule}
    return json.dumps({"hubbub_rules": 1, "rules": [entry]}).encode()


@pytest.mark.parametrize(("raw", "said"), [
    (_file(expires_at="2024-13-45T00:00:00+00:00"), "expires_at"),
    (_file(expires_at="0001-01-01T00:00:00+09:00"), "between 1970 and 9999"),
    (_file(actions=[{"kind": "hide_until", "until": "2024-02-30T00:00:00+00:00"}]),
     "Hide until"),
    (_file(actions=[{"kind": "hide_until", "until": "9999-12-31T23:00:00-05:00"}]),
     "between 1970 and 9999"),
    (_file(name="\ud800"), "lone surrogate"),
    (_file(conditions=[{"kind": "words", "values": ["a\ud800"]}]), "lone surrogate"),
    (b"[" * 200_000, "not JSON"),
])
def test_a_broken_file_imports_nothing_and_says_why(tokyo: Client, alice: User, raw: bytes,
                                                     said: str) -> None:
    with pytest.raises(Invalid, match=said):
        services.import_rules(alice, raw)
    response = tokyo.post("/rules/import/", {"file": SimpleUploadedFile("r.json", raw)},
                          follow=True)
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert not Rule.objects.exists()
    assert tokyo.get("/rules/").status_code == 200
    assert tokyo.get("/rules/export/").status_code == 200


def test_an_opened_conversation_raises_no_notice_for_its_old_posts(alice: User,
                                                                   feed: Feed) -> None:
    services.save_rule(alice, spec_from({
        "conditions": [{"kind": "words", "values": ["hello"]}],
        "actions": [{"kind": "notify"}]}), name="", expires_at=None)
    thread = ensure_feed(feed.connection, CONVERSATION_FEED_KEY)
    ingest(thread, [now_item(1, "hello from last year")])
    assert not Notice.objects.exists()
    ingest(feed, [now_item(2, "hello just now")])
    assert Notice.objects.filter(user=alice, item__text="hello just now").count() == 1


def test_a_column_never_shows_another_persons_item_whatever_its_entries_say(
        alice: User, bob: User, feed: Feed) -> None:
    from hubbub.listening.models import ColumnEntry
    from hubbub.timeline.selectors import column_page
    from tests.timeline.conftest import make_column, make_connection

    column = make_column(alice, [feed])
    ingest(feed, [now_item(1, "alice's own")])
    bobs = ensure_feed(make_connection(bob), "home")
    ingest(bobs, [now_item(2, "bob's private")])
    theirs = Item.objects.get(text="bob's private")
    ColumnEntry.objects.create(column=column, item=theirs, created_at=theirs.created_at,
                               via=ColumnEntry.ROUTE)
    assert [i.text for i in column_page(column)] == ["alice's own"]
