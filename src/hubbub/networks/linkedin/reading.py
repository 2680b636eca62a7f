"""Reading LinkedIn: the author's own posts (Posts API, finder `q=author`) and the comments on
them (/rest/socialActions/{urn}/comments). LinkedIn gives apps no home feed and no search.

Reading a member's own posts and comments needs `r_member_social`, which LinkedIn grants only
to approved partners; a page's needs `r_organization_social`. Without it LinkedIn answers 403,
which reaches the person as a sentence naming the permission.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hubbub.networks.base import Draft, Item, Page, Published
from hubbub.networks.errors import Transient
from hubbub.networks.linkedin import api, mapping
from hubbub.networks.linkedin.api import LinkedInApi, encode_query, urn_path
from hubbub.networks.pages import map_each

log = logging.getLogger(__name__)
PAGE_SIZE = 20
FIND_PAGE_SIZE = 50
FIND_PAGES = 4
COMMENTED_POSTS = 10
COMMENTS_PER_POST = 20


def read_scope(author: str) -> str:
    return ("r_organization_social" if author.startswith(mapping.ORGANIZATION)
            else "r_member_social")


def posts(li: LinkedInApi, author: str, start: int, count: int) -> list[Mapping[str, Any]]:
    body = li.get("/rest/posts", encode_query({
        "author": author, "q": "author", "count": count, "start": start,
        "sortBy": "CREATED"}), scope=read_scope(author))
    elements = body.get("elements")
    if not isinstance(elements, list):
        raise Transient("LinkedIn's list of posts is unreadable")
    return [e for e in elements if isinstance(e, Mapping)]


def own_posts_since(li: LinkedInApi, author: str, since: datetime) -> list[Mapping[str, Any]]:
    """The author's posts made since `since` (newest first, a few pages at most)."""
    found: list[Mapping[str, Any]] = []
    for page in range(FIND_PAGES):
        batch = posts(li, author, page * FIND_PAGE_SIZE, FIND_PAGE_SIZE)
        found += [p for p in batch if (mapping.created_at(p) or since) >= since]
        times = [t for t in (mapping.created_at(p) for p in batch) if t is not None]
        if len(batch) < FIND_PAGE_SIZE or (times and min(times) < since):
            break
    return found


def own_page(li: LinkedInApi, author: str, cursor: str | None,
             names: Mapping[str, str]) -> Page:
    start = int(cursor) if cursor and cursor.isdigit() else 0
    batch = posts(li, author, start, PAGE_SIZE)
    items = map_each(batch, lambda p: mapping.item_from_post(p, names), network="linkedin",
                     id_of=lambda p: p.get("id"))
    more = len(batch) == PAGE_SIZE
    return Page(items=tuple(items), next_cursor=str(start + PAGE_SIZE) if more else None)


def comments(li: LinkedInApi, post_urn: str, author: str,
             count: int = COMMENTS_PER_POST) -> list[Mapping[str, Any]]:
    body = li.get(f"/rest/socialActions/{urn_path(post_urn)}/comments",
                  encode_query({"count": count}), scope=read_scope(author))
    elements = body.get("elements")
    return [e for e in elements if isinstance(e, Mapping)] if isinstance(elements, list) else []


def comments_page(li: LinkedInApi, author: str, cursor: str | None,
                  names: Mapping[str, str]) -> Page:
    """Comments on the account's latest posts, newest first (one page: LinkedIn pages
    comments per post, and a column wants the recent ones)."""
    if cursor:
        return Page(items=())
    items: list[Item] = []
    for post in posts(li, author, 0, COMMENTED_POSTS):
        urn = str(post.get("id") or "")
        if not urn.startswith("urn:li:"):
            continue
        items += map_each(comments(li, urn, author),
                          lambda c, urn=urn: mapping.item_from_comment(c, urn, names),  # type: ignore[misc]
                          network="linkedin", id_of=lambda c: c.get("id"))
    items.sort(key=lambda i: i.created_at, reverse=True)
    return Page(items=tuple(items))


def published_comment(body: Mapping[str, Any], header_id: str, target: str) -> Published:
    urn = str(body.get("commentUrn") or body.get("$URN") or "")
    if not urn.startswith("urn:li:comment:"):
        number = str(body.get("id") or header_id or "").strip()
        if number.startswith("urn:li:comment:"):
            urn = number
        elif number:
            urn = f"urn:li:comment:({target},{number})"
    if not urn:
        raise Transient("LinkedIn's answer to a comment names no comment")
    return Published(remote_id=urn, url=api.post_url(target),
                     created_at=mapping.parse_ms(_map(body.get("created")).get("time")))


def find_comment(li: LinkedInApi, author: str, draft: Draft,
                 since: datetime) -> Published | None:
    target, _parent = mapping.comment_target(draft.in_reply_to)
    wanted = " ".join(mapping.outgoing_text(draft).split())
    for comment in comments(li, target, author, 100):
        if comment.get("actor") != author:
            continue
        created = mapping.parse_ms(_map(comment.get("created")).get("time"))
        if created is not None and created < since:
            continue
        item = mapping.item_from_comment(comment, target, {})
        if " ".join(item.text.split()) == wanted:
            return Published(item.remote_id, api.post_url(target), created)
    return None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def article_for(link: str) -> dict[str, str]:
    """The link preview for a post: the page's title and description when it can be read
    (through the guarded client; any failure means a preview with the link as its title)."""
    try:
        from hubbub.networks.bluesky.cards import fetch_card

        card = fetch_card(link)
    except Exception as exc:  # a preview is never worth a failed post
        log.info("no link preview for %s: %s", link, exc)
        card = None
    if card is None:
        return {"source": link, "title": link}
    return {"source": link, "title": card.title or link, "description": card.description}
