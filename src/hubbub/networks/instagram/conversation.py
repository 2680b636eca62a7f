"""An Instagram post's whole conversation: the post (GET /{ig-media-id}) and its comments
(GET /{ig-media-id}/comments, top-level only, each with its `replies` field: the replies under
it, Instagram's only other level), each naming the post or the comment it answers ("IG Media
Comments", "IG Comment Replies"). Opened from a comment (a "c_" id), the comment's `media`
field names the post. Reading stops at conversation.MAX_ITEMS.
"""

from __future__ import annotations

from collections.abc import Mapping

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_ITEMS, bounded
from hubbub.networks.errors import Transient
from hubbub.networks.instagram import mapping
from hubbub.networks.instagram.graph import InstagramGraph
from hubbub.networks.meta.fields import every_page
from hubbub.networks.meta.reading import entry_id, opening_post
from hubbub.networks.pages import map_each

PAGE_SIZE = 50


def read(g: InstagramGraph, remote_id: str, handle: str, web: str) -> tuple[Item, ...]:
    """The post first, then its comments and the replies under them in time order."""
    media_id = remote_id
    if mapping.is_comment(remote_id):
        comment = g.get(mapping.comment_id(remote_id), {"fields": "id,media"},
                        what="read the comment")
        media = comment.get("media")
        media_id = str(media.get("id") or "") if isinstance(media, Mapping) else ""
        if not media_id:
            raise Transient("Instagram answered the comment without its post")
    root = opening_post(g, media_id, fields=mapping.MEDIA_FIELDS, network="instagram",
                        mapper=lambda m: mapping.item_from_media(m, handle, web))
    comments = every_page(
        lambda params: g.get(f"{media_id}/comments", params, what="read the comments"),
        {"fields": f"{mapping.COMMENT_FIELDS},replies", "limit": PAGE_SIZE}, MAX_ITEMS,
        mapping.with_replies)
    permalink = root.url
    items = map_each(comments,
                     lambda c: mapping.item_from_comment(c, media_id, permalink, web),
                     network="instagram", id_of=entry_id)
    items.sort(key=lambda i: (i.created_at, i.remote_id))
    return bounded([root, *items])
