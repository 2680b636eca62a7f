"""Each network's conversation read from its real local server: a thread of replies by other
accounts, read back through `Connector.conversation` from a post in its middle, and put in
reading order by networks/conversation.arrange (parents before replies, replies by time)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hubbub.networks.base import Account, Connector, Draft, Item
from hubbub.networks.conversation import arrange, replies_below
from hubbub.networks.errors import NotFound
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.nostr.connector import NostrConnector
from tests.integration.bluesky_support import CONNECTOR as BLUESKY
from tests.integration.bluesky_support import person
from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.waiting import until

MASTODON = MastodonConnector()
NOSTR = NostrConnector()


def _texts(items: list[Item]) -> list[str]:
    return [i.text.strip() for i in items]


def _layout(items: tuple[Item, ...], focus: str) -> list[tuple[str, int, bool]]:
    return [(p.item.text.strip(), p.depth, p.focus) for p in arrange(items, focus)]


EXPECTED = [("root", 0, False), ("first reply", 1, True), ("answer to the first", 2, False),
            ("second reply", 1, False)]


def test_mastodon_thread_in_order(mastodon_peer: MastodonPeer) -> None:
    ada, bo, cy = (mastodon_peer.new_account() for _ in range(3))
    account = Account(mastodon_peer.base_url, {"access_token": ada.access_token})
    root = mastodon_peer.post_as(ada, "root")
    first = mastodon_peer.post_as(bo, "first reply", in_reply_to_id=root["id"])
    mastodon_peer.post_as(cy, "answer to the first", in_reply_to_id=first["id"])
    mastodon_peer.post_as(cy, "second reply", in_reply_to_id=root["id"])
    items = MASTODON.conversation(account, str(first["id"]))
    assert _layout(items, str(first["id"])) == EXPECTED
    top = next(i for i in items if i.text.strip() == "root")
    assert top.extra["counts"]["reply"] == 2
    assert _texts(replies_below(items, top.remote_id)) == [
        "first reply", "answer to the first", "second reply"]


def test_bluesky_thread_in_order(bluesky_peer: BlueskyPeer) -> None:
    ada, bo, cy = (person(bluesky_peer, n) for n in ("ada", "bo", "cy"))
    root = BLUESKY.publish(ada.account, Draft("root"), "k-root", ())
    first = BLUESKY.reply(bo.account, root.remote_id, Draft("first reply"), "k-1")
    BLUESKY.reply(cy.account, first.remote_id, Draft("answer to the first"), "k-2")
    BLUESKY.reply(cy.account, root.remote_id, Draft("second reply"), "k-3")
    BLUESKY.react(cy.account, root.remote_id, "like")
    seen: list[Item] = []

    def whole() -> bool:  # the AppView indexes what the PDS stored a moment later
        try:
            seen[:] = BLUESKY.conversation(ada.account, first.remote_id)
        except NotFound:  # not indexed yet
            return False
        tops = [i for i in seen if i.remote_id == root.remote_id]
        return len(seen) == 4 and bool(tops) and tops[0].extra["counts"].get("like") == 1

    until(whole, "the AppView to show the whole thread")
    assert _layout(tuple(seen), first.remote_id) == EXPECTED
    top = next(i for i in seen if i.remote_id == root.remote_id)
    assert top.extra["counts"]["reply"] == 2


def test_nostr_thread_in_order_with_reactions_counted(nostr_peer: NostrPeer) -> None:
    connected = NOSTR.connect_with_token(nostr_peer.url, {"nsec": ""})
    account = Account(connected.base_url, connected.credentials, connected.identity.remote_id)
    root = NOSTR.publish(account, Draft("root"), "k-root", ())
    bo, cy = nostr_peer.keygen(), nostr_peer.keygen()
    first = nostr_peer.sign(bo, "first reply", created_at=_at(root, 1),
                            tags=[["e", root.remote_id, "", "root"]])
    nostr_peer.publish(first)
    for who, text, tags, later in (
        (cy, "answer to the first", [["e", root.remote_id, "", "root"],
                                     ["e", first["id"], "", "reply"]], 2),
        (cy, "second reply", [["e", root.remote_id, "", "root"]], 3),
    ):
        nostr_peer.publish(nostr_peer.sign(who, text, tags=tags, created_at=_at(root, later)))
    for who in (bo, cy):  # two likes of the root, one repost of the first reply
        nostr_peer.publish(nostr_peer.sign(who, "+", kind=7, tags=[["e", root.remote_id]]))
    nostr_peer.publish(nostr_peer.sign(cy, "", kind=6, tags=[["e", first["id"]]]))
    nostr_peer.publish(nostr_peer.sign(bo, "-", kind=7, tags=[["e", root.remote_id]]))
    items = NOSTR.conversation(account, first["id"])
    assert _layout(items, first["id"]) == EXPECTED
    counts = {i.text.strip(): i.extra["counts"] for i in items}
    assert counts["root"] == {"reply": 2, "repost": 0, "like": 2}
    assert counts["first reply"] == {"reply": 1, "repost": 1, "like": 0}


def _at(published: object, seconds: int) -> int:
    created = getattr(published, "created_at", None)
    assert created is not None
    return int(created.timestamp()) + seconds


@pytest.mark.parametrize(("network", "name"), [("x", "X")])
def test_networks_without_conversations_say_why(network: str, name: str) -> None:
    """The contract's default answer names the network and what to do instead."""
    stand_in = SimpleNamespace(slug=network, name=name)
    with pytest.raises(NotImplementedError, match=rf"^{name}.*open the post on"):
        Connector.conversation(stand_in, Account("https://example.invalid", {}), "1")  # type: ignore[arg-type]
