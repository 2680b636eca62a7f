"""networks/bluesky/items.py on views recorded from the reference AppView (fixtures/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hubbub.networks.bluesky
from hubbub.networks.bluesky import items

FIXTURES = Path(hubbub.networks.bluesky.__file__).parent / "fixtures"
ALICE = "did:plc:v4zjrns6benq2cf5flxqaz4k"
BOB = "did:plc:fgni3g22urzj7v7at43zfg6w"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def timeline() -> dict[str, Any]:
    return {item.extra["uri"] + ("#repost" if item.kind == "repost" else ""): item
            for item in items.items_from_feed(fixture("timeline"))}


def test_timeline_kinds_in_order() -> None:
    found = items.items_from_feed(fixture("timeline"))
    assert [(i.kind, i.text) for i in found] == [
        ("post", "hey @alice2768.test"),
        ("repost", "a picture"),
        ("reply", "a reply"),
        ("post", "a link https://example.org"),
        ("post", "a picture"),
        ("post", "Hi @bob2768.test 👋🏽 see https://example.com/a? #日本語 done"),
    ]


def test_a_post_with_facets_after_emoji() -> None:
    post = items.items_from_feed(fixture("timeline"))[-1]
    assert post.remote_id == f"at://{ALICE}/app.bsky.feed.post/3n3br6armys2a"
    assert post.author_handle == "@alice2768.test"
    assert post.author_name == "Alice Example"
    assert post.url == "https://bsky.app/profile/alice2768.test/post/3n3br6armys2a"
    assert post.created_at.tzinfo is not None
    assert post.extra["langs"] == ["en"]
    assert post.extra["cid"].startswith("bafy")
    assert post.extra["counts"] == {"reply": 1, "repost": 0, "like": 1, "quote": 0}
    assert post.html == (
        f'Hi <a href="https://bsky.app/profile/{BOB}">@bob2768.test</a>'
        ' 👋🏽 see <a href="https://example.com/a">https://example.com/a</a>? '
        '<a href="https://bsky.app/hashtag/%E6%97%A5%E6%9C%AC%E8%AA%9E">#日本語</a> done'
    )


def test_a_repost_shows_the_post_and_who_reposted_it() -> None:
    repost = items.items_from_feed(fixture("timeline"))[1]
    assert repost.kind == "repost"
    assert repost.remote_id == f"at://{BOB}/app.bsky.feed.repost/3n3br6cd22k2a"
    assert repost.extra["original_id"] == f"at://{ALICE}/app.bsky.feed.post/3n3br6attcs2a"
    assert repost.extra["reposted_by"] == "@bob2768.test"
    assert repost.author_handle == "@alice2768.test"  # the post's author
    assert repost.created_at == datetime(2026, 11, 27, 8, 24, 5, 289000, tzinfo=UTC)


def test_a_repost_without_its_own_uri_gets_a_stable_key() -> None:
    view = fixture("timeline")["feed"][1]
    del view["reason"]["uri"]
    item = items.item_from_feed_view(view)
    assert item is not None
    assert item.remote_id == (
        f"at://{ALICE}/app.bsky.feed.post/3n3br6attcs2a#reposted-by:{BOB}")


def test_images_and_link_cards() -> None:
    found = items.items_from_feed(fixture("timeline"))
    picture, card = found[4], found[3]
    [image] = picture.extra["media"]
    assert image["type"] == "image"
    assert image["description"] == "A blue rectangle"
    assert "/img/feed_fullsize/" in image["url"]
    assert "/img/feed_thumbnail/" in image["preview_url"]
    assert card.extra["card"] == {
        "url": "https://example.org", "title": "Example Domain", "description": "For examples",
        "image": "",
    }


def test_a_reply_names_its_parent_and_root() -> None:
    reply = items.items_from_feed(fixture("timeline"))[2]
    parent = f"at://{ALICE}/app.bsky.feed.post/3n3br6armys2a"
    assert reply.kind == "reply"
    assert reply.extra["in_reply_to"] == parent
    assert reply.extra["reply_root"] == parent
    assert reply.extra["in_reply_to_handle"] == "@alice2768.test"
    assert reply.extra["author_url"] == "https://bsky.app/profile/bob2768.test"


def test_labelled_media_is_sensitive() -> None:
    view = fixture("timeline")["feed"][4]
    assert "sensitive" not in (items.item_from_feed_view(view) or _no()).extra
    view["post"]["labels"] = [{"src": ALICE, "uri": view["post"]["uri"], "val": "graphic-media",
                               "cts": "2026-11-27T08:24:03.740Z"}]
    assert (items.item_from_feed_view(view) or _no()).extra["sensitive"] is True


def _no() -> Any:
    raise AssertionError("no item")


def test_a_quote_carries_the_quoted_post() -> None:
    [quote] = items.items_from_feed(fixture("author_feed_quote"))
    assert quote.kind == "quote"
    assert quote.text == "quoting this"
    assert quote.extra["quote"] == {
        "uri": f"at://{ALICE}/app.bsky.feed.post/3n3br6attcs2a",
        "author_handle": "@alice2768.test",
        "author_name": "Alice Example",
        "text": "a picture",
        "url": "https://bsky.app/profile/alice2768.test/post/3n3br6attcs2a",
    }


def test_a_quote_of_a_deleted_post() -> None:
    view = fixture("author_feed_quote")["feed"][0]
    view["post"]["embed"]["record"] = {
        "$type": "app.bsky.embed.record#viewNotFound", "uri": "at://x/y/z", "notFound": True}
    item = items.item_from_feed_view(view)
    assert item is not None
    assert item.kind == "quote"
    assert item.extra["quote"] == {"uri": "at://x/y/z", "unavailable": "viewNotFound"}


def test_notifications_of_every_kind() -> None:
    body = fixture("notifications")
    liked = f"at://{ALICE}/app.bsky.feed.post/3n3br6armys2a"
    subjects = {liked: {"uri": liked, "record": {"text": "Hi there"}}}
    found = [items.item_from_notification(n, subjects) for n in body["notifications"]]
    assert [(i.kind, i.author_handle) for i in found if i] == [
        ("mention", "@bob2768.test"),
        ("follow", "@carol2768.test"),
        ("like", "@bob2768.test"),
        ("repost", "@bob2768.test"),
        ("quote", "@carol2768.test"),
        ("reply", "@bob2768.test"),
        ("follow", "@bob2768.test"),
    ]
    mention, follow, like, repost, quote, reply, _ = found
    assert mention is not None
    assert mention.text == "hey @alice2768.test"
    assert mention.remote_id == f"at://{BOB}/app.bsky.feed.post/3n3br6ce57k2a"  # the post itself
    assert like is not None
    assert like.extra["subject_uri"] == liked
    assert like.extra["subject_text"] == "Hi there"
    assert like.url == f"https://bsky.app/profile/{ALICE}/post/3n3br6armys2a"
    assert repost is not None
    assert repost.extra["subject_text"] == ""
    assert follow is not None
    assert follow.url == "https://bsky.app/profile/carol2768.test"
    assert reply is not None
    assert reply.extra["in_reply_to"] == liked
    assert quote is not None
    assert quote.text == "quoting this"
    assert all(i is not None and isinstance(i.extra["is_read"], bool) for i in found)


def test_unknown_notification_reasons_are_skipped() -> None:
    notification = fixture("notifications")["notifications"][1]
    notification["reason"] = "starterpack-joined"
    assert items.item_from_notification(notification) is None
    notification["reason"] = "like-via-repost"
    item = items.item_from_notification(notification)
    assert item is not None
    assert item.kind == "like"
