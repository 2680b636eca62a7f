"""The conversation page and its deck piece, against the real Mastodon mock: the thread in
reading order with the opened post marked and replies indented, each post drawn by the deck's
own item template (sanitized, with Reply opening the composer on it); the owner alone sees it;
a failing server gives its sentence, not a 500; a reopened conversation comes from the cache."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from hubbub.timeline.models import Item
from tests.conversations.helpers import PASSWORD, connect, read_into_deck
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(mastodon_peer: MastodonPeer, client: Client) -> dict[str, Any]:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    ada, bo, cy = (mastodon_peer.new_account() for _ in range(3))
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": ada.access_token})
    root = mastodon_peer.post_as(ada, "the root post")
    first = mastodon_peer.post_as(bo, "first reply <script>alert(1)</script>",
                                  in_reply_to_id=root["id"])
    deep = mastodon_peer.post_as(cy, "answer to the first", in_reply_to_id=first["id"])
    mastodon_peer.post_as(cy, "second reply", in_reply_to_id=root["id"])
    opened = read_into_deck(connection, "own", str(root["id"]))
    client.force_login(owner)
    return {"owner": owner, "opened": opened, "peer": mastodon_peer, "deep": deep,
            "first": first, "root": root}


def _url(item: Item | int) -> str:
    return f"/deck/items/{item.pk if isinstance(item, Item) else item}/conversation/"


def _rows(html: str) -> list[tuple[str, bool, str]]:
    """(depth class, focus, text) of each post shown, in order."""
    rows = re.findall(r'<li class="conv-row conv-depth-(\d)( is-focus)?".*?'
                      r'<div class="item-text">(.*?)</div>', html, re.S)
    return [(depth, bool(focus), re.sub(r"<[^>]+>", "", text).strip())
            for depth, focus, text in rows]


def test_the_thread_in_reading_order(scene: dict[str, Any], client: Client) -> None:
    response = client.get(_url(scene["opened"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == [
        ("0", True, "the root post"),
        ("1", False, "first reply &lt;script&gt;alert(1)&lt;/script&gt;"),
        ("2", False, "answer to the first"),
        ("1", False, "second reply"),
    ]
    assert "<script>alert" not in html
    assert 'aria-current="true"' in html
    # Each post is a stored item of this connection, replied to through the composer.
    deep = Item.objects.get(remote_id=str(scene["deep"]["id"]))
    assert f"?reply_to={deep.pk}" in html
    assert deep.connection_id == scene["opened"].connection_id


def test_opened_from_a_reply_marks_that_reply(scene: dict[str, Any], client: Client) -> None:
    client.get(_url(scene["opened"]))
    first = Item.objects.get(remote_id=str(scene["first"]["id"]))
    rows = _rows(client.get(_url(first)).content.decode())
    assert [(d, f) for d, f, _ in rows] == [("0", False), ("1", True), ("2", False), ("1", False)]


def test_the_deck_piece(scene: dict[str, Any], client: Client) -> None:
    response = client.get(_url(scene["opened"]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<details class="conv-inline" open>')
    assert "Conversation · 4 posts" in html
    assert "<html" not in html
    assert len(_rows(html)) == 4


def test_nobody_else_sees_it(scene: dict[str, Any], client: Client) -> None:
    User.objects.create_user("eve", password=PASSWORD)
    client.login(username="eve", password=PASSWORD)
    assert client.get(_url(scene["opened"])).status_code == 404
    assert client.get(_url(int("9" * 30))).status_code == 404
    assert client.get(_url(2**63 - 1)).status_code == 404


def test_a_failing_server_says_so_and_the_page_still_shows(scene: dict[str, Any],
                                                           client: Client) -> None:
    peer: MastodonPeer = scene["peer"]
    peer.add_fault({"type": "status", "status": 503, "body": {"error": "down for repairs"}},
                   path_regex=r"^/api/v1/statuses/\d+/context$", count=None)
    try:
        response = client.get(_url(scene["opened"]))
    finally:
        peer.clear_faults()
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mastodon (" in html
    assert "did not give the conversation" in html
    assert _rows(html) == []
    assert "the root post" in html  # the opened post itself still shows


def test_a_reopened_conversation_comes_from_the_cache(scene: dict[str, Any],
                                                      client: Client) -> None:
    assert len(_rows(client.get(_url(scene["opened"])).content.decode())) == 4
    peer: MastodonPeer = scene["peer"]
    peer.add_fault({"type": "status", "status": 503}, path_regex=r"^/api/v1/statuses/",
                   count=None)
    try:
        html = client.get(_url(scene["opened"])).content.decode()
    finally:
        peer.clear_faults()
    assert len(_rows(html)) == 4
    assert "did not give" not in html


def test_a_server_that_does_not_answer_in_time_says_so(scene: dict[str, Any], client: Client,
                                                       settings: Any) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.0
    peer: MastodonPeer = scene["peer"]
    peer.add_fault({"type": "timeout", "delay_ms": 30_000},
                   path_regex=r"^/api/v1/statuses/\d+/context$", count=1)
    try:
        response = client.get(_url(scene["opened"]))
    finally:
        peer.clear_faults()
    assert response.status_code == 200
    assert "did not give the conversation" in response.content.decode()


def test_a_connection_paused_for_its_rate_limit_is_not_asked(scene: dict[str, Any],
                                                             client: Client) -> None:
    connection = scene["opened"].connection
    connection.rate_limited_until = timezone.now() + timedelta(minutes=5)
    connection.save(update_fields=["rate_limited_until"])
    html = client.get(_url(scene["opened"])).content.decode()
    assert "asked hubbub to wait (rate limit) until" in html
    assert _rows(html) == []
