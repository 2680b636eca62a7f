"""Renewing an X login when several workers may try at once.

X's refresh tokens are single use: a refresh answers with a new access token and a new refresh
token, and the old refresh token is spent. If two workers (a publish and a poll, or two worker
processes) each spend the same stored refresh token, X renews the first and refuses the second,
which then calls the connection revoked; and whichever writes last decides what is stored, so
the good pair can be overwritten by nothing. So a refresh is coordinated through the stored
credentials themselves (the Connection row), by compare-and-set on their ciphertext: Fernet
never encrypts twice alike, so "the ciphertext is still the one I read" means "nobody wrote
since":

1. Read the row. If its refresh token is no longer the one we hold, someone already renewed:
   use their pair and ask X nothing.
2. Else claim it: write the same credentials plus a claim (a nonce and an expiry), CAS on what
   we read; losing the race means reading again. A live claim of someone else's means waiting
   for its result (polling the row, bounded); an expired one (its worker died) is taken over.
3. Spend the token, and write the new pair the moment it arrives, in one UPDATE, before
   anything else can fail. (A worker killed between X's answer and that write loses the pair:
   no client can close that window, X having spent the old token already.)
4. X refused: when the row changed meanwhile, use what is there; else clear the claim and
   raise Revoked (the person must reconnect).

The one place the X connector touches a model, like the Mastodon connector's app registry: the
engine and the poller store what refresh_credentials returns, but cannot know that the network
behind it rotates its tokens. Credentials without a `grant_id` (made outside the hub's connect
flows, e.g. by tests) have no row to coordinate through and are refreshed directly.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from hubbub.connections.models import Connection
from hubbub.core import crypto
from hubbub.networks.base import Account
from hubbub.networks.errors import Revoked, Transient

log = logging.getLogger(__name__)
CLAIM = "refreshing"
POLL_SECONDS = 0.1

Exchange = Callable[[str, str], dict[str, Any]]  # (base_url, refresh token) -> new credentials


@dataclass(frozen=True)
class StoredRow:
    pk: int
    ciphertext: str
    credentials: dict[str, Any]


def _claim_seconds() -> float:
    # One token request: its connect and read timeouts, and room to write the answer.
    return 2 * float(settings.HUBBUB_HTTP_TIMEOUT) + 10


def find_row(account: Account, grant_id: str) -> StoredRow | None:
    rows = Connection.objects.filter(network="x", remote_id=account.remote_id,
                                     disconnected_at__isnull=True).values_list(
        "pk", "credentials_enc")
    for pk, ciphertext in rows:
        try:
            stored = crypto.decrypt_json(ciphertext)
        except crypto.DecryptionError:
            continue
        if stored.get("grant_id") == grant_id:
            return StoredRow(pk, ciphertext, stored)
    return None


def _swap(row: StoredRow, credentials: dict[str, Any]) -> str | None:
    """CAS: store `credentials` if the row still holds what was read. Returns the new
    ciphertext, or None when someone wrote in between."""
    ciphertext = crypto.encrypt_json(credentials)
    done = Connection.objects.filter(pk=row.pk, credentials_enc=row.ciphertext).update(
        credentials_enc=ciphertext)
    return ciphertext if done else None


def _without_claim(credentials: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in credentials.items() if k != CLAIM}


def _claim_alive(credentials: dict[str, Any], now: datetime) -> bool:
    claim = credentials.get(CLAIM)
    if not isinstance(claim, dict):
        return False
    try:
        until = datetime.fromisoformat(str(claim.get("until")))
    except ValueError:
        return False
    return until > now


def refresh(account: Account, exchange: Exchange) -> dict[str, Any]:
    """New credentials for `account`, spending its refresh token at most once across every
    worker. Raises Revoked when X refuses the token, Transient when another worker's renewal
    does not finish in time (the caller retries later)."""
    held = str(account.credentials.get("refresh_token") or "")
    grant_id = str(account.credentials.get("grant_id") or "")
    if not held:
        raise Revoked("X gave this account no refresh token: reconnect it.")
    if not grant_id:
        return {**_without_claim(account.credentials),
                **exchange(account.base_url, held)}
    deadline = time.monotonic() + _claim_seconds() + 5
    nonce = secrets.token_hex(8)
    while True:
        row = find_row(account, grant_id)
        if row is None:  # disconnected or reconnected meanwhile: nothing shared to protect
            return {**_without_claim(account.credentials), **exchange(account.base_url, held)}
        stored = row.credentials
        if stored.get("refresh_token") != held:
            log.info("X login of connection %s was renewed by another worker", row.pk)
            return _without_claim(stored)
        now = datetime.now(UTC)
        if _claim_alive(stored, now):
            if time.monotonic() > deadline:
                raise Transient("Another worker is renewing the X login; trying again shortly.")
            time.sleep(POLL_SECONDS)
            continue
        until = now + timedelta(seconds=_claim_seconds())
        claimed = _swap(row, {**stored, CLAIM: {"by": nonce, "until": until.isoformat()}})
        if claimed is not None:
            break
    return _spend(account, row, claimed, held, exchange)


def _spend(account: Account, row: StoredRow, claimed: str, held: str,
           exchange: Exchange) -> dict[str, Any]:
    base = _without_claim(row.credentials)
    mine = StoredRow(row.pk, claimed, row.credentials)
    try:
        fresh = exchange(account.base_url, held)
    except Revoked:
        current = find_row(account, str(base["grant_id"]))
        if current is not None and current.credentials.get("refresh_token") != held:
            return _without_claim(current.credentials)  # renewed elsewhere after all
        _swap(mine, base)
        raise
    except Exception:
        _swap(mine, base)  # the token may be unspent: let the next try use it
        raise
    renewed = {**base, **fresh}
    if _swap(mine, renewed) is None:
        # Our claim was overwritten (it outlived its expiry and another worker took over).
        # The pair X just gave is the only one that works now: keep it, unless the account
        # was connected again meanwhile (another grant, which must stay).
        current = find_row(account, str(base["grant_id"]))
        if current is not None:
            Connection.objects.filter(pk=current.pk).update(
                credentials_enc=crypto.encrypt_json(renewed))
    return renewed
