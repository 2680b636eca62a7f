"""A Threads post's whole conversation: the opened post (GET /{threads-media-id}, whose
`root_post` names the thread's root when it is a reply), the root, and every reply below it
at any depth (GET /{root-id}/conversation, oldest first with reverse=false), each naming the
post it answers (`replied_to`) ("Retrieve and Manage Replies": replies and conversations).
The API gives apps no like or reply counts outside insights, so extra["counts"] holds the
replies read here. Reading stops at conversation.MAX_ITEMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_ITEMS, bounded
from hubbub.networks.errors import Transient
from hubbub.networks.meta.fields import every_page
from hubbub.networks.pages import map_each
from hubbub.networks.threads import mapping
from hubbub.networks.threads.api import ThreadsApi

PAGE_SIZE = 100


def read(api: ThreadsApi, media_id: str, handle: str, web: str) -> tuple[Item, ...]:
    """The root first, then every reply of the thread in time order."""
    opened = api.get(media_id, {"fields": mapping.REPLY_FIELDS}, what="read the post")
    root_id = _id(opened.get("root_post")) or media_id
    top = opened if root_id == media_id else api.get(
        root_id, {"fields": mapping.REPLY_FIELDS}, what="read the thread's first post")
    replies = every_page(
        lambda params: api.get(f"{root_id}/conversation", params, what="read the replies"),
        {"fields": mapping.REPLY_FIELDS, "reverse": "false", "limit": PAGE_SIZE}, MAX_ITEMS)
    items = map_each([top, *replies[:MAX_ITEMS - 1]],
                     lambda p: mapping.item_from_post(p, handle, web, kind="reply"),
                     network="threads", id_of=_id)
    if not items or items[0].remote_id != root_id:
        raise Transient("Threads answered the post without an id or a time")
    items[0] = _as_post(items[0])
    answered: dict[str, int] = {}
    for item in items:
        parent = item.extra.get("in_reply_to")
        if parent:
            answered[str(parent)] = answered.get(str(parent), 0) + 1
    for item in items:
        item.extra["counts"] = {"reply": answered.get(item.remote_id, 0)}
    return bounded(items)


def _as_post(item: Item) -> Item:
    return replace(item, kind="post")


def _id(entry: Any) -> str:
    value = entry.get("id") if isinstance(entry, Mapping) else None
    return value if isinstance(value, str) else ""
