"""Nostr profiles' links for the People suggestions: the newest kind-0 metadata of each
author, asked of the account's own relays in one request (authors up to 25): `website` and
`about` (addresses and handles in its words), the NIP-05 address (kept as a handle; it is not
checked, since that would mean fetching the address's domain), and NIP-39 `i` tags naming
another identity ("mastodon:social.example/@ana", "github:ana"). A linked page is never
fetched."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hubbub.networks.base import Account
from hubbub.networks.nostr import keys, mapping
from hubbub.networks.nostr.account_relays import account_relays
from hubbub.networks.nostr.relay import RelayPool
from hubbub.networks.profile_links import (
    MAX_FIELDS,
    MAX_PROFILES,
    Link,
    Profile,
    bounded,
    links_in_text,
)

METADATA = 0


def _identity(claim: str) -> Link | None:
    """A NIP-39 `i` tag's "platform:identity" as a link (mastodon: instance/@user)."""
    platform, _, identity = claim.partition(":")
    platform, identity = platform.strip().lower(), identity.strip()
    if not identity:
        return None
    where = f"NIP-39 {platform} identity"
    if platform == "mastodon":
        host, _, user = identity.partition("/@")
        return Link(f"{user}@{host}"[:300] if user else f"https://{identity}"[:300], where)
    if platform in ("github", "twitter", "telegram"):
        sites = {"github": "https://github.com/", "twitter": "https://twitter.com/",
                 "telegram": "https://t.me/"}
        return Link((sites[platform] + identity)[:300], where)
    return None


def from_event(handle: str, event: Mapping[str, Any] | None) -> Profile:
    if event is None:
        return Profile(handle, found=False)
    try:
        content = json.loads(str(event.get("content") or ""))
    except ValueError:
        content = {}
    if not isinstance(content, Mapping):
        content = {}
    links: list[Link] = []
    website = content.get("website")
    if isinstance(website, str) and website.strip():
        text = website.strip()
        links.extend(links_in_text(text, "website")
                     or links_in_text(f"https://{text}", "website"))
    nip05 = content.get("nip05")
    if isinstance(nip05, str) and "@" in nip05 and len(nip05) < 300:
        name, _, domain = nip05.strip().lower().partition("@")
        links.append(Link(domain if name == "_" else f"{name}@{domain}", "NIP-05 address"))
    about = content.get("about")
    if isinstance(about, str):
        links.extend(links_in_text(about, "bio"))
    tags = event.get("tags")
    claims = [tag for tag in tags if isinstance(tag, list) and len(tag) >= 2
              and tag[0] == "i" and isinstance(tag[1], str)] if isinstance(tags, list) else []
    for tag in claims[:MAX_FIELDS]:  # the first identity claims only
        link = _identity(tag[1][:300])
        if link is not None:
            links.append(link)
    return Profile(handle, True, bounded(links), (str(event.get("pubkey") or ""),))


def read(account: Account, handles: list[str]) -> list[Profile]:
    wanted: dict[str, str] = {}  # hex -> handle as asked
    for handle in handles[:MAX_PROFILES]:
        try:
            wanted[keys.parse_pubkey(handle)] = handle
        except ValueError:
            continue
    if not wanted:
        return []
    with RelayPool(account_relays(account)) as pool:
        result = pool.query([{"kinds": [METADATA], "authors": sorted(wanted),
                              "limit": len(wanted) * 3}])
    error = mapping.query_error(result, "profile request")
    if error is not None:
        raise error
    newest: dict[str, Mapping[str, Any]] = {}
    for event in result.events:
        pubkey = event.get("pubkey")
        if event.get("kind") != METADATA or pubkey not in wanted:
            continue
        kept = newest.get(pubkey)
        if kept is None or (event["created_at"], event["id"]) > (kept["created_at"], kept["id"]):
            newest[pubkey] = event
    return [from_event(handle, newest.get(pubkey)) for pubkey, handle in wanted.items()]
