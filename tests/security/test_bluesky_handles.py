"""A Bluesky post whose author's handle cannot be written in UTF-8 (a lone surrogate from a
hostile server) still arrives: its addresses are made with the character replaced, where the
whole post had been skipped (found by the hostile-servers browser test)."""

from __future__ import annotations

import json

from hubbub.networks.bluesky import items

WHEN = "2026-12-01T10:00:00.000Z"


def test_a_post_by_a_handle_with_a_lone_surrogate_still_arrives() -> None:
    body = json.loads(json.dumps({"feed": [{"post": {
        "uri": "at://did:plc:a/app.bsky.feed.post/1", "cid": "c", "indexedAt": WHEN,
        "author": {"did": "did:plc:a", "handle": "a\udfff.test", "displayName": "A"},
        "record": {"$type": "app.bsky.feed.post", "text": "hello", "createdAt": WHEN}}}]}))
    [item] = items.items_from_feed(body)
    assert item.text == "hello"
    assert item.url.endswith("/post/1")
    item.url.encode("utf-8")
    str(item.extra["author_url"]).encode("utf-8")
