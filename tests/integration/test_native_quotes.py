"""Quote from the deck, as a native quote on each network that has one: the deck's item (read
from the network and stored by ingest) -> ?quote=<item> in the composer -> the form posted ->
the engine -> the network, read back from the server itself: the Bluesky PDS record's embed
(com.atproto.repo.getRecord), the Nostr event's `q` tag on the relay, the Mastodon status's
quote. And what the composer refuses, with the words typed kept."""

from __future__ import annotations

import html
import io
import json
import secrets
from dataclasses import replace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for, save_connection
from hubbub.networks.errors import ConnectorError
from hubbub.networks.nostr import keys
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.outgoing import Quoted
from hubbub.publishing.services import create_post
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from tests.integration.bluesky_support import post_record
from tests.integration.engine_support import run_due
from tests.peers.bluesky import BlueskyPeer
from tests.peers.http_faults import Drop, HttpFaultProxy, Rewrite
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.peers.nostr_faults import NostrFaultProxy
from tests.waiting import until

pytestmark = pytest.mark.django_db


def _stored(connection: Connection, feed_key: str, remote_id: str) -> Item:
    """The item as the deck has it: read from the network by the connection's connector (as a
    poll reads it, waiting for an eventually consistent reader), stored through ingest."""
    connector = get_connector(connection.network)
    feed, _ = Feed.objects.get_or_create(connection=connection, key=feed_key)
    found: list[Any] = []

    def seen() -> bool:
        try:
            page = connector.fetch(account_for(connection), feed_key)
        except ConnectorError as exc:
            # Bluesky's AppView indexes a new account a moment after the PDS made it:
            # "Profile not found" until then.
            if "not found" not in exc.message.lower():
                raise
            return False
        found[:] = [i for i in page.items if i.remote_id == remote_id]
        return bool(found)

    until(seen, f"{remote_id} in {feed_key}")
    ingest(feed, found)
    return Item.objects.get(connection=connection, remote_id=remote_id)


def _quote(client: Client, item: Item, text: str, **fields: Any) -> Any:
    """Open Quote on the item (the form as the page fills it), then send it with `text`."""
    page = client.get(reverse("publishing:compose"), {"quote": item.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Quoting" in body
    assert "no link needed" in body
    data = {"text": text, "targets": [item.connection_id], "quote": item.pk, "action": "now",
            **fields}
    return client.post(reverse("publishing:compose"), data)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


# --- Bluesky -------------------------------------------------------------------------------------


def _bluesky(owner: User, peer: BlueskyPeer, prefix: str) -> Connection:
    seeded = peer.create_account(prefix)
    connected = get_connector("bluesky").connect_with_token(
        peer.pds_url, {"handle": seeded.handle, "app_password": seeded.app_password})
    return save_connection(owner, "bluesky", connected)


def test_a_bluesky_quote_is_an_embed_record_with_the_quoted_posts_uri_and_cid(
    bluesky_peer: BlueskyPeer, owner: User, client_in: Client,
) -> None:
    author = bluesky_peer.create_account("quoted")
    made = bluesky_peer.post(author, "A Bluesky post worth quoting")
    connection = _bluesky(owner, bluesky_peer, "quoter")
    item = _stored(connection, f"author:{author.did}", made["uri"])

    opened = client_in.get(reverse("publishing:compose"), {"quote": item.pk})
    # The quote shows under the words: the text starts empty, no link to count.
    assert item.url not in opened.content.decode()
    response = _quote(client_in, item, "My take on it")
    assert response.status_code == 302, response.content.decode()[:3000]
    run_due()
    delivery = Delivery.objects.get(post=Post.objects.get())
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert delivery.quote_of == made["uri"]
    record = post_record(bluesky_peer, delivery.remote_id)
    assert record is not None
    assert record["value"]["text"] == "My take on it"
    assert record["value"]["embed"] == {
        "$type": "app.bsky.embed.record",
        "record": {"uri": made["uri"], "cid": made["cid"]},
    }
    run_due()  # nothing more: one record
    assert Delivery.objects.get(pk=delivery.pk).remote_id == delivery.remote_id


def test_a_bluesky_quote_with_a_picture_is_record_with_media(
    bluesky_peer: BlueskyPeer, owner: User, client_in: Client,
) -> None:
    author = bluesky_peer.create_account("pictured")
    made = bluesky_peer.post(author, "Quote me with a picture")
    connection = _bluesky(owner, bluesky_peer, "picquoter")
    item = _stored(connection, f"author:{author.did}", made["uri"])
    response = _quote(client_in, item, "Look at this", image_1=SimpleUploadedFile(
        "red.png", _png(), "image/png"), alt_1="A red square")
    assert response.status_code == 302, response.content.decode()[:3000]
    run_due()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    record = post_record(bluesky_peer, delivery.remote_id)
    assert record is not None
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.recordWithMedia"
    assert embed["record"] == {"$type": "app.bsky.embed.record",
                               "record": {"uri": made["uri"], "cid": made["cid"]}}
    assert embed["media"]["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["media"]["images"]] == ["A red square"]


def test_a_bluesky_post_deleted_before_the_quote_goes_fails_saying_so(
    bluesky_peer: BlueskyPeer, owner: User, client_in: Client,
) -> None:
    author = bluesky_peer.create_account("gone")
    made = bluesky_peer.post(author, "Soon gone")
    connection = _bluesky(owner, bluesky_peer, "latequoter")
    item = _stored(connection, f"author:{author.did}", made["uri"])
    bluesky_peer.xrpc("POST", "com.atproto.repo.deleteRecord", token=author.access_jwt,
                      json_body={"repo": author.did, "collection": "app.bsky.feed.post",
                                 "rkey": made["uri"].rsplit("/", 1)[1]})
    response = _quote(client_in, item, "Too late")
    assert response.status_code == 302
    run_due()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert "cannot be quoted" in delivery.last_error
    assert Post.objects.get().text == "Too late"  # kept, to post again or change


# --- what the composer refuses -------------------------------------------------------------------


def test_quotes_the_composer_refuses_keep_the_words(
    bluesky_peer: BlueskyPeer, mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    author = bluesky_peer.create_account("refused")
    made = bluesky_peer.post(author, "Quotable")
    sky = _bluesky(owner, bluesky_peer, "mine")
    item = _stored(sky, f"author:{author.did}", made["uri"])
    masto = mastodon_peer.new_account()
    other = save_connection(owner, "mastodon", get_connector("mastodon").connect_with_token(
        mastodon_peer.base_url, {"access_token": masto.access_token}))
    url = reverse("publishing:compose")

    def refused(data: dict[str, Any], words: str) -> None:
        response = client_in.post(url, {"action": "now", **data})
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        assert words in page, page[:3000]
        assert data["text"] in page  # what was typed is still there
        assert not Post.objects.exists()

    # A native quote goes from the account that saw the post only.
    refused({"text": "Two accounts", "targets": [sky.pk, other.pk], "quote": item.pk},
            f"A quote goes out from {sky.handle} only")
    # Gone from the hub (or never here), another person's item, not an id at all.
    stranger = User.objects.create_user("stranger", password="a-long-enough-password")
    theirs = Item.objects.create(
        connection=save_connection(stranger, "bluesky", get_connector(
            "bluesky").connect_with_token(bluesky_peer.pds_url, {
                "handle": author.handle, "app_password": author.app_password})),
        network="bluesky", remote_id=made["uri"], kind="post", created_at=item.created_at,
        author_handle=author.handle)
    for ref in (theirs.pk, item.pk + 10_000, "9" * 30, "abc", "-1", "1.5"):
        refused({"text": "Quoting nothing", "targets": [sky.pk], "quote": ref},
                "not in your hub any more")
    # Followers only: refused on the form too, not only when the deck opens it.
    private = Item.objects.create(
        connection=other, network="mastodon", remote_id="12345", kind="post",
        created_at=item.created_at, author_handle="@someone@social.example",
        extra={"visibility": "private"})
    refused({"text": "Leaking it", "targets": [other.pk], "quote": private.pk},
            "Followers only: it cannot be quoted")
    opened = client_in.get(url, {"quote": theirs.pk})
    assert opened.status_code == 200
    assert "That post is not in your hub any more" in html.unescape(opened.content.decode())


# --- Nostr -------------------------------------------------------------------------------------


def test_a_nostr_quote_has_the_q_tag_and_the_nevent_in_its_content(
    nostr_peer: NostrPeer, owner: User, client_in: Client,
) -> None:
    connection = save_connection(owner, "nostr", get_connector("nostr").connect_with_token(
        nostr_peer.url, {"nsec": ""}))
    author = nostr_peer.keygen()
    tag = f"quoteme{secrets.token_hex(3)}"
    quoted = nostr_peer.sign(author, f"A note worth quoting #{tag}", tags=[["t", tag]])
    assert nostr_peer.publish(quoted).ok
    item = _stored(connection, f"hashtag:{tag}", quoted["id"])

    response = _quote(client_in, item, "Quoting a note")
    assert response.status_code == 302, response.content.decode()[:3000]
    run_due()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    [event] = nostr_peer.query({"ids": [delivery.remote_id]})
    assert ["q", quoted["id"], nostr_peer.url, author.pk] in event["tags"]
    reference = event["content"].removeprefix("Quoting a note\n\nnostr:")
    assert reference != event["content"]
    named = keys.parse_event_ref(reference)
    assert (named.prefix, named.value, named.author) == ("nevent", quoted["id"], author.pk)
    # Signed once: the event sent is the one stored before the first call.
    assert delivery.prepared is not None
    assert delivery.prepared["0"]["event"] == event
    run_due()
    assert len(nostr_peer.query({"authors": [connection.remote_id], "kinds": [1]})) == 1


# --- Mastodon ----------------------------------------------------------------------------------


def test_a_mastodon_quote_is_a_quote_on_a_server_that_quotes(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    bob = mastodon_peer.new_account()
    tag = f"quoteme{secrets.token_hex(3)}"
    quoted = mastodon_peer.post_as(bob, f"Worth quoting #{tag}")
    alice = mastodon_peer.new_account()
    connection = save_connection(owner, "mastodon", get_connector(
        "mastodon").connect_with_token(mastodon_peer.base_url,
                                       {"access_token": alice.access_token}))
    item = _stored(connection, f"hashtag:{tag}", str(quoted["id"]))

    response = _quote(client_in, item, "Quoting Bob")
    assert response.status_code == 302, response.content.decode()[:3000]
    run_due()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    status = mastodon_peer.status(alice, delivery.remote_id)
    assert status["quote"]["state"] == "accepted"
    assert str(status["quote"]["quoted_status"]["id"]) == str(quoted["id"])
    assert item.url not in status["content"]  # the quote, not a link to it


# --- retries and lost answers: one post, the quote in it -----------------------------------------


def test_a_bluesky_quote_whose_answer_was_lost_is_found_not_made_again(
    bluesky_peer: BlueskyPeer, owner: User,
) -> None:
    author = bluesky_peer.create_account("lostq")
    made = bluesky_peer.post(author, "Quoted across a lost answer")
    proxy = HttpFaultProxy(bluesky_peer.pds_url)
    try:
        seeded = bluesky_peer.create_account("lostquoter")
        connected = get_connector("bluesky").connect_with_token(proxy.base_url, {
            "handle": seeded.handle, "app_password": seeded.app_password})
        # Through the proxy, not the PDS its DID document names.
        connection = save_connection(owner, "bluesky",
                                     replace(connected, base_url=proxy.base_url))
        # The PDS writes the record; its answer never reaches the hub.
        proxy.arm("POST", "/xrpc/com.atproto.repo.createRecord", Drop())
        post = create_post(user=owner, text="Said once", connections=[connection],
                           quote={connection.pk: Quoted(made["uri"], "")})
        run_due()  # settled by getRecord on the delivery's record key, at once or later
        run_due()
        delivery = post.deliveries.get()
        assert delivery.state == DeliveryState.SENT, delivery.last_error
        assert delivery.attempts == 1
        assert proxy.seen.count(("POST", "/xrpc/com.atproto.repo.createRecord")) == 1
    finally:
        proxy.close()
    body = bluesky_peer.xrpc("GET", "com.atproto.repo.listRecords", params={
        "repo": seeded.did, "collection": "app.bsky.feed.post"})
    [record] = body["records"]
    assert record["uri"] == delivery.remote_id
    assert record["value"]["embed"]["record"] == {"uri": made["uri"], "cid": made["cid"]}


def test_a_nostr_quote_retried_is_the_very_event_signed_first(
    nostr_peer: NostrPeer, owner: User, settings: Any,
) -> None:
    proxy = NostrFaultProxy(nostr_peer.port)
    try:
        connection = save_connection(owner, "nostr", get_connector("nostr").connect_with_token(
            proxy.url, {"nsec": ""}))
        author = nostr_peer.keygen()
        quoted = nostr_peer.sign(author, "Quoted across a retry")
        assert nostr_peer.publish(quoted).ok
        # The publish waits 2 s for an answer the stalled EVENT never gets (it never reaches
        # the relay); the rest of the run (the quoted note read fresh, the settle) has the same
        # 2 s, far more than the local relay needs even on a busy machine (0.5 s was not: the
        # connect timed out once under CI's load).
        settings.HUBBUB_HTTP_TIMEOUT = 2.0
        proxy.on_next("EVENT", "stall", seconds=3.0)  # then closed, never forwarded
        post = create_post(user=owner, text="Twice tried, once sent", connections=[connection],
                           quote={connection.pk: Quoted(quoted["id"], "")})
        run_due()
        delivery = post.deliveries.get()
        assert delivery.state == DeliveryState.UNKNOWN, delivery.last_error
        assert delivery.prepared is not None
        signed_first = delivery.prepared["0"]["event"]
        assert ["q", quoted["id"], proxy.url, author.pk] in signed_first["tags"]
        run_due()  # not on the relay: scheduled again
        settings.HUBBUB_HTTP_TIMEOUT = 5.0
        run_due()
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.SENT, delivery.last_error
    finally:
        proxy.close()
    assert nostr_peer.query({"authors": [connection.remote_id], "kinds": [1]}) == [signed_first]


def test_a_mastodon_server_before_4_5_gets_the_link_instead(
    mastodon_peer: MastodonPeer, owner: User,
) -> None:
    bob = mastodon_peer.new_account()
    quoted = mastodon_peer.post_as(bob, "Quoted on an older server")
    alice = mastodon_peer.new_account()
    proxy = HttpFaultProxy(mastodon_peer.base_url)
    try:
        connection = save_connection(owner, "mastodon", get_connector(
            "mastodon").connect_with_token(proxy.base_url, {"access_token": alice.access_token}))

        def older(status: int, body: bytes) -> tuple[int, bytes]:
            document = json.loads(body)
            document["version"] = "4.4.3"
            return status, json.dumps(document).encode()

        # Mastodon.py asks /api/v2/instance/ (for the limits and before the quote).
        proxy.arm("GET", "/api/v2/instance/", Rewrite(older), count=10)
        post = create_post(user=owner, text="Have a look", connections=[connection],
                           quote={connection.pk: Quoted(str(quoted["id"]), quoted["url"])})
        run_due()
        delivery = post.deliveries.get()
        assert delivery.state == DeliveryState.SENT, delivery.last_error
    finally:
        proxy.close()
    status = mastodon_peer.status(alice, delivery.remote_id)
    assert status["quote"] is None
    assert quoted["url"] in status["content"]
    assert status["content"].index("Have a look") < status["content"].index(quoted["url"])
