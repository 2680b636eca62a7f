"""The kinds of column a person can add, and the feed key each one reads.

The kinds a connection offers come from its connector's capabilities (`feeds`), and why it lacks
the others from the connector too (`column_kind_reasons`, `unavailable_feeds`), so nothing here
names a network."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hubbub.connections.models import Connection
from hubbub.networks.base import Capabilities
from hubbub.networks.column_params import SEARCH_MAX as SEARCH_MAX  # the hint below states it
from hubbub.networks.registry import UnknownNetwork, get_connector


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    icon: str
    merged_title: str
    param_label: str = ""  # set when the kind needs a parameter
    param_hint: str = ""


KINDS: dict[str, Kind] = {k.slug: k for k in (
    Kind("home", "Home", "home", "Home everywhere"),
    Kind("notifications", "Notifications", "bell", "All notifications"),
    Kind("mentions", "Mentions", "at", "All mentions"),
    Kind("own", "My posts", "user", "All my posts"),
    Kind("list", "List", "list", "Lists", "List",
         "Mastodon: the list's name or id; Nostr: a follow set's name or its naddr1…; "
         "Bluesky: its at:// address or bsky.app link"),
    Kind("hashtag", "Hashtag", "hash", "Hashtag everywhere", "Hashtag",
         "one tag, without the # or spaces"),
    Kind("search", "Search", "search", "Search everywhere", "Search for",
         f"words or a phrase, at most {SEARCH_MAX} characters"),
    Kind("author", "Person", "user", "Person everywhere", "Handle", "e.g. @alice@example.social"),
    Kind("feed", "Custom feed", "columns", "Custom feeds", "Feed",
         "its at:// address or its link, e.g. https://bsky.app/profile/…/feed/…"),
)}


def _capabilities(connection: Connection) -> Capabilities | None:
    """The cached limits, without I/O (the add-column form must not wait on a network). Limits
    stored by an older version (without every field) may name fewer feeds than the connector
    now reads: its defaults stand in until they are read again."""
    if connection.capabilities_json and Capabilities.has_every_field(
            connection.capabilities_json):
        try:
            return Capabilities.from_json(connection.capabilities_json)
        except (KeyError, TypeError, ValueError, IndexError):
            pass
    try:
        return get_connector(connection.network).default_capabilities()
    except (NotImplementedError, UnknownNetwork, ImportError):
        return None


def available_kinds(connection: Connection) -> list[str]:
    caps = _capabilities(connection)
    feeds = set(caps.feeds) if caps else set()
    if "author" in feeds:
        feeds.add("own")  # your own posts are the author feed of your own handle
    return [slug for slug in KINDS if slug in feeds]


def unavailable_reasons(connection: Connection) -> dict[str, str]:
    """Why this account cannot show each kind it does not offer, in words, beginning with the
    network's name ("Nostr: this relay does not offer search (NIP-50)"). The account's own
    reason where its capabilities give one, else the one its connector declares for the
    network (`column_kind_reasons`), else only that the network does not offer the kind.
    Capabilities stored by an older version state no reasons: the connector's then stand."""
    caps = _capabilities(connection)
    offered = set(available_kinds(connection))
    stated: dict[str, str] = {}
    try:
        connector = get_connector(connection.network)
    except (UnknownNetwork, ImportError):
        name = connection.network
    else:
        name = connector.name
        stated.update(connector.column_kind_reasons)
    if caps:
        stated.update((kind, why) for kind, why in caps.unavailable_feeds if why)
    return {
        slug: f"{name}: {stated.get(slug) or f'no {kind.label.lower()} columns'}"
        for slug, kind in KINDS.items() if slug not in offered
    }


def reading_notes(connections: Iterable[Connection]) -> list[str]:
    """What the connectors of these connections say about reading them (a network that gives
    apps no home feed), each once, in order."""
    notes: list[str] = []
    for connection in connections:
        try:
            note = get_connector(connection.network).reading_note
        except (UnknownNetwork, ImportError):
            continue
        if note and note not in notes:
            notes.append(note)
    return notes


def clean_param(kind: str, param: str) -> str:
    param = " ".join(param.split())
    if kind == "hashtag":
        param = param.lstrip("#")
    return param[:200]


def feed_key(connection: Connection, kind: str, param: str = "") -> str:
    """The connector's feed name: "home", "mentions", "hashtag:<tag>", "author:<handle>", ..."""
    if kind == "own":
        caps = _capabilities(connection)
        if caps is not None and "own" in caps.feeds:
            return "own"
        return f"author:{connection.handle}"
    if KINDS[kind].param_label:
        return f"{kind}:{clean_param(kind, param)}"
    return kind


def column_title(kind: str, param: str = "", *, merged: bool = False) -> str:
    param = clean_param(kind, param)
    if kind == "hashtag":
        return f"#{param}"
    if kind == "search":
        return f"“{param}”"
    if kind in ("author", "list"):
        return param
    if kind == "feed":
        return param.rstrip("/").rpartition("/")[2] or param
    return KINDS[kind].merged_title if merged else KINDS[kind].label


def kind_of_key(key: str) -> str:
    """The kind a stored feed key belongs to ("hashtag:x" -> "hashtag")."""
    slug = key.split(":", 1)[0]
    return slug if slug in KINDS else "home"
