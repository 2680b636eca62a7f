"""Mastodon direct messages against mastodon-mock: the feed `direct` reads conversations as
items of kind "direct", and send_direct answers one as a direct status that replies to the
last message and mentions the other participants (networks/mastodon/direct.py)."""

from __future__ import annotations

import pytest

from hubbub.networks.base import DIRECT_FEED, Draft
from hubbub.networks.errors import Rejected
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.mastodon.direct import mentions_for, text_with_mentions
from tests.contract.test_mastodon_connector import account_for
from tests.peers.mastodon import MastodonPeer

CONNECTOR = MastodonConnector()


@pytest.mark.django_db
def test_a_direct_message_is_read_and_answered(mastodon_peer: MastodonPeer) -> None:
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    sent = mastodon_peer.post_as(friend, f"@{me.username} just between us", visibility="direct")
    account = account_for(mastodon_peer, me)

    page = CONNECTOR.fetch(account, DIRECT_FEED)
    [item] = [i for i in page.items if i.remote_id == str(sent["id"])]
    assert item.kind == "direct"
    assert item.author_handle == f"@{friend.username}@localhost"
    assert item.extra["participants"] == [f"@{friend.username}@localhost"]
    assert item.extra["participant_accts"] == [friend.username]
    assert item.extra["conversation"]
    assert "just between us" in item.text

    published = CONNECTOR.send_direct(
        account, {**item.extra, "remote_id": item.remote_id}, Draft(text="got it"), "dm-key-1")
    answer = mastodon_peer.status(friend, published.remote_id)
    assert answer["visibility"] == "direct"
    assert answer["in_reply_to_id"] == str(sent["id"])
    assert f"@{friend.username}" in answer["content"]
    # The same key again is the same status (Idempotency-Key), not a second message.
    again = CONNECTOR.send_direct(
        account, {**item.extra, "remote_id": item.remote_id}, Draft(text="got it"), "dm-key-1")
    assert again.remote_id == published.remote_id
    # The friend's side reads the answer as the conversation's newest message.
    theirs = CONNECTOR.fetch(account_for(mastodon_peer, friend), DIRECT_FEED)
    assert published.remote_id in [i.remote_id for i in theirs.items]


@pytest.mark.django_db
def test_a_public_post_is_no_direct_message(mastodon_peer: MastodonPeer) -> None:
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    mastodon_peer.post_as(friend, f"@{me.username} hello everyone", visibility="public")
    assert CONNECTOR.fetch(account_for(mastodon_peer, me), DIRECT_FEED).items == ()


@pytest.mark.django_db
def test_answering_a_conversation_with_nobody_else_is_refused(
        mastodon_peer: MastodonPeer) -> None:
    me = mastodon_peer.new_account()
    with pytest.raises(Rejected):
        CONNECTOR.send_direct(account_for(mastodon_peer, me),
                              {"participants": [f"@{me.username}@localhost"]},
                              Draft(text="hi"), "k")


def test_mentions_are_added_once_and_never_for_the_account_itself() -> None:
    conversation = {"participant_accts": ["ana", "bo@far.example", "me", "ana"]}
    accts = mentions_for(conversation, "@me@localhost")
    assert accts == ["ana", "bo@far.example"]
    assert text_with_mentions("hi @ana", accts) == "@bo@far.example hi @ana"
    assert text_with_mentions("@anabel hi", ["ana"]) == "@ana @anabel hi"
