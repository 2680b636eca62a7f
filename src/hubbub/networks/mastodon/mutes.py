"""A Mastodon account's filters and muted and blocked accounts, for importing into Rules:
GET /api/v2/filters (keywords with whole_word, context, expires_at, filter_action), and
GET /api/v1/mutes and /api/v1/blocks, paged by their Link headers (Mastodon.py's fetch_next)
up to MAX_ENTRIES each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from django.utils.dateparse import parse_datetime

from hubbub.networks.mastodon import mapping
from hubbub.networks.mutes import MAX_ENTRIES, Found, Muted

# Where a Mastodon filter (v2) can apply; one naming fewer is taken over for every column here.
FILTER_CONTEXTS = frozenset({"home", "notifications", "public", "thread", "account"})


class Caller(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def _when(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, str) and len(raw) < 40:
        try:
            parsed = parse_datetime(raw)
        except ValueError:
            return None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _accounts(api: Caller, method: str, base_url: str, what: str, found: Found) -> None:
    page = api.call(method, limit=80)
    read = 0
    while page:
        for account in page:
            if read >= MAX_ENTRIES:
                found.skipped.append(f"more than {MAX_ENTRIES} {what}s: the rest were not read")
                return
            if isinstance(account, Mapping) and account.get("acct"):
                found.entries.append(Muted("author", mapping.handle_for(account, base_url), what))
                read += 1
        page = api.call("fetch_next", page)


def _filters(api: Caller, found: Found, now: datetime) -> None:
    filters = api.call("filters_v2") or []
    partial = 0
    for number, item in enumerate(filters):
        if number >= MAX_ENTRIES or not isinstance(item, Mapping):
            continue
        title = str(item.get("title") or "untitled")[:80]
        until = _when(item.get("expires_at"))
        if until is not None and until <= now:
            found.skipped.append(f"filter “{title}”: it has expired")
            continue
        action = str(item.get("filter_action") or "warn")
        if action != "hide":
            found.notes.append(f"filter “{title}” only {action}s on Mastodon (a warning or a "
                               "blur over the post): here its posts are hidden")
        context = [str(c) for c in item.get("context") or ()]
        if context and not set(context) >= FILTER_CONTEXTS:
            found.notes.append(f"filter “{title}” applied only to {', '.join(context)} on "
                               "Mastodon: here it applies to every column")
        for keyword in item.get("keywords") or ():
            if not isinstance(keyword, Mapping) or not str(keyword.get("keyword") or "").strip():
                continue
            if not keyword.get("whole_word", True):
                partial += 1
            found.entries.append(Muted("words", str(keyword["keyword"]).strip(),
                                       "filter keyword", until))
        statuses = item.get("statuses") or ()
        if statuses:
            found.skipped.append(f"filter “{title}”: {len(statuses)} single posts it hides are "
                                 "not imported (rules name authors and words, not posts)")
    if partial:
        found.notes.append(f"{partial} {'keyword' if partial == 1 else 'keywords'} matched "
                           "inside words on Mastodon (whole word off): rules match whole words "
                           "only")


def read(api: Caller, base_url: str) -> Found:
    """The account's filters, mutes and blocks; a failure leaves as a ConnectorError."""
    found = Found()
    _filters(api, found, datetime.now(UTC))
    _accounts(api, "mutes", base_url, "muted account", found)
    _accounts(api, "blocks", base_url, "blocked account", found)
    return found


def read_account(account: Any) -> Found:
    """`read` through the connector's authenticated client for a stored account."""
    from hubbub.networks.mastodon.connector import MastodonConnector

    with MastodonConnector()._account_api(account) as api:
        return read(api, account.base_url)
