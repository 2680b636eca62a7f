"""A LinkedIn post's whole conversation: the post (GET /rest/posts/{urn}) and the comments on
it (GET /rest/socialActions/{urn}/comments, paged by start/count), a reply to a comment naming
it in `parentComment` (Comments API); replies the post's list leaves out are read through
their comment's URN ("Retrieve comments on comments") when its `commentsSummary` counts them.
Opened from a comment URN, the post it is on is read. Reading needs the same permission as
the deck's comments column (r_member_social for a member, r_organization_social for a page);
without it LinkedIn's 403 reaches the person as a sentence naming the permission. LinkedIn
reports no counts here, so extra["counts"] holds the replies read. Reading stops at
conversation.MAX_ITEMS.
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
    comments = _listed(li, post_urn, scope, MAX_ITEMS)
    # Replies to a comment are read through the comment's URN ("comments on comments") when
    # its commentsSummary counts more than the post's list held.
    seen = {_urn(c) for c in comments}
    for comment in list(comments):
        room = MAX_ITEMS - len(comments)
        if room <= 0:
            break
        listed = sum(1 for c in comments if c.get("parentComment") == _urn(comment))
        if _replies_counted(comment) > listed and _urn(comment):
            more = _listed(li, _urn(comment), scope, room)
            comments += [c for c in more if _urn(c) not in seen]
            seen |= {_urn(c) for c in more}
    items = map_each(comments[:MAX_ITEMS], lambda c: _comment(c, post_urn, names),
                     network="linkedin", id_of=_id_of)
    items.sort(key=lambda i: (i.created_at, i.remote_id))
    every = [root[0], *items]
    answered: dict[str, int] = {}
    for item in items:
        parent = str(item.extra.get("in_reply_to") or "")
        answered[parent] = answered.get(parent, 0) + 1
    for item in every:
        item.extra["counts"] = {"reply": answered.get(item.remote_id, 0)}
    return bounded(every)


def _listed(li: LinkedInApi, urn: str, scope: str, most: int) -> list[Mapping[str, Any]]:
    """The comments on a post or a comment, a page at a time, at most `most`."""
    found: list[Mapping[str, Any]] = []
    while len(found) < most:
        body = li.get(f"/rest/socialActions/{urn_path(urn)}/comments",
                      encode_query({"start": len(found), "count": PAGE_SIZE}), scope=scope)
        elements = body.get("elements")
        batch = [e for e in elements if isinstance(e, Mapping)] \
            if isinstance(elements, list) else []
        found += batch
        if len(batch) < PAGE_SIZE:
            break
    return found[:most]


def _urn(comment: Mapping[str, Any]) -> str:
    urn = comment.get("commentUrn") or comment.get("$URN")
    return urn if isinstance(urn, str) else ""


def _replies_counted(comment: Mapping[str, Any]) -> int:
    summary = comment.get("commentsSummary")
    count = summary.get("aggregatedTotalComments") if isinstance(summary, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def _comment(comment: Mapping[str, Any], post_urn: str, names: Mapping[str, str]) -> Item:
    item = mapping.item_from_comment(comment, post_urn, names)
    parent = comment.get("parentComment")
    if isinstance(parent, str) and parent.startswith("urn:li:comment:"):
        item.extra["in_reply_to"] = parent
    return item


def _id_of(entry: Any) -> object:
    return entry.get("id") if isinstance(entry, Mapping) else None
