"""A Page post's whole conversation on Facebook: the post (GET /{post-id}) and every comment
on it, replies to comments included (GET /{post-id}/comments with filter=stream, oldest
first), each comment naming its parent comment or the post ("Comments" reference: `parent`,
`comment_count`). Reading stops at conversation.MAX_ITEMS.
"""

from __future__ import annotations

from typing import Any

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_ITEMS, bounded
from hubbub.networks.facebook import mapping
from hubbub.networks.facebook.graph import Graph
from hubbub.networks.meta.fields import every_page
from hubbub.networks.meta.reading import entry_id, opening_post
from hubbub.networks.pages import map_each

PAGE_SIZE = 100


def read(g: Graph, post_id: str, page_name: str, web: str) -> tuple[Item, ...]:
    """The post first, then its comments and their replies in time order."""
    top = opening_post(g, post_id, fields=mapping.POST_FIELDS, network="facebook",
                       mapper=lambda p: mapping.item_from_post(p, page_name, web))
    comments = every_page(
        lambda params: g.get(f"{post_id}/comments", params, what="read the comments"),
        {"fields": f"{mapping.COMMENT_FIELDS},comment_count", "filter": "stream",
         "order": "chronological", "limit": PAGE_SIZE}, MAX_ITEMS)
    items = map_each(comments[:MAX_ITEMS - 1], lambda c: _comment(c, post_id, web),
                     network="facebook", id_of=entry_id)
    top.extra["counts"] = {"reply": sum(1 for i in items
                                        if i.extra.get("in_reply_to") == top.remote_id)}
    return bounded([top, *items])


def _comment(comment: Any, post_id: str, web: str) -> Item:
    item = mapping.item_from_comment(comment, post_id, web)
    replies = comment.get("comment_count")
    if isinstance(replies, int) and not isinstance(replies, bool):
        item.extra["counts"] = {"reply": replies}
    return item
