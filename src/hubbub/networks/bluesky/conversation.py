"""A post's whole conversation on Bluesky: app.bsky.feed.getPostThread with `parentHeight`
ancestors and `depth` levels of replies, read through the account's PDS (which asks its
AppView). Each post is mapped as the timeline maps it: likeCount, repostCount and replyCount
become counts, the record's reply.parent the post it answers. Posts the AppView cannot show
(notFoundPost, blockedPost) are left out; their replies still show, at the top."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from hubbub.networks.base import Item
from hubbub.networks.bluesky import items
from hubbub.networks.bluesky.xrpc import Xrpc
from hubbub.networks.conversation import MAX_ITEMS, MAX_PARENTS, MAX_REPLY_DEPTH, bounded
from hubbub.networks.pages import map_each

THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


def read(api: Xrpc, uri: str) -> tuple[Item, ...]:
    """The whole thread the post at `uri` is in. A thread view holds the post's ancestors and
    its own replies only, so for a reply the root's thread is read too (every reply of the
    thread, MAX_REPLY_DEPTH levels deep)."""
    thread = _thread(api, uri, MAX_PARENTS)
    posts = posts_of(thread)
    if posts and posts[0].get("uri") != uri:
        posts = [*posts_of(_thread(api, str(posts[0].get("uri")), 0)), *posts]
    once = {str(post.get("uri")): post for post in posts}  # the root's thread repeats some
    return bounded(map_each(list(once.values()), items.item_from_post, network="bluesky",
                            id_of=lambda post: post.get("uri")))


def _thread(api: Xrpc, uri: str, parents: int) -> object:
    body = api.query("app.bsky.feed.getPostThread",
                     {"uri": uri, "depth": MAX_REPLY_DEPTH, "parentHeight": parents})
    return body.get("thread")


def posts_of(thread: object) -> list[Mapping[str, Any]]:
    """The postViews of a thread view: its parents up to the root (reversed to root first),
    the post, then its replies depth first, at most MAX_ITEMS."""
    if not _is_view(thread):
        return []
    parents: list[Mapping[str, Any]] = []
    above = thread.get("parent")
    while _is_view(above) and len(parents) < MAX_PARENTS:
        parents.append(above["post"])
        above = above.get("parent")
    found = [*reversed(parents)]
    waiting: list[Mapping[str, Any]] = [thread]
    while waiting and len(found) < MAX_ITEMS:
        view = waiting.pop()
        found.append(view["post"])
        replies = [r for r in view.get("replies") or () if _is_view(r)]
        waiting.extend(reversed(replies))
    return found


def _is_view(value: object) -> TypeGuard[Mapping[str, Any]]:
    return (isinstance(value, Mapping) and isinstance(value.get("post"), Mapping)
            and value.get("$type", THREAD_VIEW) == THREAD_VIEW)
