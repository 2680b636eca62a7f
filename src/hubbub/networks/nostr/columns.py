"""Nostr columns beyond the account's own feeds: lists (NIP-51) and search (NIP-50).

- `list:<name or naddr>`: the notes and reposts of the people a follow set names (NIP-51 kind
  30000, or a follow pack, kind 39089: `p` tags). A name is the set's `d` identifier, or its
  `title`, among the account's own sets; an naddr names anyone's set. Entries a list keeps
  private (encrypted in its content) are not read.
- `search:<words>`: NIP-50's `search` filter, sent only to the relays whose NIP-11 document
  lists 50 in `supported_nips`: a relay that does not know the field ignores it and would
  answer every note. Without such a relay the kind is unavailable, and says why.

Why the kinds Nostr never offers are missing is `KIND_REASONS`; what a list column takes (a
name or an naddr, never a key, a note or a coordinate) is `column_param_refusal`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hubbub.networks import column_params
from hubbub.networks.base import Account, Capabilities, Connector, Page
from hubbub.networks.column_params import shown
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import keys, reading
from hubbub.networks.nostr.account_relays import account_relays, nip11_document
from hubbub.networks.nostr.events import Event, tag_values
from hubbub.networks.nostr.relay import QueryResult, RelayPool, parallel

FOLLOW_SET, FOLLOW_PACK = 30000, 39089
LIST_KINDS = (FOLLOW_SET, FOLLOW_PACK)
SEARCH_NIP = 50
NO_SEARCH = "this relay does not offer search (NIP-50)"
NO_SEARCH_ANY = "none of this account's relays offers search (NIP-50)"
NOT_READ_YET = ("whether this account's relays offer search (NIP-50) is not known yet: the "
                "hub has not read their NIP-11 documents")
# Why a column kind is missing on Nostr (the connector's `column_kind_reasons`). Search is
# stated per account by `with_column_kinds`; this one stands when its capabilities say nothing.
KIND_REASONS = {
    "notifications": "relays keep no notifications: a reply or mention is a note that names "
                     "you, and the Mentions column shows those",
    "feed": "the hub reads Bluesky's custom feeds only, not Nostr's feed services (NIP-90 "
            "content discovery): use a list, hashtag or search column",
    "search": "search needs a relay that offers it (NIP-50), and none of this account's "
              "relays is known to",
}
# A `d` identifier or title of a follow set, as list_members looks it up among the account's
# own sets (title_of keeps a title to 100 characters).
LIST_NAME_MAX = 100
_COORDINATE = re.compile(r"\d+:[0-9a-f]{64}:.*")
_NOT_LISTS = {
    "npub": "a person's key (npub), not a list",
    "nprofile": "a person (nprofile), not a list",
    "nsec": "a secret key, not a list (never paste a secret key anywhere but the hub's own "
            "sign-in: the hub has not kept it)",
    "note": "a note, not a list",
    "nevent": "a note or other event (nevent), not a list",
}
LISTS = ("one of this account's follow sets (NIP-51, kind 30000) by its name, or any follow set "
         "or follow pack (kind 39089) by its naddr (naddr1…)")
ProfilesOf = Callable[[RelayPool, Sequence[Event]], Mapping[str, reading.Profile]]
QueryError = Callable[[QueryResult, str], Exception | None]


# --- what a column's parameter may be -----------------------------------------------------------


def column_param_refusal(connector: Connector, kind: str, param: str, *,
                         typed: str = "") -> str:
    """The rules of every network, and a list that can be a follow set: a name or an naddr of
    a list kind, not something else Nostr names (a key, a note, a coordinate)."""
    said = column_params.refusal(connector.name, kind, param, typed=typed)
    return said or (list_refusal(param) if kind == "list" else "")


def list_refusal(value: str) -> str:
    bare = value.strip()
    lowered = bare.lower().removeprefix("nostr:")
    if lowered.startswith("naddr1"):
        try:
            address = keys.decode_naddr(bare)
        except keys.InvalidKey:
            return (f"“{shown(bare)}” is not a valid naddr: a character is wrong or missing. "
                    f"Give {LISTS}.")
        if address.kind not in LIST_KINDS:
            return (f"That naddr names an event of kind {address.kind}, which is not a list of "
                    f"people the hub can read: give {LISTS}.")
        return ""
    for prefix, what in _NOT_LISTS.items():
        if lowered.startswith(prefix + "1"):
            shown_value = "That key" if prefix == "nsec" else f"“{shown(bare)}”"
            person = (" For one person's posts, add a Person column."
                      if prefix in ("npub", "nprofile") else "")
            return f"{shown_value} names {what}: give {LISTS}.{person}"
    if keys.is_hex32(lowered):
        return f"“{shown(bare)}” is a 64-character hex key or id, not a list: give {LISTS}."
    if _COORDINATE.fullmatch(lowered):
        return (f"“{shown(bare)}” is a list's coordinate (kind:key:name), which the hub does "
                f"not read: give {LISTS}.")
    if len(bare) > LIST_NAME_MAX:
        return (f"“{shown(bare)}” is too long for a list's name (at most {LIST_NAME_MAX} "
                f"characters): give {LISTS}.")
    return ""


# --- what the relays offer --------------------------------------------------------------------


def offers_search(document: object) -> bool:
    nips = document.get("supported_nips") if isinstance(document, Mapping) else None
    return isinstance(nips, list) and any(n == SEARCH_NIP and not isinstance(n, bool)
                                          for n in nips)


def with_column_kinds(caps: Capabilities, documents: Sequence[object | None]) -> Capabilities:
    """Lists always; search when a relay's NIP-11 document offers it, else the reason."""
    feeds = tuple(dict.fromkeys((*caps.feeds, "list")))
    if any(offers_search(d) for d in documents):
        return replace(caps, feeds=(*feeds, "search"))
    reason = NOT_READ_YET if not documents else NO_SEARCH if len(documents) == 1 else NO_SEARCH_ANY
    return replace(caps, feeds=feeds, unavailable_feeds=(("search", reason),))


def search_relays(relays: Sequence[str]) -> list[str]:
    documents = parallel(nip11_document, relays)
    return [url for url, doc in zip(relays, documents, strict=True) if offers_search(doc)]


# --- reading ----------------------------------------------------------------------------------


def read_column(account: Account, own_pubkey: str, feed: str, cursor: str | None, *,
                page_size: int, profiles_of: ProfilesOf, query_error: QueryError) -> Page:
    kind, _, value = feed.partition(":")
    value = value.strip()
    position = reading.parse_cursor(cursor)
    until = reading.query_until(position)
    relays = list(account_relays(account))
    if kind == "search":
        if not value:
            raise Rejected("A Nostr search column needs words to search for.")
        relays = search_relays(relays)
        if not relays:
            raise Rejected(f"Nostr: {NO_SEARCH_ANY}, so this column cannot search.")
    elif kind != "list" or not value:
        raise NotImplementedError(f"Nostr cannot read {feed!r}")
    with RelayPool(relays) as pool:
        if kind == "search":
            filters: list[dict[str, Any]] = [
                _bounded({"kinds": list(reading.NOTE_KINDS), "search": value}, until, page_size)]
        else:
            members = list_members(pool, own_pubkey, value, query_error)
            filters = [_bounded({"kinds": list(reading.HOME_KINDS), "authors": chunk}, until,
                                page_size)
                       for chunk in _chunks(members, reading.AUTHORS_PER_FILTER)]
        result = pool.query(filters)
        error = query_error(result, feed)
        if error is not None:
            raise error
        page, next_cursor = reading.next_page(result.events, position, page_size)
        profiles = profiles_of(pool, page)
    items = reading.items_from_events(page, own_pubkey=own_pubkey, profiles=profiles,
                                      feed=feed, relays=result.answered)
    return Page(items=tuple(items), next_cursor=next_cursor)


def list_members(pool: RelayPool, own_pubkey: str, name: str,
                 query_error: QueryError) -> list[str]:
    """The public keys a list names, found by its naddr or, among the account's own lists, by
    its `d` identifier or title."""
    address = _address(name)
    if address is not None:
        wanted = [{"kinds": [address.kind], "authors": [address.author],
                   "#d": [address.identifier]}]
    else:
        wanted = [{"kinds": list(LIST_KINDS), "authors": [own_pubkey], "limit": 500}]
    result = pool.query(wanted)
    error = query_error(result, "list request")
    if error is not None:
        raise error
    lists = _newest_by_identifier(result.events)
    found = lists.get(address.identifier) if address else _by_name(lists, name)
    if found is None:
        known = ", ".join(sorted(f"“{title_of(e)}”" for e in lists.values())[:10])
        raise Rejected(f"Nostr: no list “{name[:100]}” (a follow set, NIP-51) was found on "
                       f"this account's relays"
                       + (f"; its lists are {known}." if known and address is None else "."))
    members = [p for p in dict.fromkeys(tag_values(found, "p")) if keys.is_hex32(p)]
    if not members:
        raise Rejected(f"Nostr: the list “{title_of(found)}” names nobody yet.")
    return members


def title_of(event: Event) -> str:
    for tag in ("title", "name", "d"):
        values = tag_values(event, tag)
        if values and values[0].strip():
            return values[0].strip()[:100]
    return "untitled"


def _address(text: str) -> keys.Address | None:
    candidate = text.strip()
    if not candidate.lower().removeprefix("nostr:").startswith("naddr1"):
        return None
    try:
        address = keys.decode_naddr(candidate)
    except keys.InvalidKey as exc:
        raise Rejected(f"Nostr: that naddr cannot be read: {exc}") from exc
    if address.kind not in LIST_KINDS:
        raise Rejected(f"Nostr: that naddr names an event of kind {address.kind}, not a list "
                       "of people (a follow set, kind 30000).")
    return address


def _newest_by_identifier(found: Iterable[Event]) -> dict[str, Event]:
    newest: dict[str, Event] = {}
    for event in found:
        if event.get("kind") not in LIST_KINDS:
            continue
        identifier = (tag_values(event, "d") or [""])[0]
        known = newest.get(identifier)
        if known is None or event["created_at"] > known["created_at"]:
            newest[identifier] = event
    return newest


def _by_name(lists: Mapping[str, Event], name: str) -> Event | None:
    if name in lists:
        return lists[name]
    folded = name.casefold()
    for identifier, event in lists.items():
        if folded in (identifier.casefold(), title_of(event).casefold()):
            return event
    return None


def _bounded(query: dict[str, Any], until: int | None, limit: int) -> dict[str, Any]:
    query["limit"] = limit
    if until is not None:
        query["until"] = until
    return query


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
