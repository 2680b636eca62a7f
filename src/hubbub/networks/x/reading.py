"""Reading X: which endpoint each feed is, the fields and expansions asked for, and paging.

Feeds: `home` (GET /2/users/:id/timelines/reverse_chronological), `mentions`
(/2/users/:id/mentions), `own` (/2/users/:id/tweets of the account itself), `author:<handle>`
(/2/users/:id/tweets of another account, found by /2/users/by/username/:username) and
`search:<query>` (/2/tweets/search/recent, where the app's access level includes it).
Pages go backwards with `pagination_token` (meta.next_token).

X bills reads per post returned (and per author expanded), deduplicated per UTC day, so a
poll asks for a small page: the newest posts are what a column needs, and older pages come
only when someone scrolls (costs.py estimates what the open columns cost).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hubbub.networks.base import Item, Page
from hubbub.networks.errors import NotFound, Rejected
from hubbub.networks.pages import map_each
from hubbub.networks.x import mapping
from hubbub.networks.x.api import XApi

PAGE_SIZE = 10  # X bills each post a page returns: the first page of every day is paid again
FEEDS = ("home", "mentions", "own", "author", "search")
# The least max_results each endpoint takes (mentions and a user's posts 5, search 10).
MINIMUM = {"home": 1, "mentions": 5, "own": 5, "author": 5, "search": 10}

POST_FIELDS = ("created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,"
               "attachments,entities,public_metrics,possibly_sensitive,note_tweet")
EXPANSIONS = ("author_id,attachments.media_keys,referenced_tweets.id,"
              "referenced_tweets.id.author_id,in_reply_to_user_id")
USER_FIELDS = "name,username,profile_image_url"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text,width,height"

# username (lowercase) -> (user id, when looked up): an author column polled every few
# seconds must not pay for a user lookup each time (X bills those too).
_USER_IDS: dict[str, tuple[str, float]] = {}
_USER_IDS_LOCK = threading.Lock()
USER_ID_TTL = 6 * 3600.0


def expanded(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields and expansions every read asks for (what an Item shows)."""
    params: dict[str, Any] = {
        "tweet.fields": POST_FIELDS,
        "expansions": EXPANSIONS,
        "user.fields": USER_FIELDS,
        "media.fields": MEDIA_FIELDS,
    }
    params.update(extra or {})
    return params


@dataclass(frozen=True)
class Request:
    path: str
    params: dict[str, Any]
    what: str  # for messages: "the home timeline", "recent search"
    limit_key: str
    kind: str = ""  # the Item kind for every post of the feed ("" : from the post itself)


def request_for(x: XApi, me: str, handle: str, feed: str, cursor: str | None,
                page_size: int = PAGE_SIZE) -> Request:
    kind, _, value = feed.partition(":")
    value = value.strip()
    base: dict[str, Any] = {"max_results": max(page_size, MINIMUM.get(kind, 1))}
    if cursor:
        base["pagination_token"] = cursor
    if feed == "home":
        return Request(f"/2/users/{me}/timelines/reverse_chronological", expanded(base),
                       "the home timeline", "/2/users/:id/timelines/reverse_chronological")
    if feed == "mentions":
        return Request(f"/2/users/{me}/mentions", expanded(base), "mentions",
                       "/2/users/:id/mentions", kind="mention")
    if feed == "own" or (kind == "author" and value):
        wanted = mapping.username_of(value) if kind == "author" else ""
        own = not wanted or wanted.lower() == mapping.username_of(handle).lower()
        user_id = me if own else user_id_for(x, wanted)
        return Request(f"/2/users/{user_id}/tweets", expanded(base),
                       "your posts" if own else f"the posts of @{wanted}", "/2/users/:id/tweets")
    if kind == "search" and value:
        base["query"] = value[:512]
        return Request("/2/tweets/search/recent", expanded(base), "recent search",
                       "/2/tweets/search/recent")
    raise NotImplementedError(f"X cannot read {feed!r}")


def user_id_for(x: XApi, username: str) -> str:
    if not username or len(username) > 15 or not username.replace("_", "").isalnum() \
            or not username.isascii():
        raise Rejected(f"@{username} is not an X username")
    key = username.lower()
    with _USER_IDS_LOCK:
        known = _USER_IDS.get(key)
        if known is not None and time.monotonic() - known[1] < USER_ID_TTL:
            return known[0]
    body = x.get(f"/2/users/by/username/{username}", limit_key="/2/users/by/username")
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("id"):
        raise NotFound(f"X has no account @{username}")
    user_id = str(data["id"])
    with _USER_IDS_LOCK:
        _USER_IDS[key] = (user_id, time.monotonic())
    return user_id


def page_from(body: Mapping[str, Any], kind: str = "") -> Page:
    """An answer's posts as Items (an unreadable one skipped), and the next page's token."""
    inc = mapping.Includes.of(body)
    posts = body.get("data")

    def one(post: Any) -> Item:
        item = mapping.item_from_post(post, inc)
        if kind == "mention" and item.kind in ("post", "quote"):
            return replace(item, kind="mention")
        return item

    items = map_each(posts if isinstance(posts, list) else (), one, network="x",
                     id_of=lambda post: post.get("id"))
    meta = body.get("meta")
    token = meta.get("next_token") if isinstance(meta, Mapping) else None
    return Page(items=tuple(items), next_cursor=str(token) if token and items else None)
