"""graph.facebook.com's /{object-id}/likes edge.

Source: docs/graph-api/reference/object/likes. Reading returns who liked the object (`data` of
{id, name}, cursor paging) and `summary.total_count` with `summary=true`; "Only aggregated
counts using total_count with the summary parameter are available for Post likes" (GET
/{post-id}/likes lists nobody since v8.0); the same requirements as viewing the object apply.
On a Page, the edge lists the Pages that Page liked. The page's "Publish" section documents
`POST /{object-id}/likes` ("Like an object"); answered `{"success": true}`. A User access token
gets "(#3) Publishing likes through the API is only available for page access tokens", as
Meta answers it in a public report (gist.github.com/leandroudala/4f162300deed154aedc219b1db3e04b9);
which Page task and permission a Page token needs the excerpts read do not say: the stand-in
asks for what commenting as the Page needs (MODERATE, pages_manage_engagement).
"""

from __future__ import annotations

import time
from typing import Any

from tests.peers.facebook import pages
from tests.peers.facebook.access import page_token_for
from tests.peers.facebook.render import boolean, page_of
from tests.peers.facebook.state import Comment, Page, Photo, Post, Store
from tests.peers.facebook.wire import GraphError, Reply, Request, not_found


def _owner(store: Store, found: Any) -> str | None:
    """The Page whose content `found` is (None for a Page or a person)."""
    if isinstance(found, Post | Photo):
        return found.page_id
    if isinstance(found, Comment):
        return store.posts[found.post_id].page_id
    return None


def read_likes(store: Store, req: Request) -> Reply:
    object_id = req.path.split("/")[1]
    token = pages._token(store, req)
    found = pages._find(store, object_id)
    owner = _owner(store, found)
    if owner is not None:
        pages._reader(store, token, owner, "Reading likes")
    liked = store.likes.get(object_id, {})
    if isinstance(found, Post):
        items: list[str] = []  # Post likes: aggregated counts only
    elif isinstance(found, Page):
        items = [oid for oid, who in store.likes.items() if found.id in who
                 and oid in store.pages]
    else:
        items = sorted(liked, key=lambda who: liked[who])

    def render(who: str) -> dict[str, Any]:
        profile = store.pages.get(who) or store.users.get(who)
        return {"id": who, "name": profile.name if profile else ""}

    answer = page_of(req, items, lambda who: who, render)
    if boolean(req, "summary", False):
        answer["summary"] = {"total_count": len(items) if isinstance(found, Page)
                             else len(liked)}
    return Reply(200, answer)


def like(store: Store, req: Request) -> Reply:
    object_id = req.path.split("/")[1]
    token = pages._token(store, req)
    found = pages._find(store, object_id)
    if token.kind != "page":
        raise GraphError(3, "(#3) Publishing likes through the API is only available for page "
                         "access tokens", rule=f"POST /{{object-id}}/likes with a {token.kind} "
                         "token")
    owner = _owner(store, found)
    if owner is None:
        raise not_found(object_id)
    page_token_for(store, token, owner, "MODERATE", "pages_manage_engagement",
                   what="Liking as a Page")
    store.likes.setdefault(object_id, {}).setdefault(token.page_id or "", time.time())
    return Reply(200, {"success": True})


ROUTES = {
    ("GET", "/{object-id}/likes"): read_likes,
    ("POST", "/{object-id}/likes"): like,
}
