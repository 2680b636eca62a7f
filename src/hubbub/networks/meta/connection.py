"""Connector plumbing that Facebook and Threads share: a connection made from a pasted token,
and which remote object (a Page, an account) a connection stands for. When a publish was first
tried is not Meta's alone: networks/attempts.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hubbub.networks.base import Account, Connected, Identity
from hubbub.networks.errors import Rejected, Revoked


def token_connection(base_url: str, credentials: Mapping[str, Any], *, missing: str,
                     origin: Callable[[], str], whoami: Callable[[Account], Identity],
                     id_key: str, keep: tuple[str, ...] = ()) -> Connected:
    """A connection from a pasted token (connect_with_token): Rejected(`missing`) when it is
    blank; at the origin typed, else `origin()`; with the `keep` values given (trimmed, when
    not blank), and the id of whom `whoami` says the token acts as under `id_key`."""
    token = str(credentials.get("access_token") or "").strip()
    if not token:
        raise Rejected(missing)
    base = base_url.strip() or origin()
    stored: dict[str, Any] = {"access_token": token}
    for key in keep:
        value = str(credentials.get(key) or "").strip()
        if value:
            stored[key] = value
    identity = whoami(Account(base_url=base, credentials=stored))
    stored[id_key] = identity.remote_id
    return Connected(base_url=base, credentials=stored, identity=identity)


def stored_id(account: Account, key: str, missing: str) -> str:
    """The id of the Page or account the connection acts as: `credentials[key]`, else the
    connection's remote id. Revoked with the sentence `missing` when neither is stored (only
    connecting again can tell)."""
    value = account.credentials.get(key) or account.remote_id
    if not value:
        raise Revoked(missing)
    return str(value)

