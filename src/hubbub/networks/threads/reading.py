"""Reading a Threads account into the deck: which edge each feed is, and paging.

Feeds ("Retrieve User Posts", "Retrieve and Manage Replies"):
- `own`: GET /{threads-user-id}/threads, the account's own posts, newest first;
- `notifications`: the replies to the account's latest posts (GET /{threads-media-id}/replies
  for each of the newest REPLIED_POSTS posts), newest first, the account's own left out.

The Threads API gives apps no home timeline of the people an account follows. Pages go
backwards with the `after` cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubbub.networks.base import Item, Page
from hubbub.networks.meta.reading import answers_to_latest, list_page
from hubbub.networks.pages import map_each
from hubbub.networks.threads import mapping
from hubbub.networks.threads.api import ThreadsApi

PAGE_SIZE = 25
REPLIED_POSTS = 3
REPLIES_PER_POST = 25


def _id_of(entry: Any) -> object:
    return entry.get("id") if isinstance(entry, Mapping) else entry


def fetch(api: ThreadsApi, user_id: str, handle: str, feed: str, cursor: str | None,
          web: str) -> Page:
    if feed == "notifications":
        return _replies(api, user_id, handle, web)
    if feed != "own":
        raise NotImplementedError(f"Threads cannot read {feed!r}: the API gives apps an "
                                  "account's own posts and the replies to them only")
    return list_page(api, f"{user_id}/threads", fields=mapping.POST_FIELDS, limit=PAGE_SIZE,
                     cursor=cursor, what="read the account's posts",
                     mapper=lambda p: mapping.item_from_post(p, handle, web),
                     network="threads", id_of=_id_of)


def _replies(api: ThreadsApi, user_id: str, handle: str, web: str) -> Page:
    """The replies to the newest posts, newest first (one page: no cursor)."""
    own = handle.lstrip("@").lower()

    def replies(post_id: str, post: Any) -> list[Item]:
        answer = api.get(f"{post_id}/replies", {"fields": mapping.REPLY_FIELDS,
                                                "limit": REPLIES_PER_POST},
                         what="read the replies")
        entries = answer.get("data")
        found = map_each(entries if isinstance(entries, list) else [],
                         lambda r: mapping.item_from_post(r, handle, web, kind="reply"),
                         network="threads", id_of=_id_of)
        return [i for i in found if i.author_name.lower() != own]
    return answers_to_latest(api, f"{user_id}/threads", fields="id", most=REPLIED_POSTS,
                             what="read the account's posts", answers=replies, id_of=_id_of)
