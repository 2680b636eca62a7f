"""A LinkedIn post's whole conversation: the post (GET /rest/posts/{urn}) and the comments on
it (GET /rest/socialActions/{urn}/comments, paged by start/count), a reply to a comment naming
it in `parentComment` (Comments API). Opened from a comment URN, the post it is on is read.
Reading needs the same permission as the deck's comments column (r_member_social for a
member, r_organization_social for a page); without it LinkedIn's 403 reaches the person as a
sentence naming the permission. LinkedIn reports no counts here, so extra["counts"] holds the
replies read. Reading stops at conversation.MAX_ITEMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_ITEMS, bounded
from hubbub.networks.errors import Transient
from hubbub.networks.linkedin import mapping
from hubbub.networks.linkedin.api import LinkedInApi, encode_query, urn_path
from hubbub.networks.linkedin.reading import read_scope
from hubbub.networks.pages import map_each

PAGE_SIZE = 100


def read(li: LinkedInApi, remote_id: str, author: str,
         names: Mapping[str, str]) -> tuple[Item, ...]:
    """The post first, then its comments and the replies to them in time order."""
    post_urn, _ = mapping.comment_target(remote_id)
    scope = read_scope(author)
    post = li.get(f"/rest/posts/{urn_path(post_urn)}", scope=scope)
    root = map_each([post], lambda p: mapping.item_from_post(p, names), network="linkedin",
                    id_of=_id_of)
    if not root:
        raise Transient("LinkedIn answered the post without a URN or a time")
    comments: list[Mapping[str, Any]] = []
    while len(comments) < MAX_ITEMS:
        body = li.get(f"/rest/socialActions/{urn_path(post_urn)}/comments",
                      encode_query({"start": len(comments), "count": PAGE_SIZE}), scope=scope)
        elements = body.get("elements")
        batch = [e for e in elements if isinstance(e, Mapping)] \
            if isinstance(elements, list) else []
        comments += batch
        if len(batch) < PAGE_SIZE:
            break
    items = map_each(comments, lambda c: _comment(c, post_urn, names), network="linkedin",
                     id_of=_id_of)
    items.sort(key=lambda i: (i.created_at, i.remote_id))
    every = [root[0], *items]
    answered: dict[str, int] = {}
    for item in items:
        parent = str(item.extra.get("in_reply_to") or "")
        answered[parent] = answered.get(parent, 0) + 1
    for item in every:
        item.extra["counts"] = {"reply": answered.get(item.remote_id, 0)}
    return bounded(every)


def _comment(comment: Mapping[str, Any], post_urn: str, names: Mapping[str, str]) -> Item:
    item = mapping.item_from_comment(comment, post_urn, names)
    parent = comment.get("parentComment")
    if isinstance(parent, str) and parent.startswith("urn:li:comment:"):
        item.extra["in_reply_to"] = parent
    return item


def _id_of(entry: Any) -> object:
    return entry.get("id") if isinstance(entry, Mapping) else None
