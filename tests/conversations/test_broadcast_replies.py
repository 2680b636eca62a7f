"""One post broadcast to Mastodon, Bluesky and Nostr through the hub's engine; other accounts
reply and react on each network directly; the post's replies page shows every reply merged in
time order, each marked with its network, with the counts each network reports. A network that
fails shows its sentence while the others still show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.jobs import scheduler
from hubbub.networks.errors import NotFound
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.publishing.services import create_post
from tests.conversations.helpers import PASSWORD, connect, network_counts, shown_replies
from tests.integration.bluesky_support import CONNECTOR as BLUESKY
from tests.integration.bluesky_support import person, post_record
from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def broadcast(mastodon_peer: MastodonPeer, bluesky_peer: BlueskyPeer, nostr_peer: NostrPeer,
              client: Client) -> dict[str, Any]:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    masto = mastodon_peer.new_account()
    sky = bluesky_peer.create_account("poster")
    targets = [
        connect(owner, "mastodon", mastodon_peer.base_url, {"access_token": masto.access_token}),
        connect(owner, "bluesky", bluesky_peer.pds_url,
                {"handle": sky.handle, "app_password": sky.app_password}),
        connect(owner, "nostr", nostr_peer.url, {"nsec": ""}),
    ]
    post = create_post(user=owner, text="What do you all think?", connections=targets)
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    sent = {d.connection.network: d for d in post.deliveries.select_related("connection")}
    assert {d.state for d in sent.values()} == {DeliveryState.SENT}

    # Replies, made on each network directly by other accounts, interleaved in time.
    bo, cy = mastodon_peer.new_account(), mastodon_peer.new_account()
    first = mastodon_peer.post_as(bo, "Mastodon says first", in_reply_to_id=sent["mastodon"]
                                  .remote_id)
    replier = person(bluesky_peer, "replier")
    last_masto = mastodon_peer.post_as(cy, "Mastodon says later",
                                       in_reply_to_id=sent["mastodon"].remote_id)
    a = datetime.fromisoformat(first["created_at"].replace("Z", "+00:00"))
    b = datetime.fromisoformat(last_masto["created_at"].replace("Z", "+00:00"))
    assert b > a
    uri = sent["bluesky"].remote_id
    record = post_record(bluesky_peer, uri)
    assert record is not None
    ref = {"uri": uri, "cid": record["cid"]}
    bluesky_peer.create_record(replier.seeded, "app.bsky.feed.post", {
        "text": "Bluesky in between", "createdAt": _iso(a + (b - a) / 2),
        "reply": {"root": ref, "parent": ref}})
    BLUESKY.react(replier.account, uri, "like")
    keys = nostr_peer.keygen()
    note = sent["nostr"].remote_id
    nostr_peer.publish(nostr_peer.sign(keys, "Nostr says last", tags=[["e", note, "", "root"]],
                                       created_at=int((b + timedelta(seconds=2)).timestamp())))
    nostr_peer.publish(nostr_peer.sign(keys, "+", kind=7, tags=[["e", note]]))
    fav = mastodon_peer._api(bo.access_token, "POST",
                             f"/api/v1/statuses/{sent['mastodon'].remote_id}/favourite")
    fav.raise_for_status()

    def appview_caught_up() -> bool:  # the AppView indexes what the PDS stored a moment later
        try:
            items = BLUESKY.conversation(replier.account, uri)
        except NotFound:  # not indexed yet
            return False
        root = [i for i in items if i.remote_id == uri]
        return len(items) == 2 and bool(root) and root[0].extra["counts"].get("like") == 1

    until(appview_caught_up, "the Bluesky AppView to show the reply and the like")
    client.force_login(owner)
    return {"post": post, "sent": sent, "peer": mastodon_peer}


def test_replies_from_three_networks_merged_in_time_order(broadcast: dict[str, Any],
                                                          client: Client) -> None:
    detail = client.get(f"/posts/{broadcast['post'].pk}/").content.decode()
    url = f"/posts/{broadcast['post'].pk}/replies/"
    assert url in detail
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_replies(html) == [
        ("mastodon", "Mastodon says first"),
        ("bluesky", "Bluesky in between"),
        ("mastodon", "Mastodon says later"),
        ("nostr", "Nostr says last"),
    ]
    assert network_counts(html, "mastodon") == {"Likes": "1", "Reposts": "0", "Replies": "2",
                                         "Shown here": "2"}
    assert network_counts(html, "bluesky") == {"Likes": "1", "Reposts": "0", "Replies": "1",
                                        "Shown here": "1"}
    assert network_counts(html, "nostr") == {"Likes": "1", "Reposts": "0", "Replies": "1",
                                      "Shown here": "1"}


def test_a_failing_network_shows_its_sentence_and_the_others_show(
        broadcast: dict[str, Any], client: Client) -> None:
    peer: MastodonPeer = broadcast["peer"]
    peer.add_fault({"type": "status", "status": 502, "body": {"error": "bad gateway"}},
                   path_regex=r"^/api/v1/statuses/", count=None)
    try:
        response = client.get(f"/posts/{broadcast['post'].pk}/replies/")
    finally:
        peer.clear_faults()
    assert response.status_code == 200
    html = response.content.decode()
    assert "did not give the conversation" in html
    assert shown_replies(html) == [("bluesky", "Bluesky in between"), ("nostr", "Nostr says last")]


def test_someone_else_gets_a_404(broadcast: dict[str, Any], client: Client) -> None:
    User.objects.create_user("eve", password=PASSWORD)
    client.login(username="eve", password=PASSWORD)
    assert client.get(f"/posts/{broadcast['post'].pk}/replies/").status_code == 404
    assert client.get(f"/posts/{'9' * 30}/replies/").status_code == 404


def test_a_reply_by_one_of_the_people_offers_no_add_to_a_person(
        broadcast: dict[str, Any], client: Client) -> None:
    """The replies page marks, as the deck does, a reply whose author is already one of the
    person's People (data-in-person: items.js then offers no "Add … to a person…")."""
    import re

    from hubbub.people import services as people
    from hubbub.timeline.models import Item

    url = f"/posts/{broadcast['post'].pk}/replies/"
    html = client.get(url).content.decode()
    assert "data-in-person" not in html
    first = Item.objects.get(text__contains="Mastodon says first")
    owner = broadcast["post"].user
    ana = people.create_person(owner, "Cy")
    people.add_account(ana, "mastodon", first.author_handle)
    html = client.get(url).content.decode()
    marked = re.findall(r'<article [^>]*data-item="(\d+)"[^>]*data-in-person', html)
    assert marked == [str(first.pk)]
