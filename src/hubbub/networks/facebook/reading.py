"""Reading a Facebook Page: which edge each feed is, and paging.

Feeds (Page reference, "Page Feed" and "Page Posts" edges; "Comments" reference):
- `home`: GET /{page-id}/feed, everything on the Page (its posts and visitors' posts);
- `own`: GET /{page-id}/posts, the Page's own posts;
- `notifications`: the comments on the Page's latest posts (GET /{post-id}/comments for each
  of the newest COMMENTED_POSTS posts), newest first.

Facebook offers apps no home feed of a person and no search. Pages go backwards with the
`after` cursor (paging.cursors.after, present while paging.next is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hubbub.networks.base import Draft, Item, Page, Published
from hubbub.networks.errors import NotFound
from hubbub.networks.facebook import mapping
from hubbub.networks.facebook.graph import Graph
from hubbub.networks.meta.fields import after as after  # re-exported
from hubbub.networks.pages import map_each

PAGE_SIZE = 25
COMMENTED_POSTS = 3
COMMENTS_PER_POST = 25
EDGES = {"home": "feed", "own": "posts"}


def fetch(g: Graph, page_id: str, page_name: str, feed: str, cursor: str | None,
          web: str) -> Page:
    if feed == "notifications":
        return _comments(g, page_id, web)
    edge = EDGES.get(feed)
    if edge is None:
        raise NotImplementedError(f"Facebook cannot read {feed!r}: a Page's columns are its "
                                  "feed, its own posts and the comments on them")
    params: dict[str, Any] = {"fields": mapping.POST_FIELDS, "limit": PAGE_SIZE}
    if cursor:
        params["after"] = cursor
    body = g.get(f"{page_id}/{edge}", params, what="read the Page's posts")
    entries = body.get("data")
    items = map_each(entries if isinstance(entries, list) else [],
                     lambda p: mapping.item_from_post(p, page_name, web),
                     network="facebook", id_of=_id_of)
    return Page(tuple(items), after(body) or None)


def _comments(g: Graph, page_id: str, web: str) -> Page:
    """The newest comments on the Page's latest posts; one page, no older pages."""
    body = g.get(f"{page_id}/posts", {"fields": "id", "limit": COMMENTED_POSTS},
                 what="read the Page's posts")
    posts = body.get("data")
    items: list[Item] = []
    for post in posts if isinstance(posts, list) else []:
        post_id = post.get("id") if isinstance(post, Mapping) else None
        if not isinstance(post_id, str) or not post_id:
            continue
        try:
            answer = g.get(f"{post_id}/comments", {"fields": mapping.COMMENT_FIELDS,
                                                   "filter": "stream",
                                                   "order": "reverse_chronological",
                                                   "limit": COMMENTS_PER_POST},
                           what="read the comments")
        except NotFound:  # deleted between the two reads
            continue
        comments = answer.get("data")
        items += map_each(comments if isinstance(comments, list) else [],
                          _comment_mapper(post_id, web), network="facebook", id_of=_id_of)
    items.sort(key=lambda i: i.created_at, reverse=True)
    return Page(tuple(items), None)


def _comment_mapper(post_id: str, web: str) -> Callable[[Any], Item]:
    def mapper(comment: Any) -> Item:
        return mapping.item_from_comment(comment, post_id, web)
    return mapper


def find_comment(g: Graph, page_id: str, draft: Draft, since: datetime,
                 web: str) -> Published | None:
    """The Page's comment on draft.in_reply_to that is this draft (made since `since`)."""
    body = g.get(f"{draft.in_reply_to}/comments", {"fields": mapping.COMMENT_FIELDS,
                                                   "filter": "stream",
                                                   "order": "reverse_chronological",
                                                   "limit": 100},
                 what="read the comments")
    comments = body.get("data")
    wanted = " ".join(mapping.message_of(draft).split())
    for comment in comments if isinstance(comments, list) else []:
        if not isinstance(comment, Mapping):
            continue
        author = comment.get("from")
        if isinstance(author, Mapping) and author.get("id") not in (None, page_id):
            continue  # someone else's comment with the same words
        created = mapping.parse_time(comment.get("created_time"))
        text = comment.get("message")
        if (isinstance(text, str) and " ".join(text.split()) == wanted
                and (created is None or created >= since)
                and isinstance(comment.get("id"), str)):
            comment_id = str(comment["id"])
            return Published(remote_id=comment_id, url=f"{web}/{comment_id}", created_at=created)
    return None


def _id_of(entry: Any) -> object:
    return entry.get("id") if isinstance(entry, Mapping) else None
