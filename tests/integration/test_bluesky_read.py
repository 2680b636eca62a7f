"""Reading and engaging on the real dev-env network, through the PDS (which proxies app.bsky.*
to the AppView): timelines with reposts and quotes, notifications of every kind, mentions,
author and list feeds, search, cursor paging; like, repost, delete."""

from __future__ import annotations

from typing import Any

import pytest

from hubbub.networks.base import Draft, Item
from hubbub.networks.bluesky import connector as connector_module
from hubbub.networks.errors import Rejected
from tests.integration.bluesky_support import CONNECTOR, Person, person, post_record, wait_for
from tests.peers.bluesky import BlueskyPeer, now_iso


def _items(who: Person, feed: str) -> list[Item]:
    return list(CONNECTOR.fetch(who.account, feed).items)


def _ref(uri: str, peer: BlueskyPeer) -> dict[str, str]:
    record = post_record(peer, uri)
    assert record is not None
    return {"uri": uri, "cid": record["cid"]}


@pytest.fixture
def scene(bluesky_peer: BlueskyPeer) -> dict[str, Any]:
    """Alice posts; Bob follows her, likes and reposts it, replies, mentions her; Carol quotes
    it and follows her."""
    alice, bob, carol = (person(bluesky_peer, n) for n in ("alice", "bob", "carol"))
    bluesky_peer.follow(bob.seeded, alice.seeded)
    post = CONNECTOR.publish(alice.account, Draft("the original"), "k-orig", ())
    wait_for(lambda: post_record(bluesky_peer, post.remote_id))
    # Let the AppView index the post before anything refers to it (a reply indexed together
    # with its parent can miss its notification on dev-env's AppView).
    wait_for(lambda: [i for i in _items(alice, "author") if i.remote_id == post.remote_id])
    like = CONNECTOR.react(bob.account, post.remote_id, "like")
    repost = CONNECTOR.react(bob.account, post.remote_id, "repost")
    reply = CONNECTOR.reply(bob.account, post.remote_id, Draft("a reply"), "k-reply")
    mention = CONNECTOR.publish(bob.account, Draft(f"hey @{alice.handle}"), "k-mention", ())
    quote = bluesky_peer.create_record(carol.seeded, "app.bsky.feed.post", {
        "text": "quoting it", "createdAt": now_iso(),
        "embed": {"$type": "app.bsky.embed.record",
                  "record": _ref(post.remote_id, bluesky_peer)}})
    bluesky_peer.follow(carol.seeded, alice.seeded)
    return {"alice": alice, "bob": bob, "carol": carol, "post": post, "like": like,
            "repost": repost, "reply": reply, "mention": mention, "quote": quote["uri"]}


def test_notifications_of_every_kind(scene: dict[str, Any]) -> None:
    alice = scene["alice"]
    kinds = {"like", "repost", "reply", "mention", "quote", "follow"}
    seen: list[Item] = []

    def all_kinds() -> list[Item]:
        seen[:] = _items(alice, "notifications")
        return seen if kinds <= {i.kind for i in seen} else []

    def everything() -> list[Item]:  # both follows too: carol's comes last
        found = all_kinds()
        return found if len([i for i in found if i.kind == "follow"]) == 2 else []

    try:
        items = wait_for(everything)
    except TimeoutError:
        pytest.fail(f"missing {kinds - {i.kind for i in seen}}; got {[i.kind for i in seen]}")
    by_kind = {i.kind: i for i in items}
    assert by_kind["like"].remote_id == scene["like"]
    assert by_kind["like"].extra["subject_uri"] == scene["post"].remote_id
    assert by_kind["like"].extra["subject_text"] == "the original"
    assert by_kind["repost"].remote_id == scene["repost"]
    assert by_kind["reply"].remote_id == scene["reply"].remote_id
    assert by_kind["reply"].text == "a reply"
    assert by_kind["mention"].remote_id == scene["mention"].remote_id
    assert by_kind["quote"].remote_id == scene["quote"]
    assert {i.author_handle for i in items if i.kind == "follow"} == {
        f"@{scene['bob'].handle}", f"@{scene['carol'].handle}"}
    assert all(i.created_at.tzinfo is not None for i in items)


def test_mentions_are_mentions_replies_and_quotes(scene: dict[str, Any]) -> None:
    items = wait_for(lambda: (found := _items(scene["alice"], "mentions")) and len(found) >= 3
                     and found)
    assert sorted(i.kind for i in items) == ["mention", "quote", "reply"]


def test_reposts_and_quotes_shown_as_such(bluesky_peer: BlueskyPeer,
                                          scene: dict[str, Any]) -> None:
    bob, post = scene["bob"], scene["post"]
    timeline = wait_for(lambda: (found := _items(bob, "home"))
                        and any(i.kind == "repost" for i in found) and found)
    [repost] = [i for i in timeline if i.kind == "repost"]
    assert repost.remote_id == scene["repost"]
    assert repost.extra["original_id"] == post.remote_id
    assert repost.extra["reposted_by"] == f"@{bob.handle}"
    assert repost.text == "the original"
    [original] = [i for i in timeline if i.remote_id == post.remote_id]
    assert original.extra["my_like"] == scene["like"]
    assert original.extra["my_repost"] == scene["repost"]
    [quote] = wait_for(lambda: [i for i in _items(scene["carol"], "author")
                                if i.kind == "quote"])
    assert quote.extra["quote"]["uri"] == post.remote_id
    assert quote.extra["quote"]["text"] == "the original"


def test_liking_twice_is_one_like_and_delete_undoes_it(bluesky_peer: BlueskyPeer,
                                                       scene: dict[str, Any]) -> None:
    bob, post = scene["bob"], scene["post"]
    assert CONNECTOR.react(bob.account, post.remote_id, "like") == scene["like"]
    likes = bluesky_peer.xrpc("GET", "com.atproto.repo.listRecords",
                              params={"repo": bob.did, "collection": "app.bsky.feed.like"})
    assert [r["uri"] for r in likes["records"]] == [scene["like"]]
    CONNECTOR.delete(bob.account, scene["like"])
    assert post_record(bluesky_peer, scene["like"]) is None
    with pytest.raises(NotImplementedError):
        CONNECTOR.react(bob.account, post.remote_id, "bookmark")
    # A repost (as a timeline keys it) stands for the post it reposts.
    carol = scene["carol"]
    assert CONNECTOR.react(carol.account, scene["repost"], "like").startswith(f"at://{carol.did}")
    assert CONNECTOR.react(carol.account, f"{post.remote_id}#reposted-by:{bob.did}", "like") \
        == CONNECTOR.react(carol.account, post.remote_id, "like")
    with pytest.raises(Rejected, match="does not name a Bluesky post"):
        CONNECTOR.react(scene["alice"].account, scene["like"], "like")  # a like, not a post


def test_delete_own_posts_only(bluesky_peer: BlueskyPeer, scene: dict[str, Any]) -> None:
    alice, bob, post = scene["alice"], scene["bob"], scene["post"]
    with pytest.raises(Rejected, match="own posts"):
        CONNECTOR.delete(bob.account, post.remote_id)
    CONNECTOR.delete(alice.account, post.remote_id)
    assert post_record(bluesky_peer, post.remote_id) is None
    CONNECTOR.delete(alice.account, post.remote_id)  # already gone: fine


def test_author_list_and_search_feeds(bluesky_peer: BlueskyPeer) -> None:
    alice, bob = person(bluesky_peer, "lister"), person(bluesky_peer, "listed")
    word = f"zebra{bob.did[-6:]}"
    post = CONNECTOR.publish(bob.account, Draft(f"a post about {word}"), "k-list", ())
    listed = bluesky_peer.create_record(alice.seeded, "app.bsky.graph.list", {
        "purpose": "app.bsky.graph.defs#curatelist", "name": "Friends", "createdAt": now_iso()})
    bluesky_peer.create_record(alice.seeded, "app.bsky.graph.listitem", {
        "subject": bob.did, "list": listed["uri"], "createdAt": now_iso()})

    def has_post(feed: str) -> list[Item]:
        return [i for i in _items(alice, feed) if i.remote_id == post.remote_id]

    wait_for(lambda: has_post(f"author:{bob.handle}"))
    wait_for(lambda: has_post(f"author:{bob.did}"))
    wait_for(lambda: has_post(f"list:{listed['uri']}"))
    wait_for(lambda: has_post(f"search:{word}"))
    assert [i.remote_id for i in _items(bob, "author")] == [post.remote_id]  # own by default
    for feed in ("list", "search", "bookmarks"):
        with pytest.raises(NotImplementedError):
            CONNECTOR.fetch(alice.account, feed)


def test_cursor_paging(bluesky_peer: BlueskyPeer, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = person(bluesky_peer, "pager")
    published = [CONNECTOR.publish(alice.account, Draft(f"post {n}"), f"k-page-{n}", ()).remote_id
                 for n in range(5)]
    wait_for(lambda: len(_items(alice, "author")) == 5)
    monkeypatch.setattr(connector_module, "PAGE_SIZE", 2)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = CONNECTOR.fetch(alice.account, "author", cursor)
        pages += 1
        assert len(page.items) <= 2
        seen += [i.remote_id for i in page.items]
        if not page.next_cursor or not page.items:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(published)
    assert len(seen) == len(set(seen))
    assert pages >= 3
