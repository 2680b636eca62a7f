"""Mastodon profiles' links for the People suggestions: GET /api/v1/accounts/lookup?acct= per
author (the server knows every account whose posts it delivered; at most MAX_PROFILES lookups
a turn, counting the second asked for one of its own accounts), then the account's fields
(verified_at set when Mastodon found a rel=me link back: verified), its bio (`note`, HTML) and
no other request. A linked page is never fetched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from hubbub.networks.base import Account
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Revoked,
    Transient,
)
from hubbub.networks.mastodon import mapping
from hubbub.networks.profile_links import (
    MAX_FIELDS,
    MAX_PROFILES,
    Link,
    Profile,
    bounded,
    links_in_html,
)


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


FAILURES_IN_A_ROW = 3  # lookups failing with nothing read this turn: the server is down


class _Budget:
    """The lookups a turn may still make (MAX_PROFILES: one request each, however many
    handles they serve)."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def call(self, api: Caller, acct: str) -> Any:
        self.left -= 1
        return api.call("account_lookup", acct)


def _lookup(api: Caller, base_url: str, handle: str,
            budget: _Budget) -> Mapping[str, Any] | None:
    """The account; a server whose web address differs from its accounts' domain knows its
    own as the bare user name (a second lookup, when the budget has one left), taken only
    when its profile address gives the same handle. _Unread when the budget ran out first."""
    acct = _acct(handle, base_url)
    try:
        account = budget.call(api, acct)
    except NotFound:
        if "@" not in acct:
            return None
        if budget.left <= 0:
            raise _Unread from None
        try:
            account = budget.call(api, acct.partition("@")[0])
        except NotFound:
            return None
        if not isinstance(account, Mapping) or mapping.handle_for(
                account, base_url).lstrip("@").lower() != handle.lstrip("@").lower():
            return None
    return account if isinstance(account, Mapping) else None


class _Unread(Exception):
    """The turn's lookups were used up before this handle's were done."""


def read_with(api: Caller, base_url: str, handles: list[str]) -> list[Profile]:
    """The profiles of `handles`, in at most MAX_PROFILES lookups; a handle not reached is
    left out (still due). An account the server refuses (a 4xx) is answered as not found, so
    one account cannot hold the rest back; a 5xx or timeout is never taken as not found: before
    any lookup answered its handle is left out (still due) and the next is asked, after one
    answered the turn ends with what was read (the server went down: the rest stay due). A
    rate limit or expired credentials end the turn, and so does a server that fails
    FAILURES_IN_A_ROW lookups before any answered (it is down: the turn is tried again)."""
    budget = _Budget(MAX_PROFILES)
    found: list[Profile] = []
    failing = 0
    answered = False
    for handle in handles:
        if budget.left <= 0:
            break
        try:
            account = _lookup(api, base_url, handle, budget)
        except _Unread:
            break
        except (RateLimited, AuthExpired, Revoked):
            raise
        except (Transient, OutcomeUnknown):
            if answered:  # the server went down mid-turn: keep what was read, the rest stay due
                break
            failing += 1
            if failing >= FAILURES_IN_A_ROW:
                raise
            continue  # this handle stays due; one account failing cannot hold the rest back
        except ConnectorError:  # refused (a 4xx): asking again cannot help
            account = None
        answered, failing = True, 0
        found.append(from_account(handle, account) if account is not None
                     else Profile(handle, found=False))
    return found


def read(account: Account, handles: list[str]) -> list[Profile]:
    from hubbub.networks.mastodon.connector import MastodonConnector

    with MastodonConnector()._account_api(account) as api:
        return read_with(api, account.base_url, handles)
