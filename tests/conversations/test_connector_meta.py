"""Facebook's, Threads' and Instagram's conversations read from their stand-ins
(tests/peers/facebook, tests/peers/threads, tests/peers/instagram): a post published through
the connector, comments and a reply to a comment made by other people on the stand-in, read
back through `Connector.conversation` with each item naming its parent, put in reading order
by networks/conversation.arrange. A revoked login and a post that is gone answer the
connector's error classes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hubbub.networks.base import Draft, Item
from hubbub.networks.conversation import arrange
from hubbub.networks.errors import NotFound, Revoked
from tests.integration.facebook_support import FBWorld, make_fb_world
from tests.integration.instagram_support import IGWorld, make_ig_world
from tests.integration.threads_support import ThreadsWorld, make_threads_world
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.instagram.peer import InstagramPeer
from tests.peers.threads.peer import ThreadsPeer


@pytest.fixture
def fb_world(fb_peer: FacebookPeer, monkeypatch: pytest.MonkeyPatch) -> FBWorld:
    return make_fb_world(fb_peer, monkeypatch)


@pytest.fixture
def threads_world(threads_peer: ThreadsPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
                  live_server: Any, tmp_path: Path) -> ThreadsWorld:
    return make_threads_world(threads_peer, monkeypatch, settings, live_server.url,
                              tmp_path / "media")


@pytest.fixture
def ig_world(instagram_peer: InstagramPeer, monkeypatch: pytest.MonkeyPatch, settings: Any,
             live_server: Any, tmp_path: Path) -> IGWorld:
    return make_ig_world(instagram_peer, monkeypatch, settings, live_server.url,
                         tmp_path / "media")


def _layout(items: tuple[Item, ...]) -> list[tuple[str, int]]:
    return [(p.item.text.strip(), p.depth) for p in arrange(items)]


def _parents(items: tuple[Item, ...]) -> dict[str, str]:
    by_id = {i.remote_id: i.text for i in items}
    return {i.text: by_id.get(str(i.extra.get("in_reply_to", "")), "")
            for i in items}


def test_facebook_post_with_comments_and_a_reply(fb_world: FBWorld) -> None:
    account, _, _ = fb_world.account()
    bo, cy = fb_world.peer.create_user("Bo"), fb_world.peer.create_user("Cy")
    root = fb_world.connector.publish(account, Draft("root"), "k-root", ())
    start = time.time() + 1  # after the post, a second apart: the APIs give whole seconds
    first = fb_world.peer.comment_as(bo, root.remote_id, "first comment", start)
    fb_world.peer.comment_as(cy, first["id"], "answer to the first", start + 10)
    fb_world.peer.comment_as(cy, root.remote_id, "second comment", start + 20)
    items = fb_world.connector.conversation(account, root.remote_id)
    assert [i.text for i in items] == ["root", "first comment", "answer to the first",
                                       "second comment"]
    assert _parents(items) == {"root": "", "first comment": "root",
                               "answer to the first": "first comment",
                               "second comment": "root"}
    assert _layout(items) == [("root", 0), ("first comment", 1), ("answer to the first", 2),
                              ("second comment", 1)]
    assert items[0].kind == "post"
    assert items[0].extra["counts"] == {"reply": 2}
    assert items[1].extra["counts"] == {"reply": 1}


def test_facebook_gone_post_and_revoked_login(fb_world: FBWorld) -> None:
    account, user, _ = fb_world.account()
    with pytest.raises(NotFound):
        fb_world.connector.conversation(account, "1234_5678")
    root = fb_world.connector.publish(account, Draft("root"), "k-root", ())
    fb_world.peer.deauthorize(user, fb_world.app_id)
    with pytest.raises(Revoked):
        fb_world.connector.conversation(account, root.remote_id)


def test_threads_post_with_replies_and_a_reply_to_a_reply(threads_world: ThreadsWorld) -> None:
    account, _ = threads_world.account()
    bo, cy = threads_world.person("bo_replies"), threads_world.person("cy_replies")
    root, _ = threads_world.publish(account, Draft("root"))
    start = time.time() + 1  # after the post, a second apart: the APIs give whole seconds
    first = threads_world.peer.reply_as(bo, root.remote_id, "first reply", start)
    answer = threads_world.peer.reply_as(cy, first["id"], "answer to the first", start + 10)
    threads_world.peer.reply_as(cy, root.remote_id, "second reply", start + 20)
    for opened in (root.remote_id, answer["id"]):  # from the root, or from deep inside
        items = threads_world.connector.conversation(account, opened)
        assert [i.text for i in items] == ["root", "first reply", "answer to the first",
                                           "second reply"]
        assert _parents(items) == {"root": "", "first reply": "root",
                                   "answer to the first": "first reply",
                                   "second reply": "root"}
        assert _layout(items) == [("root", 0), ("first reply", 1),
                                  ("answer to the first", 2), ("second reply", 1)]
        assert items[0].kind == "post"
        assert items[0].extra["counts"] == {"reply": 2}
        assert items[1].author_handle == "@bo_replies"


def test_threads_gone_post_and_expired_login(threads_world: ThreadsWorld) -> None:
    account, user = threads_world.account()
    with pytest.raises(NotFound):
        threads_world.connector.conversation(account, "999999999")
    root, _ = threads_world.publish(account, Draft("root"))
    threads_world.peer.deauthorize(user, threads_world.app_id)
    with pytest.raises(Revoked):
        threads_world.connector.conversation(account, root.remote_id)


def test_instagram_post_with_comments_and_a_reply(ig_world: IGWorld) -> None:
    account = ig_world.account()
    draft = Draft(text="root", media=(ig_world.picture("r.jpg", (200, 0, 0)),))
    ids = tuple(ig_world.connector.upload_media(account, m) for m in draft.media)
    prepared = {"stage": ig_world.connector.stage(account, draft, ids, {})}
    root = ig_world.connector.publish(account, draft, "k", ids, prepared)
    start = time.time() + 1
    first = ig_world.peer.comment_as(root.remote_id, "first comment", username="bo.says",
                                     created_at=start)
    ig_world.peer.comment_as(root.remote_id, "answer to the first", username="cy.says",
                             reply_to=first["id"], created_at=start + 10)
    ig_world.peer.comment_as(root.remote_id, "second comment", username="cy.says",
                             created_at=start + 20)
    for opened in (root.remote_id, "c_" + first["id"]):  # from the post, or from a comment
        items = ig_world.connector.conversation(account, opened)
        assert [i.text for i in items] == ["root", "first comment", "answer to the first",
                                           "second comment"]
        assert _parents(items) == {"root": "", "first comment": "root",
                                   "answer to the first": "first comment",
                                   "second comment": "root"}
        assert _layout(items) == [("root", 0), ("first comment", 1),
                                  ("answer to the first", 2), ("second comment", 1)]
        assert items[0].extra["counts"]["reply"] == 3
        assert items[1].author_handle == "@bo.says"


def test_instagram_gone_post_and_changed_password(ig_world: IGWorld) -> None:
    user = ig_world.person()
    account = ig_world.account(user)
    with pytest.raises(NotFound):
        ig_world.connector.conversation(account, "999999999")
    ig_world.peer.change_password(user)
    with pytest.raises(Revoked):
        ig_world.connector.conversation(account, "999999999")
