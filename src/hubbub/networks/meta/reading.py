"""Reading a Meta account's columns the way Facebook, Instagram and Threads all read them: a page
of a list edge (newest first, older pages by the `after` cursor), and the newest answers to the
account's latest posts (a comments or replies edge read for each of them, as one page). Which
edge, which fields, and how an entry becomes an Item stay with each network's reading module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hubbub.networks.base import Item, Page
from hubbub.networks.errors import NotFound, Transient
from hubbub.networks.meta.fields import after
from hubbub.networks.meta.graph import MetaGraph
from hubbub.networks.pages import map_each


def entry_id(entry: Any) -> object:
    """An entry's `id` for the log of a skipped one (None when it is no object)."""
    return entry.get("id") if isinstance(entry, Mapping) else None


def opening_post(g: MetaGraph, post_id: str, *, fields: str,
                 mapper: Callable[[Any], Item | None], network: str) -> Item:
    """The post a conversation opens with (GET /{post_id} with `fields`), mapped; Transient
    when it cannot be read as an Item."""
    post = g.get(post_id, {"fields": fields}, what="read the post")
    root = map_each([post], mapper, network=network, id_of=entry_id)
    if not root:
        raise Transient(f"{g.network} answered the post without an id or a time")
    return root[0]


def list_page(g: MetaGraph, path: str, *, fields: str, limit: int, cursor: str | None,
              what: str, mapper: Callable[[Any], Item | None], network: str,
              id_of: Callable[[Any], object] = entry_id) -> Page:
    """One page of the list edge `path` (GET with fields, limit and, for an older page, the
    `after` cursor), each entry mapped; the next page's cursor, or None at the end."""
    params: dict[str, Any] = {"fields": fields, "limit": limit}
    if cursor:
        params["after"] = cursor
    body = g.get(path, params, what=what)
    entries = body.get("data")
    items = map_each(entries if isinstance(entries, list) else [], mapper,
                     network=network, id_of=id_of)
    return Page(tuple(items), after(body) or None)


def answers_to_latest(g: MetaGraph, path: str, *, fields: str, most: int, what: str,
                      answers: Callable[[str, Any], list[Item]],
                      id_of: Callable[[Any], object] = entry_id) -> Page:
    """The answers to the account's `most` latest posts, newest first, as one page (no cursor).
    The posts are listed from `path` (GET with fields and limit); `answers(post_id, post)`
    reads and maps one post's answers. A post deleted between the two reads (NotFound) is
    passed over."""
    body = g.get(path, {"fields": fields, "limit": most}, what=what)
    posts = body.get("data")
    items: list[Item] = []
    for post in posts if isinstance(posts, list) else []:
        post_id = id_of(post)
        if not isinstance(post_id, str) or not post_id:
            continue
        try:
            items += answers(post_id, post)
        except NotFound:
            continue
    items.sort(key=lambda i: i.created_at, reverse=True)
    return Page(tuple(items), None)
