"""A Nostr mention or reply from someone the account follows reaches the inbox (issue 12 #1),
against the real relay. Such a note is in two feeds at once: home (its author is followed) and
mentions (it p-tags the account). The live subscription delivered an event id once across all
its feeds, so it arrived under whichever came first (home, often) and never under mentions; and
the item kept the kind of its first read, `post`, which the inbox does not list."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.inbox import selectors, sources
from hubbub.networks.base import Account
from hubbub.networks.nostr import keys
from hubbub.timeline.models import Feed, FeedEntry, Item
from hubbub.timeline.polling import mark_watched, poll_feed
from hubbub.timeline.selectors import ensure_feed
from hubbub.timeline.streaming import StreamSupervisor
from tests.inbox.test_inbox_nostr import _npubs_only_in_titles
from tests.peers.nostr import NostrKeys, NostrPeer
from tests.timeline.conftest import connection_of, make_column, supervisor
from tests.waiting import until

__all__ = ["supervisor"]

pytestmark = pytest.mark.django_db(transaction=True)


def _ada_following(peer: NostrPeer, *followed: NostrKeys) -> tuple[User, NostrKeys, Feed, Feed]:
    """ada, whose kind-3 list follows `followed`, with her home feed in a column and the
    inbox's feeds (mentions, direct)."""
    user = User.objects.create_user("ada")
    ada = peer.keygen()
    assert peer.publish(peer.sign(ada, "", kind=3,
                                  tags=[["p", who.pk] for who in followed])).ok
    account = Account(base_url=peer.url,
                      credentials={"secret_key_hex": ada.sk, "relays": [peer.url]},
                      remote_id=ada.pk, handle=keys.npub(ada.pk))
    connection = connection_of(user, "nostr", account)
    home = ensure_feed(connection, "home")
    make_column(user, [home])
    sources.ensure_feeds(user)
    mentions = Feed.objects.get(connection=connection, key="mentions")
    return user, ada, home, mentions


def _inbox_texts(user: User) -> list[str]:
    return sorted(item.text for item in selectors.entries(user))


def test_a_followed_persons_mention_read_by_home_first_reaches_the_inbox(
        nostr_peer: NostrPeer) -> None:
    zed = nostr_peer.keygen()
    user, ada, home, mentions = _ada_following(nostr_peer, zed)
    note = nostr_peer.sign(zed, "zed mentions you", tags=[["p", ada.pk]],
                           created_at=int(time.time()) - 5)
    assert nostr_peer.publish(note).ok
    assert poll_feed(Feed.objects.select_related("connection").get(pk=home.pk)).new_in_feed == 1
    assert Item.objects.get(remote_id=note["id"]).kind == "post"  # as home reads it
    assert poll_feed(Feed.objects.select_related("connection")
                     .get(pk=mentions.pk)).new_in_feed == 1
    assert Item.objects.get(remote_id=note["id"]).kind == "mention"
    assert _inbox_texts(user) == ["zed mentions you"]


def test_followed_peoples_mentions_and_replies_stream_into_the_inbox(
        nostr_peer: NostrPeer, supervisor: StreamSupervisor) -> None:
    zed, ana = nostr_peer.keygen(), nostr_peer.keygen()
    user, ada, home, mentions = _ada_following(nostr_peer, zed, ana)
    stranger = nostr_peer.keygen()
    broadcast = nostr_peer.sign(ada, "My broadcast", created_at=int(time.time()) - 5)
    assert nostr_peer.publish(broadcast).ok
    mark_watched([home, mentions])
    until(lambda: any(r.connected.is_set() for r in supervisor.runners.values()),
          "the connection's stream open (the relay's stored events read)")
    sent = [
        nostr_peer.sign(stranger, "a stranger mentions you", tags=[["p", ada.pk]]),
        nostr_peer.sign(zed, "zed mentions you again", tags=[["p", ada.pk]]),
        nostr_peer.sign(ana, "Love it (Nostr reply)",
                        tags=[["e", broadcast["id"], "", "root"], ["p", ada.pk]]),
    ]
    for event in sent:
        assert nostr_peer.publish(event).ok
    ids = [event["id"] for event in sent]
    until(lambda: FeedEntry.objects.filter(feed=mentions, item__remote_id__in=ids).count() == 3,
          "the three notes in the mentions feed")
    until(lambda: FeedEntry.objects.filter(feed=home, item__remote_id__in=ids).count() == 2,
          "the followed people's two notes in home")
    kinds = dict(Item.objects.filter(remote_id__in=ids).values_list("text", "kind"))
    assert kinds == {"a stranger mentions you": "mention", "zed mentions you again": "mention",
                     "Love it (Nostr reply)": "reply"}
    assert _inbox_texts(user) == ["Love it (Nostr reply)", "a stranger mentions you",
                                  "zed mentions you again"]


def test_npubs_are_shown_short_in_the_inbox_and_the_conversation(
        nostr_peer: NostrPeer, client: Client) -> None:
    """Issue 12 #14: the inbox's "to npub1…", "Reply from npub1…" and the conversation page's
    header and actions show npub1abcd…wxyz (the whole one in a title), as the deck does."""
    zed = nostr_peer.keygen()
    user, ada, _home, mentions = _ada_following(nostr_peer, zed)
    note = nostr_peer.sign(zed, "zed mentions you", tags=[["p", ada.pk]])
    assert nostr_peer.publish(note).ok
    poll_feed(Feed.objects.select_related("connection").get(pk=mentions.pk))
    item = Item.objects.get(remote_id=note["id"])
    client.force_login(user)
    page = client.get("/inbox/").content.decode()
    assert f"to {short_id(keys.npub(ada.pk))}</span>" in page
    assert f"Reply from {short_id(keys.npub(ada.pk))}" in page
    assert f"Reply to {short_id(keys.npub(zed.pk))} on Nostr" in page
    _npubs_only_in_titles(page)
    response = client.get(f"/deck/items/{item.pk}/conversation/")
    assert response.status_code == 200, response.content.decode()[-1500:]
    conversation = response.content.decode()
    assert f"Add {short_id(keys.npub(zed.pk))} to a person" in conversation
    lede = conversation.split('class="lede"', 1)[1].split("</p>", 1)[0]
    assert short_id(keys.npub(zed.pk)) in lede
    assert short_id(keys.npub(ada.pk)) in lede
    _npubs_only_in_titles(conversation)
