"""Connector plumbing that Facebook and Threads share because both APIs take no idempotency key:
which remote object a connection stands for, and when a publish was first tried (stored by
`prepare`, so settling a lost answer looks only at what was made since then).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.networks.base import Account
from hubbub.networks.errors import Revoked


def stored_id(account: Account, key: str, missing: str) -> str:
    """The id of the Page or account the connection acts as: `credentials[key]`, else the
    connection's remote id. Revoked with the sentence `missing` when neither is stored (only
    connecting again can tell)."""
    value = account.credentials.get(key) or account.remote_id
    if not value:
        raise Revoked(missing)
    return str(value)


def attempt() -> dict[str, Any]:
    """What `prepare` stores: when this part was first tried."""
    return {"attempted_at": datetime.now(UTC).isoformat()}


def attempted(prepared: Mapping[str, Any] | None, fallback: timedelta) -> datetime:
    """When the part was first tried (`attempt`), or `fallback` before now when that is not
    stored or not a time."""
    stamp = (prepared or {}).get("attempted_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp)
        except ValueError:
            pass
    return datetime.now(UTC) - fallback
