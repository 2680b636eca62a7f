"""A reply from the deck names everyone the status named, as the inbox's does (issue 12 #2,
against mastodon-mock): the deck's composer started with the author's full handle only, so the
others a Mastodon status named were dropped and never told of the reply."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery
from tests.conversations.helpers import PASSWORD, connect, read_into_deck
from tests.inbox.test_inbox_reply_mentions import _mentions_of
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deck_reply_notifies_everyone_the_status_named(mastodon_peer: MastodonPeer,
                                                         client: Client) -> None:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    me, ana, bo = (mastodon_peer.new_account() for _ in range(3))
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    status = mastodon_peer.post_as(ana, f"Hey @{me.username} and @{bo.username}, dinner?")
    item = read_into_deck(connection, "mentions", status["id"])
    client.force_login(owner)
    compose = reverse("publishing:compose")
    page = client.get(compose, {"reply_to": item.pk}).content.decode()
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "the composer's text box"
    opening = html.unescape(found.group(1)).strip("\r\n")
    # The author and the other one named, not the account itself; the same server's as "@user".
    assert opening == f"@{ana.username} @{bo.username} "

    response = client.post(compose, {"action": "now", "text": opening + "Yes! see you at 8",
                                     "targets": [connection.pk], "reply_to": item.pk})
    assert response.status_code == 302
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = Delivery.objects.get(connection=connection)
    assert delivery.remote_id
    sent = mastodon_peer.status(ana, delivery.remote_id)
    assert sent["in_reply_to_id"] == status["id"]
    assert {m["username"] for m in sent["mentions"]} == {ana.username, bo.username}
    assert delivery.remote_id in _mentions_of(mastodon_peer, ana)
    assert delivery.remote_id in _mentions_of(mastodon_peer, bo)
