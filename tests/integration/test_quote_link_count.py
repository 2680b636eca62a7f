"""A quote from the deck on a Mastodon server before 4.5 goes out as the quoted post's link
after the words (networks/mastodon/quotes.py): the composer's counter and its checks count
that link (and the blank line before it), from the version the server states with its
limits; on a server from 4.5 on, which quotes natively, they count the words alone. Against
the Mastodon mock, its /api/v2/instance rewritten to an older version by a proxy."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for, capabilities_for, save_connection
from hubbub.core.counting import count_text
from hubbub.networks.capabilities import Capabilities
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from tests.integration.engine_support import run_due
from tests.peers.http_faults import HttpFaultProxy, Rewrite
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

pytestmark = pytest.mark.django_db


def _version_4_4(status: int, body: bytes) -> tuple[int, bytes]:
    document = json.loads(body)
    document["version"] = "4.4.3"
    return status, json.dumps(document).encode()


@pytest.fixture
def older(mastodon_peer: MastodonPeer) -> Iterator[HttpFaultProxy]:
    """The mock as a Mastodon 4.4 server: every /api/v2/instance it answers says 4.4.3."""
    proxy = HttpFaultProxy(mastodon_peer.base_url)
    proxy.arm("GET", "/api/v2/instance/", Rewrite(_version_4_4), count=1_000_000)
    try:
        yield proxy
    finally:
        proxy.close()


def _connected(owner: User, base_url: str, account: SeededAccount) -> Connection:
    return save_connection(owner, "mastodon", get_connector("mastodon").connect_with_token(
        base_url, {"access_token": account.access_token}))


def _quoting(peer: MastodonPeer, older: HttpFaultProxy, owner: User,
             ) -> tuple[SeededAccount, Connection, Item, Capabilities]:
    """A new account on the server behind `older`, connected, its own post to quote, and the
    account's limits."""
    account = peer.new_account()
    connection = _connected(owner, older.base_url, account)
    return account, connection, _own_post(peer, connection, account), capabilities_for(connection)


def _own_post(peer: MastodonPeer, connection: Connection, account: SeededAccount) -> Item:
    """A post of the account's, as the deck has it: read from the server, stored by ingest."""
    made = peer.post_as(account, "A post worth quoting")
    feed, _ = Feed.objects.get_or_create(connection=connection, key="own")
    found: list[Any] = []

    def seen() -> bool:
        page = get_connector("mastodon").fetch(account_for(connection), "own")
        found[:] = [i for i in page.items if i.remote_id == str(made["id"])]
        return bool(found)

    until(seen, "the post in the account's own feed")
    ingest(feed, found)
    return Item.objects.get(connection=connection, remote_id=str(made["id"]))


def _live(client: Client, connection: Connection, item: Item, text: str) -> str:
    response = client.post(reverse("publishing:count"),
                           {"text": text, "targets": [connection.pk], "quote": item.pk})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _counted(live: str) -> tuple[int, int]:
    found = re.search(r'class="counter-count"><strong>(\d+)</strong> / (\d+)<', live)
    assert found is not None, live[:2000]
    return int(found[1]), int(found[2])


def _send(client: Client, connection: Connection, item: Item, text: str) -> Any:
    return client.post(reverse("publishing:compose"), {
        "text": text, "targets": [connection.pk], "quote": item.pk, "action": "now"})


def _sent(client: Client, peer: MastodonPeer, account: SeededAccount, connection: Connection,
          item: Item, text: str) -> dict[str, Any]:
    """Quote `item` with `text` now, from `connection`; the status as the server holds it."""
    response = _send(client, connection, item, text)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    run_due()
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    return peer.status(account, delivery.remote_id)


def test_the_link_an_older_server_gets_is_counted_and_a_native_quote_counts_the_words(
    mastodon_peer: MastodonPeer, older: HttpFaultProxy, owner: User, client_in: Client,
) -> None:
    # Before 4.5: the words, a blank line and the link make the limit exactly, and are sent.
    alice, old, item, caps = _quoting(mastodon_peer, older, owner)
    assert caps.quote_as_link
    limit = caps.text_limit
    link = count_text("mastodon", item.url, url_length=caps.url_length or 23)
    opened = html.unescape(client_in.get(reverse("publishing:compose"),
                                         {"quote": item.pk}).content.decode())
    assert "the quoted post's link goes after your words" in opened
    assert "no link needed" not in opened
    assert "data-preview-quote" not in opened  # no quote shown: the server shows none
    words = "w" * (limit - 2 - link)
    live = _live(client_in, old, item, words)
    assert _counted(live) == (limit, limit)
    assert f"the link counts {link} characters, {link + 2} with the blank line" in live
    assert "data-quote-link-note" in live  # the counter and the preview say so
    assert item.url in live  # the preview shows the link after the words
    assert _counted(_live(client_in, old, item, words + "w")) == (limit + 1, limit)

    status = _sent(client_in, mastodon_peer, alice, old, item, words)
    assert status["quote"] is None
    assert item.url in status["content"]

    # From 4.5 (the mock as it is): the quote is native, the words alone fill the limit.
    bob = mastodon_peer.new_account()
    new = _connected(owner, mastodon_peer.base_url, bob)
    quoted = _own_post(mastodon_peer, new, bob)
    assert not capabilities_for(new).quote_as_link
    words = "n" * capabilities_for(new).text_limit
    live = _live(client_in, new, quoted, words)
    assert _counted(live) == (len(words), len(words))
    assert "data-quote-link-note" not in live
    assert "data-preview-quote" in live  # the quote is shown under the words
    status = _sent(client_in, mastodon_peer, bob, new, quoted, words)
    assert str(status["quote"]["quoted_status"]["id"]) == quoted.remote_id


def test_a_quote_too_long_only_for_its_link_is_refused_naming_the_account_and_the_link(
    mastodon_peer: MastodonPeer, older: HttpFaultProxy, owner: User, client_in: Client,
) -> None:
    alice, old, item, caps = _quoting(mastodon_peer, older, owner)
    link = count_text("mastodon", item.url, url_length=caps.url_length or 23)
    words = "Fits alone " + "x" * (caps.text_limit - 11 - 2 - link) + "!"  # one over with it

    response = _send(client_in, old, item, words)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (f"{old.handle}: 1 character over the limit of {caps.text_limit}, with the quoted "
            f"post's link after your words (this server shows no quotes): the link counts "
            f"{link} characters, {link + 2} with the blank line before it.") in page, page[:4000]
    assert words in page  # what was typed is still there
    assert not Post.objects.exists()
    assert [str(s["id"]) for s in mastodon_peer.statuses(alice)] == [item.remote_id]


def test_the_edit_page_of_a_scheduled_quote_counts_its_link(
    mastodon_peer: MastodonPeer, older: HttpFaultProxy, owner: User, client_in: Client,
) -> None:
    _, old, item, caps = _quoting(mastodon_peer, older, owner)
    link = count_text("mastodon", item.url, url_length=caps.url_length or 23)
    when = (timezone.now() + timedelta(days=2)).astimezone(UTC)
    response = client_in.post(reverse("publishing:compose"), {
        "text": "Later, this", "targets": [old.pk], "quote": item.pk, "action": "schedule",
        "schedule_date": when.date().isoformat(), "schedule_time": when.strftime("%H:%M")})
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    post = Post.objects.get()

    # Opened, and as the person types: the words, the blank line and the link.
    opened = html.unescape(client_in.get(
        reverse("publishing:post_edit", args=[post.pk])).content.decode())
    assert _counted(opened) == (len("Later, this") + 2 + link, caps.text_limit)
    assert 'name="edited_post"' in opened
    typed = "Later, this one"
    live = html.unescape(client_in.post(reverse("publishing:count"), {
        "text": typed, "targets": [old.pk], "edited_post": post.pk}).content.decode())
    assert _counted(live) == (len(typed) + 2 + link, caps.text_limit)
    assert "data-quote-link-note" in live

    # Another person's post (its quote on this very account, were it read) or no post: no
    # quote counted.
    other = User.objects.create_user("mallory")
    other_post = Post.objects.create(user=other, text="theirs")
    Delivery.objects.create(post=other_post, connection=old, due_at=when,
                            quote_of=item.remote_id, quote_url=item.url)
    for edited in (str(other_post.pk), "9" * 30, "x"):
        live = html.unescape(client_in.post(reverse("publishing:count"), {
            "text": typed, "targets": [old.pk], "edited_post": edited}).content.decode())
        assert _counted(live) == (len(typed), caps.text_limit), edited
