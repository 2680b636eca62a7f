"""A status's whole conversation on Mastodon: GET /api/v1/statuses/:id (the status itself) and
GET /api/v1/statuses/:id/context (its ancestors, oldest first, and its descendants), mapped as
the timeline maps statuses (replies_count, reblogs_count and favourites_count become counts).
"""

from __future__ import annotations

from typing import Any, Protocol

from hubbub.networks.base import Item
from hubbub.networks.conversation import bounded
from hubbub.networks.mastodon import mapping
from hubbub.networks.pages import map_each


class Caller(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def read(api: Caller, base_url: str, status_id: str) -> tuple[Item, ...]:
    """The whole thread `status_id` is in: a status's context holds its ancestors and its own
    descendants only, so for a reply the root's context is read too (its descendants are
    every reply of the thread). Two requests either way."""
    context = api.call("status_context", status_id)
    ancestors = list(context.get("ancestors") or ())
    if ancestors:
        root = ancestors[0]
        below = api.call("status_context", root["id"]).get("descendants") or ()
    else:
        root = api.call("status", status_id)
        below = context.get("descendants") or ()
    return bounded(map_each([root, *below], lambda s: mapping.item_from_status(s, base_url),
                            network="mastodon", id_of=lambda s: s.get("id")))
