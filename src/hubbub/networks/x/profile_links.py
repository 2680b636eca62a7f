"""X profiles' links for the People suggestions: GET /2/users/by (docs.x.com, "Users lookup":
up to 100 usernames a request; asked for 25 at most) with `user.fields=description,url,entities`.
X answers the profile's website (`url`) and every address in the bio (`description`) as t.co
links; `entities.url.urls[].expanded_url` and `entities.description.urls[].expanded_url` give
the addresses as typed, which are what is kept (a t.co link names nobody). The bio's words give
handles and npubs too. A username X does not know comes back in `errors`: not found. The
account's names are its x.com and twitter.com addresses. A linked page is never fetched.

X bills every user a read returns ($0.010, costs.py): a read is refused while the account's X
columns are over its monthly cap (as a rate limit until the next day, so no author is given up),
and the People turns read at most HUBBUB_X_PROFILE_READS_PER_DAY profiles a connection a day
(`XConnector.profile_reads_per_day`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from hubbub.networks.base import Account
from hubbub.networks.errors import RateLimited, Rejected
from hubbub.networks.profile_links import MAX_PROFILES, Link, Profile, bounded, links_in_text

FIELDS = "description,url,entities"
USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")  # what /2/users/by takes (else 400 for all)


class Getter(Protocol):
    def get(self, path: str, params: Mapping[str, Any] | None = None, *, what: str = "",
            limit_key: str = "") -> dict[str, Any]: ...


def _expanded(entities: Any, part: str) -> list[tuple[str, str]]:
    """(t.co link, the address as typed) of one part of a user's entities."""
    found: list[tuple[str, str]] = []
    block = entities.get(part) if isinstance(entities, Mapping) else None
    for url in (block.get("urls") or ()) if isinstance(block, Mapping) else ():
        if isinstance(url, Mapping) and isinstance(url.get("expanded_url"), str):
            found.append((str(url.get("url") or ""), str(url["expanded_url"])))
    return found


def from_user(handle: str, user: Mapping[str, Any]) -> Profile:
    entities = user.get("entities")
    links: list[Link] = []
    website = _expanded(entities, "url")
    for _short, typed in website:
        links.extend(links_in_text(typed, "website") or [Link(typed[:300], "website")])
    description = user.get("description")
    if isinstance(description, str) and description:
        for short, typed in _expanded(entities, "description"):
            if short:
                description = description.replace(short, typed)
        links.extend(links_in_text(description, "bio"))
    username = str(user.get("username") or handle).lower()
    aliases = (f"https://x.com/{username}", f"https://twitter.com/{username}")
    return Profile(handle, True, bounded(links), aliases)


def read_with(x: Getter, handles: Sequence[str]) -> list[Profile]:
    asked = [h.strip().lstrip("@") for h in handles[:MAX_PROFILES] if h.strip().lstrip("@")]
    valid = [h for h in asked if USERNAME.fullmatch(h)]
    by_name: dict[str, Mapping[str, Any]] = {}
    if valid:
        body = x.get("/2/users/by", {"usernames": ",".join(valid), "user.fields": FIELDS},
                     what="profiles")
        by_name = {str(u.get("username") or "").lower(): u for u in body.get("data") or ()
                   if isinstance(u, Mapping)}
    return [from_user(h, by_name[h.lower()]) if h.lower() in by_name
            else Profile(h, found=False) for h in asked]


def read(account: Account, handles: list[str]) -> list[Profile]:
    from hubbub.networks.x import costs
    from hubbub.networks.x.connector import XConnector

    try:
        costs.check_cap(account, "profiles")
    except Rejected as exc:  # over the cap: wait, as for a rate limit; nobody is given up
        raise RateLimited(f"X profiles not read: {exc}",
                          datetime.now(UTC) + timedelta(hours=6)) from None
    with XConnector()._api(account) as x:
        return read_with(x, handles)
