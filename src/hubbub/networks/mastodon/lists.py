"""Mastodon list columns named as people know them: `list:<id>` or `list:<title>`.

Mastodon reads a list by its id (GET /api/v1/timelines/list/:id), which its web pages show
only in the address; a title is looked up among the account's lists (GET /api/v1/lists,
case-insensitive). Ids are digits, so a value of digits is taken as an id without asking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from hubbub.networks.errors import Rejected


class _Calls(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def list_id(api: _Calls, value: str) -> str:
    value = value.strip()
    if value.isascii() and value.isdigit():
        return value
    found = api.call("lists")
    lists = [entry for entry in found or () if isinstance(entry, Mapping) and entry.get("id")]
    wanted = value.casefold()
    for entry in lists:
        if str(entry.get("title") or "").strip().casefold() == wanted:
            return str(entry["id"])
    titles = ", ".join(f"“{str(e.get('title') or '')[:60]}”" for e in lists[:10])
    raise Rejected(f"Mastodon: this account has no list “{value[:100]}”"
                   + (f"; its lists are {titles}." if titles else " (it has no lists)."))
