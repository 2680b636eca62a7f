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
from hubbub.networks.facebook import mapping
from hubbub.networks.facebook.graph import Graph
from hubbub.networks.meta.fields import after as after  # re-exported
from hubbub.networks.meta.reading import answers_to_latest, entry_id, list_page
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
    return list_page(g, f"{page_id}/{edge}", fields=mapping.POST_FIELDS, limit=PAGE_SIZE,
                     cursor=cursor, what="read the Page's posts",
                     mapper=lambda p: mapping.item_from_post(p, page_name, web),
                     network="facebook")


def _comments(g: Graph, page_id: str, web: str) -> Page:
    """The newest comments on the Page's latest posts; one page, no older pages."""
    def comments(post_id: str, post: Any) -> list[Item]:
        answer = g.get(f"{post_id}/comments", {"fields": mapping.COMMENT_FIELDS,
                                               "filter": "stream",
                                               "order": "reverse_chronological",
                                               "limit": COMMENTS_PER_POST},
                       what="read the comments")
        entries = answer.get("data")
        return map_each(entries if isinstance(entries, list) else [],
                        _comment_mapper(post_id, web), network="facebook", id_of=entry_id)
    return answers_to_latest(g, f"{page_id}/posts", fields="id", most=COMMENTED_POSTS,
                             what="read the Page's posts", answers=comments)


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
