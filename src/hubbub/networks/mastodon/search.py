"""Reading pages of Mastodon statuses: the helpers every timeline uses, and the search column.

Search (`search:<words>`) is GET /api/v2/search with type=statuses, which Mastodon pages with
max_id ("results older than this id"; `offset` is for relevance-ordered results and skips
entries that arrived in between). An instance finds statuses by their words only when it runs
full-text search (Elasticsearch/OpenSearch); without it Mastodon finds the account's own
posts, favourites, bookmarks and mentions only, and says nothing about it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hubbub.networks.base import Item, Page
from hubbub.networks.mastodon import mapping
from hubbub.networks.pages import map_each


class _Calls(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def each(page: Any, mapper: Callable[[Any], Item | None]) -> tuple[Item, ...]:
    """The page's entries as Items; an unreadable one is skipped and logged by its id."""
    return tuple(map_each(page or (), mapper, network="mastodon",
                          id_of=lambda entry: entry.get("id")))


def next_cursor(page: Any, page_size: int) -> str | None:
    """The max_id for the next (older) page, from the Link header Mastodon.py parsed."""
    if not page:
        return None
    following = getattr(page, "_pagination_next", None)
    if isinstance(following, Mapping) and following.get("max_id") is not None:
        value = following["max_id"]
        return str(value.get("id") if isinstance(value, Mapping) else value)
    return str(page[-1]["id"]) if len(page) >= page_size else None


def search_page(api: _Calls, query: str, cursor: str | None, base_url: str,
                page_size: int) -> Page:
    """Statuses matching `query`, newest first; the cursor is the last status's id.

    A server that ignores max_id (the mastodon-mock peer does) answers the status the cursor
    names again: then only what it lists after that one is older, and paging ends there."""
    found = api.call("search_v2", query, resolve=False, result_type="statuses",
                     max_id=cursor or None, limit=page_size)
    listed = found.get("statuses") if isinstance(found, Mapping) else None
    statuses = [s for s in listed if isinstance(s, Mapping)] if isinstance(listed, list) else []
    ids = [str(s.get("id")) for s in statuses]
    ignored_cursor = bool(cursor) and cursor in ids
    if ignored_cursor:
        statuses = statuses[ids.index(str(cursor)) + 1:]
    items = each(statuses, lambda s: mapping.item_from_status(s, base_url))
    more = not ignored_cursor and len(ids) >= page_size and bool(statuses)
    return Page(items=items, next_cursor=str(statuses[-1].get("id")) if more else None)
