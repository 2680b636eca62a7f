"""One unreadable post never costs a feed the rest of its page: each connector maps a page
entry by entry, skips what it cannot read and logs it by id (a lone surrogate, a date that is
no date, an account URL that does not parse, a list that is not a list)."""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.networks.base import Account
from hubbub.networks.bluesky import items as bluesky
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.nostr import events, keys, reading
from hubbub.networks.nostr.live import NostrStream
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Item
from hubbub.timeline.selectors import ensure_feed
from tests.security.hostile_server import hostile_server

WHEN = "2026-12-01T10:00:00.000Z"


def logged_skip(text: str, network: str, remote_id: str) -> bool:
    """Was this entry logged as skipped, by its id (Mastodon.py hands ids over as ints)?"""
    return any(f"skipped an unreadable {network} item {shown}:" in text
               for shown in (repr(remote_id), remote_id))


def _status(status_id: str, **fields: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "id": status_id, "created_at": WHEN, "content": f"<p>post {status_id}</p>",
        "url": f"https://evil.test/@a/{status_id}", "visibility": "public",
        "account": {"id": "9", "acct": "a@evil.test", "username": "a",
                    "url": "https://evil.test/@a", "display_name": "A"},
        "media_attachments": [],
    }
    status.update(fields)
    return status


def _mastodon_page() -> str:
    """Two good statuses around four bad ones, as JSON text (json.dumps cannot write the lone
    surrogate, so it is put in by hand)."""
    page = [
        _status("1"),
        _status("2", content="<p>surrogate SURROGATE here</p>"),
        _status("3", account={"id": "8", "acct": "b", "url": "http://[", "display_name": "B"}),
        _status("4", created_at="yesterday-ish"),
        _status("5", media_attachments=5),
        "not a status",
        _status("6"),
    ]
    return json.dumps(page).replace("SURROGATE", "\\ud800")


@pytest.mark.django_db(transaction=True)
def test_a_hostile_mastodon_page_still_delivers_its_good_posts(
        caplog: pytest.LogCaptureFixture) -> None:
    user = User.objects.create_user("reader")
    with hostile_server() as server:
        server.json("/api/v1/timelines/home", _mastodon_page())
        account = Account(base_url=server.base_url, credentials={"access_token": "t"},
                          remote_id="9", handle="@me@127.0.0.1")
        with caplog.at_level(logging.WARNING, logger="hubbub.networks.pages"):
            page = MastodonConnector().fetch(account, "home")
        assert server.requests
    got = [item.remote_id for item in page.items]
    # What can be shown arrives, the bad field left out: the lone surrogate (ingest replaces
    # it), the account whose URL does not parse (named after the server), the media list that
    # is no list. A post with no readable date has no place in a timeline: it alone is skipped.
    assert got == ["1", "2", "3", "5", "6"]
    assert logged_skip(caplog.text, "mastodon", "4")
    by_id = {item.remote_id: item for item in page.items}
    assert by_id["3"].author_handle == "@b@127.0.0.1"
    assert "media" not in by_id["5"].extra
    # What arrives is stored, the lone surrogate replaced and the bad URL refused.
    connection = Connection(user=user, network="mastodon", base_url=server.base_url,
                            remote_id="9", handle="@me@127.0.0.1")
    connection.credentials = {"access_token": "t"}
    connection.save()
    result = ingest(ensure_feed(connection, "home"), page.items)
    assert len(result.item_ids) == len(got)
    for item in Item.objects.all():
        item.html.encode("utf-8")
        item.text.encode("utf-8")
    assert "\ufffd" in Item.objects.get(remote_id="2").html
    assert Item.objects.get(remote_id="3").author_url == ""


def _post(uri: str, **record: Any) -> dict[str, Any]:
    return {"uri": uri, "cid": "c", "indexedAt": WHEN,
            "author": {"did": "did:plc:a", "handle": "a.test", "displayName": "A"},
            "record": {"$type": "app.bsky.feed.post", "text": f"post {uri}",
                       "createdAt": WHEN, **record}}


def test_a_hostile_bluesky_feed_still_delivers_its_good_posts(
        caplog: pytest.LogCaptureFixture) -> None:
    body = json.loads(json.dumps({"feed": [
        {"post": _post("at://a/1")},
        {"post": _post("at://a/2", text="lone SURROGATE")},
        {"post": {**_post("at://a/3", createdAt="not a date"), "indexedAt": "nor this"}},
        {"post": _post("at://a/4", facets="not a list")},
        {"post": {**_post("at://a/5"), "embed": {"$type": "app.bsky.embed.images#view",
                                                 "images": 7}}},
        {"post": _post("at://a/6")},
    ]}).replace("SURROGATE", "\\ud800"))
    with caplog.at_level(logging.WARNING, logger="hubbub.networks.pages"):
        found = bluesky.items_from_feed(body)
    got = [item.remote_id for item in found]
    # The lone surrogate cannot be measured in UTF-8 bytes for its facets: skipped, as is the
    # post with no readable date; the facets and images that are no lists are left out.
    assert got == ["at://a/1", "at://a/4", "at://a/5", "at://a/6"]
    for skipped in ("at://a/2", "at://a/3"):
        assert logged_skip(caplog.text, "bluesky", skipped)
    assert found[2].extra["media"] == []
    notifications = [
        {"uri": "at://a/n1", "reason": "mention", "indexedAt": WHEN,
         "author": {"handle": "a.test"}, "record": {"text": "hi SURROGATE"}},
        {"uri": "at://a/n2", "reason": "mention", "indexedAt": "never",
         "author": {"handle": "a.test"}, "record": {"text": "when?"}},
        {"uri": "at://a/n3", "reason": "mention", "indexedAt": WHEN,
         "author": {"handle": "a.test"}, "record": {"text": "fine"}},
    ]
    hostile = json.loads(json.dumps(notifications).replace("SURROGATE", "\\ud800"))
    mapped = [i.remote_id for i in bluesky.items_from_notifications(hostile, {})]
    assert mapped[-1] == "at://a/n3"
    assert "at://a/n2" not in mapped


def test_a_hostile_nostr_page_still_delivers_its_good_notes(
        caplog: pytest.LogCaptureFixture) -> None:
    me, author = keys.generate_keypair(), keys.generate_keypair()
    good = events.sign(author.secret_hex, kind=1, content="fine")
    # Signed, so well-formed and verified, and dated after the year 9999.
    far = events.sign(author.secret_hex, kind=1, content="from the future",
                      created_at=10**12)
    later = events.sign(author.secret_hex, kind=1, content="also fine")
    with caplog.at_level(logging.WARNING, logger="hubbub.networks.pages"):
        found = reading.items_from_events([good, far, later], own_pubkey=me.public_hex,
                                          feed="home")
    assert [item.remote_id for item in found] == [good["id"], later["id"]]
    assert logged_skip(caplog.text, "nostr", far["id"])


def test_a_nostr_stream_skips_a_note_it_cannot_show_and_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    me, author = keys.generate_keypair(), keys.generate_keypair()
    far = events.sign(author.secret_hex, kind=1, content="from the future", created_at=10**12)
    good = events.sign(author.secret_hex, kind=1, content="fine")
    arriving = iter([("home", far, "ws://127.0.0.1:1"), ("home", good, "ws://127.0.0.1:1")])
    stream = NostrStream(cast(Any, arriving), me.public_hex)
    with caplog.at_level(logging.WARNING, logger="hubbub.networks.pages"):
        item = next(stream)
    assert item.remote_id == good["id"]
    assert logged_skip(caplog.text, "nostr", far["id"])
