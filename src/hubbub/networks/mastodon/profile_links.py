"""Mastodon profiles' links for the People suggestions: GET /api/v1/accounts/lookup?acct= per
author (the server knows every account whose posts it delivered), then the account's fields
(verified_at set when Mastodon found a rel=me link back: verified), its bio (`note`, HTML) and
no other request. A linked page is never fetched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from hubbub.networks.base import Account
from hubbub.networks.errors import NotFound
from hubbub.networks.mastodon import mapping
from hubbub.networks.profile_links import MAX_FIELDS, Link, Profile, bounded, links_in_html


class Caller(Protocol):
    def call(self, method: str, *args: Any, unsafe_write: bool = False, **kwargs: Any) -> Any: ...


def _acct(handle: str, base_url: str) -> str:
    """How the server names the account: "ana" for its own, "ana@elsewhere" for others."""
    user, _, host = handle.lstrip("@").partition("@")
    own = (urlsplit(base_url).hostname or "").lower()
    return user if not host or host.lower() == own else f"{user}@{host}"


def from_account(handle: str, account: Mapping[str, Any]) -> Profile:
    """A Mastodon Account entity's links: its first MAX_FIELDS fields (name, value HTML,
    verified_at), then note."""
    links: list[Link] = []
    fields = account.get("fields")
    # The first MAX_FIELDS only (Mastodon shows 4 by default; a server may allow more, and a
    # hostile one could send thousands, each read for links).
    for item in fields[:MAX_FIELDS] if isinstance(fields, list) else ():
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name") or "")[:60]
        verified = bool(item.get("verified_at"))
        links.extend(links_in_html(str(item.get("value") or ""), f"profile field “{name}”",
                                   verified))
    links.extend(links_in_html(str(account.get("note") or ""), "bio"))
    aliases = tuple(str(account[k]) for k in ("url",) if isinstance(account.get(k), str))
    return Profile(handle, True, bounded(links), aliases)


def _lookup(api: Caller, base_url: str, handle: str) -> Mapping[str, Any] | None:
    """The account; a server whose web address differs from its accounts' domain knows its
    own as the bare user name, taken only when its profile address gives the same handle."""
    acct = _acct(handle, base_url)
    try:
        account = api.call("account_lookup", acct)
    except NotFound:
        if "@" not in acct:
            return None
        try:
            account = api.call("account_lookup", acct.partition("@")[0])
        except NotFound:
            return None
        if not isinstance(account, Mapping) or mapping.handle_for(
                account, base_url).lstrip("@").lower() != handle.lstrip("@").lower():
            return None
    return account if isinstance(account, Mapping) else None


def read_with(api: Caller, base_url: str, handles: list[str]) -> list[Profile]:
    found = []
    for handle in handles:
        account = _lookup(api, base_url, handle)
        found.append(from_account(handle, account) if account is not None
                     else Profile(handle, found=False))
    return found


def read(account: Account, handles: list[str]) -> list[Profile]:
    from hubbub.networks.mastodon.connector import MastodonConnector

    with MastodonConnector()._account_api(account) as api:
        return read_with(api, account.base_url, handles)
