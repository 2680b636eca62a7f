"""Bluesky profiles' links for the People suggestions: app.bsky.actor.getProfiles (up to 25
actors a call, through the account's own server) gives each profile's `description` (plain
text: its addresses and handles are read from the words) and `website` where the server has
one; the DID and handle are the account's other names. A linked page is never fetched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from hubbub.networks.base import Account
from hubbub.networks.profile_links import MAX_PROFILES, Link, Profile, bounded, links_in_text


class Querier(Protocol):
    def query(self, nsid: str, params: Mapping[str, Any] | None = None, *,
              auth: bool = True) -> dict[str, Any]: ...


def from_profile(handle: str, profile: Mapping[str, Any]) -> Profile:
    links: list[Link] = []
    website = profile.get("website")
    if isinstance(website, str) and website:
        links.extend(links_in_text(website, "website") or [Link(website[:300], "website")])
    description = profile.get("description")
    if isinstance(description, str):
        links.extend(links_in_text(description, "bio"))
    aliases = tuple(str(profile[k]).lower() for k in ("did", "handle")
                    if isinstance(profile.get(k), str) and profile.get(k))
    return Profile(handle, True, bounded(links), aliases)


def read_with(api: Querier, handles: list[str]) -> list[Profile]:
    asked = [h.lstrip("@") for h in handles[:MAX_PROFILES] if h.lstrip("@")]
    if not asked:
        return []
    body = api.query("app.bsky.actor.getProfiles", {"actors": asked})
    by_name: dict[str, Mapping[str, Any]] = {}
    for profile in body.get("profiles") or ():
        if isinstance(profile, Mapping):
            for key in ("did", "handle"):
                if isinstance(profile.get(key), str):
                    by_name[str(profile[key]).lower()] = profile
    found = []
    for handle in asked:
        profile = by_name.get(handle.lower())
        found.append(from_profile(handle, profile) if profile else Profile(handle, found=False))
    return found


def read(account: Account, handles: list[str]) -> list[Profile]:
    from hubbub.networks.bluesky.connector import BlueskyConnector

    with BlueskyConnector()._api(account) as api:
        return read_with(api, handles)
