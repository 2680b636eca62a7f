"""A Nostr direct message (NIP-17) against the real relay: sent to the hub's account by
another key, it lands in the inbox with no column, and the answer written there reaches the
sender as a direct message of the same conversation, once."""

from __future__ import annotations

import re
import secrets

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.inbox.models import Answer
from hubbub.networks.base import DIRECT_FEED, Account, Draft
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.timeline import polling
from hubbub.timeline.models import Item
from tests.conversations.helpers import PASSWORD, connect
from tests.inbox.test_inbox_mastodon import _token
from tests.peers.nostr import NostrPeer
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)
NOSTR = NostrConnector()
NPUB = re.compile(r"npub1[02-9ac-hj-np-z]{58}")


def _npubs_only_in_titles(page: str) -> None:
    """A whole npub (63 characters) is never shown as text: only in a title or an address."""
    shown = re.sub(r'(title|href|action|value|data-[\w-]+)="[^"]*"', "", page)
    assert not NPUB.findall(shown)


def test_a_nostr_direct_message_lands_and_is_answered(nostr_peer: NostrPeer,
                                                      client: Client) -> None:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    connection = connect(owner, "nostr", nostr_peer.url, {"nsec": ""})
    friend = nostr_peer.keygen()
    theirs = Account(base_url=nostr_peer.url, credentials={
        "secret_key_hex": friend.sk, "relays": [nostr_peer.url]},
        remote_id=friend.pk, handle=keys.npub(friend.pk))
    text = f"Are you coming tonight? {secrets.token_hex(3)}"
    room = {"conversation": ",".join(sorted([friend.pk, connection.remote_id]))}
    sent = NOSTR.send_direct(theirs, room, Draft(text=text), "friend-key-1")

    client.force_login(owner)
    assert client.get("/inbox/").status_code == 200

    def arrived() -> bool:
        for feed in polling.due_feeds():
            if feed.connection_id == connection.pk and polling.claim(feed):
                polling.poll_feed(feed)
        return Item.objects.filter(connection=connection, remote_id=sent.remote_id).exists()
    until(arrived, "the Nostr message read into the inbox")
    page = client.get("/inbox/?show=direct").content.decode()
    assert text in page
    # npubs shown short, whole in a title only (issue 12 #14): "With", "on", "Answer from"...
    theirs_short, mine_short = short_id(keys.npub(friend.pk)), short_id(connection.handle)
    assert f">{theirs_short}</strong>" in page
    assert f"Answer from {mine_short}" in page
    assert f"Message to {theirs_short}" in page
    _npubs_only_in_titles(page)

    item = Item.objects.get(connection=connection, remote_id=sent.remote_id)
    token = _token(page, item)
    for _ in range(2):
        client.post(f"/inbox/{item.pk}/reply/", {"text": "Yes, at eight", "token": token})
    answer = Answer.objects.get(item=item)
    assert answer.state == Answer.SENT, answer.error
    got = [i for i in NOSTR.fetch(theirs, DIRECT_FEED).items if i.text == "Yes, at eight"]
    assert len(got) == 1
    assert got[0].extra["conversation"] == room["conversation"]
