"""A reply from the inbox names whom it answers, as the deck's reply does (issue 12 #2), against
mastodon-mock: the box starts with the author's @handle and the others the status named (not
the account itself; those of its own server as "@user", as Mastodon's client writes them), so
they are notified; before, the box started empty and the reply
went out in_reply_to with no mention, which Mastodon notifies no one of."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.inbox.models import Answer
from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.timeline.models import Item
from tests.conversations.helpers import PASSWORD, connect
from tests.inbox.test_inbox_mastodon import _poll_inbox, _token
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _reply_box(page: str, item: Item) -> str:
    found = re.search(rf'<textarea id="reply-{item.pk}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "a reply box for the entry"
    return html.unescape(found.group(1))


def _mentions_of(peer: MastodonPeer, who: SeededAccount) -> list[str]:
    """The ids of the statuses `who` was notified of as mentions."""
    response = peer.http.get(peer.base_url + "/api/v1/notifications",
                             params={"types[]": "mention"}, timeout=10,
                             headers={"Authorization": f"Bearer {who.access_token}"})
    response.raise_for_status()
    return [str(n["status"]["id"]) for n in response.json()
            if n.get("type") == "mention" and n.get("status")]


def test_an_inbox_reply_names_the_author_and_the_others(mastodon_peer: MastodonPeer,
                                                        client: Client) -> None:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    me, ana, bo = (mastodon_peer.new_account() for _ in range(3))
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    status = mastodon_peer.post_as(ana, f"Hey @{me.username} and @{bo.username}, dinner?")
    client.force_login(owner)
    assert client.get("/inbox/").status_code == 200

    def arrived() -> bool:
        _poll_inbox(owner)
        return Item.objects.filter(connection=connection, remote_id=status["id"]).exists()
    until(arrived, "the mention read into the inbox")
    item = Item.objects.get(connection=connection, remote_id=status["id"])
    page = client.get("/inbox/").content.decode()
    opening = _reply_box(page, item)
    # Accounts of the same server, named as Mastodon's web client names them.
    assert opening == f"@{ana.username} @{bo.username} "

    client.post(f"/inbox/{item.pk}/reply/",
                {"text": opening + "Yes! see you at 8", "token": _token(page, item)})
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = Answer.objects.get(item=item).post.deliveries.get()  # type: ignore[union-attr]
    assert delivery.remote_id
    sent = mastodon_peer.status(ana, delivery.remote_id)
    assert sent["in_reply_to_id"] == status["id"]
    assert {m["username"] for m in sent["mentions"]} == {ana.username, bo.username}
    assert delivery.remote_id in _mentions_of(mastodon_peer, ana)
    assert delivery.remote_id in _mentions_of(mastodon_peer, bo)


def test_a_reply_to_oneself_names_no_one(mastodon_peer: MastodonPeer, client: Client) -> None:
    """The account's own status (its thread, read back) opens an empty box, as the deck's."""
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    me = mastodon_peer.new_account()
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    status = mastodon_peer.post_as(me, f"Note to self @{me.username}")
    from tests.conversations.helpers import read_into_deck

    item = read_into_deck(connection, "home", status["id"])
    from hubbub.timeline.replies import reply_opening

    assert reply_opening(item) == ""


def test_accounts_of_other_servers_keep_their_domain() -> None:
    from hubbub.connections.models import Connection
    from hubbub.timeline.replies import reply_opening

    mine = Connection(network="mastodon", handle="@ada@here.example")
    item = Item(connection=mine, network="mastodon", author_handle="@zoe@there.example",
                extra={"mentioned": ["@ada@here.example", "@bo@here.example",
                                     "@ZOE@there.example", "@eve@third.example"]})
    assert reply_opening(item) == "@zoe@there.example @bo @eve@third.example "
    nostr = Item(connection=Connection(network="nostr", handle="npub1ada"), network="nostr",
                 author_handle="npub1zoe", extra={})
    assert reply_opening(nostr) == ""
