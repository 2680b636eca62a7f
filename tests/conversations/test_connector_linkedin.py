"""LinkedIn's conversation read from its stand-in (tests/peers/linkedin): a post published
through the connector, comments and a reply to a comment made by other members on the
stand-in, read back through `Connector.conversation` (from the post or from a comment) with
each item naming its parent; a login without the permission to read comments says so."""

from __future__ import annotations

import time

import pytest

from hubbub.networks.base import Draft, Item
from hubbub.networks.conversation import arrange
from hubbub.networks.errors import ConnectorError, NotFound
from tests.integration.linkedin_support import SCOPES, LinkedInWorld, make_li_world
from tests.peers.linkedin.peer import LinkedInPeer


@pytest.fixture
def li_world(li_peer: LinkedInPeer, monkeypatch: pytest.MonkeyPatch) -> LinkedInWorld:
    return make_li_world(li_peer, monkeypatch)


def _parents(items: tuple[Item, ...]) -> dict[str, str]:
    by_id = {i.remote_id: i.text for i in items}
    return {i.text: by_id.get(str(i.extra.get("in_reply_to", "")), "") for i in items}


@pytest.mark.parametrize("top_level_only", [False, True])
def test_linkedin_post_with_comments_and_a_reply(li_world: LinkedInWorld,
                                                 top_level_only: bool) -> None:
    """Whether the post's list holds the replies to comments, or only the comments (the
    replies read through the comment's URN), the conversation is the same."""
    li_world.peer.settings(top_level_comments=top_level_only)
    account = li_world.member_account()
    root = li_world.connector.publish(account, Draft("root"), "k-root", ())
    bo, cy = li_world.peer.create_member("Bo"), li_world.peer.create_member("Cy")
    start = time.time() + 1
    first = li_world.peer.comment_as(bo, root.remote_id, "first comment", created_at=start)
    li_world.peer.comment_as(cy, root.remote_id, "answer to the first",
                             parent=first["commentUrn"], created_at=start + 10)
    li_world.peer.comment_as(cy, root.remote_id, "second comment", created_at=start + 20)
    for opened in (root.remote_id, first["commentUrn"]):
        items = li_world.connector.conversation(account, opened)
        assert [i.text for i in items] == ["root", "first comment", "answer to the first",
                                           "second comment"]
        assert _parents(items) == {"root": "", "first comment": "root",
                                   "answer to the first": "first comment",
                                   "second comment": "root"}
        assert [(p.item.text, p.depth) for p in arrange(items)] == [
            ("root", 0), ("first comment", 1), ("answer to the first", 2),
            ("second comment", 1)]
        assert items[0].extra["counts"] == {"reply": 2}
        assert items[0].author_name == account.handle
    paths = [str(r.get("path")) for r in li_world.peer.requests()]
    assert any("urn%3Ali%3Acomment" in p for p in paths) == top_level_only


def test_linkedin_gone_post_and_a_missing_permission(li_world: LinkedInWorld) -> None:
    account = li_world.member_account()
    root = li_world.connector.publish(account, Draft("root"), "k-root", ())
    li_world.connector.delete(account, root.remote_id)
    with pytest.raises(NotFound):
        li_world.connector.conversation(account, root.remote_id)
    unread = li_world.member_account("Dee", scopes=tuple(SCOPES))
    mine = li_world.connector.publish(unread, Draft("mine"), "k-mine", ())
    with pytest.raises(ConnectorError, match="r_member_social"):
        li_world.connector.conversation(unread, mine.remote_id)
