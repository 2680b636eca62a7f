"""A Bluesky account's muted words and muted accounts, for importing into Rules:
app.bsky.actor.getPreferences (the mutedWordsPref: value, targets content/tag, actorTarget,
expiresAt) and app.bsky.graph.getMutes (paged by cursor up to MAX_ENTRIES)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from django.utils.dateparse import parse_datetime

from hubbub.networks.base import Account
from hubbub.networks.mutes import MAX_ENTRIES, Found, Muted


class Querier(Protocol):
    def query(self, nsid: str, params: Mapping[str, Any] | None = None, *,
              auth: bool = True) -> dict[str, Any]: ...


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or len(raw) >= 40:
        return None
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _words(preferences: Any, found: Found, now: datetime) -> None:
    muted: list[Any] = []
    for pref in preferences if isinstance(preferences, list) else ():
        if isinstance(pref, Mapping) and pref.get("$type") == "app.bsky.actor.defs#mutedWordsPref":
            muted.extend(pref.get("items") or ())
    excluded = 0
    for entry in muted[:MAX_ENTRIES]:
        if not isinstance(entry, Mapping) or not str(entry.get("value") or "").strip():
            continue
        value = str(entry["value"]).strip()
        until = _when(entry.get("expiresAt"))
        if until is not None and until <= now:
            found.skipped.append(f"muted word “{value[:60]}”: it has expired")
            continue
        if entry.get("actorTarget") == "exclude-following":
            excluded += 1
        targets = {str(t) for t in entry.get("targets") or ("content",)}
        if "content" in targets:
            found.entries.append(Muted("words", value, "muted word", until))
        if "tag" in targets or value.startswith("#"):
            found.entries.append(Muted("hashtag", value.lstrip("#"), "muted tag", until))
    if len(muted) > MAX_ENTRIES:
        found.skipped.append(f"more than {MAX_ENTRIES} muted words: the rest were not read")
    if excluded:
        found.notes.append(f"{excluded} muted words spared people you follow on Bluesky: "
                           "here they hide everyone's posts")


def _mutes(api: Querier, found: Found) -> None:
    cursor: str | None = None
    read = 0
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = api.query("app.bsky.graph.getMutes", params)
        for actor in body.get("mutes") or ():
            if read >= MAX_ENTRIES:
                found.skipped.append(f"more than {MAX_ENTRIES} muted accounts: the rest were "
                                     "not read")
                return
            did = str(actor.get("did") or "") if isinstance(actor, Mapping) else ""
            if did.startswith("did:"):
                found.entries.append(Muted("author", did, "muted account"))
                read += 1
        next_cursor = body.get("cursor")
        if not next_cursor or not body.get("mutes") or next_cursor == cursor:
            return
        cursor = str(next_cursor)


def read(api: Querier) -> Found:
    """The account's muted words and muted accounts; a failure leaves as a ConnectorError."""
    found = Found()
    preferences = api.query("app.bsky.actor.getPreferences").get("preferences")
    _words(preferences, found, datetime.now(UTC))
    _mutes(api, found)
    return found


def read_account(account: Account) -> Found:
    """`read` through the connector's authenticated client for a stored account."""
    from hubbub.networks.bluesky.connector import BlueskyConnector

    with BlueskyConnector()._api(account) as api:
        return read(api)
