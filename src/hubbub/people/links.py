"""Which accounts' profiles link to which (issue 12, "suggested when profiles link each other").

An account is known by keys: its handle ("acct:ana@social.example", "acct:ana.bsky.social"), a
key ("npub:npub1…"), a domain that is its handle ("domain:ana.example.com") and its profile
addresses ("url:social.example/@ana"). What a profile links to (people.models.AuthorProfile,
read by networks/<network>/profile_links.py) is turned into the same keys, so "Ana's Mastodon
profile links to https://bsky.app/profile/ana.bsky.social" meets the Bluesky account
ana.bsky.social. Only accounts on different networks are linked; no address is ever fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

_NPUB = re.compile(r"npub1[02-9ac-hj-np-z]{58}")
_HOSTLIKE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}")


@dataclass(frozen=True, slots=True)
class Edge:
    """Account `source`'s profile links to account `target` (each (network, author key))."""

    source: tuple[str, str]
    target: tuple[str, str]
    value: str  # what the profile had
    where: str
    verified: bool


def _npub(text: str) -> str:
    match = _NPUB.fullmatch(text)
    return f"npub:{text}" if match else ""


def url_keys(url: str) -> set[str]:
    """The keys of a profile address: the address itself (no scheme, "www.", query or
    trailing slash), and the account it names where its shape says so (/@user, /users/user,
    /profile/handle, an npub in the path, a bare domain)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
        port = parts.port
    except ValueError:
        return set()
    if parts.scheme.lower() not in ("http", "https") or not host:
        return set()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    keys = {f"url:{netloc}{path.lower()}"}
    segments = [s for s in path.split("/") if s]
    if not segments:
        keys.add(f"domain:{host}")
    elif len(segments) == 1 and segments[0].startswith("@") and len(segments[0]) > 1:
        user = segments[0][1:].lower()
        keys.add(f"acct:{user}" if "@" in user else f"acct:{user}@{host}")
    elif len(segments) == 2 and segments[0] in ("users", "profile", "u"):
        name = segments[1].lower()
        keys.add(f"acct:{name}" if segments[0] == "profile" else f"acct:{name}@{host}")
    for segment in segments:
        npub = _npub(segment.lower())
        if npub:
            keys.add(npub)
    return keys


def link_keys(value: str) -> set[str]:
    """The keys of what a profile links to: an address, a handle (user@domain), an npub or a
    bare domain."""
    text = value.strip().lower().removeprefix("nostr:").lstrip("@")
    if not text or len(text) > 1000:
        return set()
    npub = _npub(text)
    if npub:
        return {npub}
    if text.startswith(("http://", "https://")):
        return url_keys(text)
    if "@" in text and " " not in text:
        return {f"acct:{text}"}
    if _HOSTLIKE.fullmatch(text):
        return {f"domain:{text}", f"acct:{text}"}
    return set()


def account_keys(handle: str, profile_url: str, aliases: Iterable[str] = ()) -> set[str]:
    """The keys an account is known by (its author key, its profile address, other names)."""
    keys: set[str] = set()
    for name in (handle, *aliases):
        name = name.strip().lower().lstrip("@")
        if not name:
            continue
        if name.startswith(("http://", "https://")):
            keys |= url_keys(name)
            continue
        npub = _npub(name)
        if npub:
            keys.add(npub)
            continue
        keys.add(f"acct:{name}")
        if "@" not in name and not name.startswith("did:") and _HOSTLIKE.fullmatch(name):
            keys.add(f"domain:{name}")
    if profile_url:
        keys |= url_keys(profile_url)
    return keys


def edges(accounts: Mapping[tuple[str, str], set[str]],
          profiles: Mapping[tuple[str, str], Sequence[Mapping[str, object]]]) -> list[Edge]:
    """Every link from one account's profile to another account on another network.
    `accounts`: (network, author key) -> its keys; `profiles`: (network, author key) -> the
    links its profile has ({"value", "where", "verified"})."""
    index: dict[str, set[tuple[str, str]]] = {}
    for account, keys in accounts.items():
        for key in keys:
            index.setdefault(key, set()).add(account)
    found: dict[tuple[tuple[str, str], tuple[str, str]], Edge] = {}
    for source, links in profiles.items():
        if source not in accounts:
            continue
        for link in links:
            value = str(link.get("value") or "")
            for key in link_keys(value):
                for target in index.get(key, ()):
                    if target[0] == source[0]:
                        continue
                    verified = bool(link.get("verified"))
                    kept = found.get((source, target))
                    if kept is None or (verified and not kept.verified):
                        found[(source, target)] = Edge(source, target, value,
                                                       str(link.get("where") or ""), verified)
    return sorted(found.values(), key=lambda e: (e.source, e.target))
