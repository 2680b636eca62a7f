"""Writes and reads for linked accounts. Views and the CLI call these, never the models directly."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.connections.signals import account_connected
from hubbub.core.ids import parse_id
from hubbub.core.sanitize import clean_line, safe_url
from hubbub.networks.base import Account, Capabilities, Connected
from hubbub.networks.errors import ConnectorError
from hubbub.networks.registry import get_connector

log = logging.getLogger(__name__)
CAPABILITIES_TTL = timedelta(hours=6)
CAPABILITIES_RETRY = timedelta(minutes=10)
# The person's posting defaults (Mastodon's visibility and language preferences) change on the
# server by hand: the composer asks for them again, in the background, when older than this.
POSTING_DEFAULTS_TTL = timedelta(minutes=5)


def account_for(connection: Connection) -> Account:
    return Account(
        base_url=connection.base_url,
        credentials=connection.credentials,
        remote_id=connection.remote_id,
        handle=connection.handle,
    )


def connections_for(user: User) -> list[Connection]:
    return list(active_connections(user).order_by("network", "handle"))


def active_connections(user: User) -> QuerySet[Connection]:
    return Connection.objects.filter(user=user, disconnected_at__isnull=True)


def find_connection(user: User, ref: str) -> Connection | None:
    """A connection by id or by handle as listed (with or without the leading @)."""
    qs = active_connections(user)
    if (pk := parse_id(ref)) is not None:
        found = qs.filter(pk=pk).first()
        if found:
            return found
    wanted = ref.lstrip("@").lower()
    candidates = list(qs)
    for connection in candidates:
        if connection.handle.lstrip("@").lower() == wanted:
            return connection
    if "@" not in wanted:
        # "@ada" for "@ada@example.social", when only one connection has that name.
        local = [c for c in candidates if c.handle.lstrip("@").lower().split("@")[0] == wanted]
        if len(local) == 1:
            return local[0]
    return None


@transaction.atomic
def save_connection(user: User, network: str, connected: Connected) -> Connection:
    """Store a freshly connected account; reconnecting the same account updates it in place."""
    identity = connected.identity
    handle = clean_line(identity.handle, max_chars=300)
    connection, created = Connection.objects.select_for_update().get_or_create(
        user=user,
        network=network,
        base_url=connected.base_url,
        remote_id=identity.remote_id,
        defaults={"handle": handle, "credentials_enc": ""},
    )
    connection.handle = handle
    # What the network says about the account is remote input like any post: a javascript:
    # profile link or a data: avatar is stored as none, and bidi controls leave the names.
    connection.display_name = clean_line(identity.display_name, max_chars=300)
    connection.avatar_url = safe_url(identity.avatar_url)
    connection.profile_url = safe_url(identity.profile_url)
    connector = get_connector(network)
    credentials = dict(connected.credentials)
    if not created and connector.kept_settings:
        before = connection.credentials
        credentials |= {key: before[key] for key in connector.kept_settings
                        if key in before and key not in credentials}
    connection.credentials = credentials
    connection.credentials_expire_at = connector.credentials_expire_at(credentials)
    connection.health = Health.OK
    connection.health_detail = ""
    connection.rate_limited_until = None
    connection.capabilities_json = None
    newly = created or connection.disconnected_at is not None
    connection.disconnected_at = None
    connection.save()
    if newly:
        account_connected.send(sender=Connection, connection=connection)
    return connection


def store_credentials(connection: Connection, fresh: dict[str, Any]) -> None:
    """Save renewed credentials (after a refresh) and when they end."""
    connection.credentials = fresh
    connection.credentials_expire_at = get_connector(connection.network).credentials_expire_at(
        fresh)
    Connection.objects.filter(pk=connection.pk).update(
        credentials_enc=connection.credentials_enc,
        credentials_expire_at=connection.credentials_expire_at)


def capabilities_for(connection: Connection, *, refresh: bool = False,
                     fresh_within: timedelta | None = None) -> Capabilities:
    """The account's limits: cached on the row, re-read from the network every few hours. Past
    that, the cached ones are given at once and a background task reads them again: a page
    (the deck, the composer) never waits on a network for its limits. The caller waits only
    for an account never asked yet, or whose cache an older version wrote (a field missing);
    `refresh` asks always; `fresh_within` reads them again in the background when the cached
    ones are older than that (the composer's posting defaults). A network that fails leaves the
    cached limits (or the network's defaults, when there are none) in use until the next try,
    CAPABILITIES_RETRY later; a copy an older version wrote is not usable, so until one reading
    succeeds each call asks."""
    connector = get_connector(connection.network)
    cached = connection.capabilities_json
    usable = cached is not None and Capabilities.has_every_field(cached)
    fetched = connection.capabilities_fetched_at
    if not refresh and (usable or (cached is None and fetched is not None)):
        age = timezone.now() - fetched if fetched is not None else None
        if age is None or age >= CAPABILITIES_TTL:
            _read_again_later(connection)
        elif fresh_within is not None and fresh_within <= age < CAPABILITIES_TTL - \
                CAPABILITIES_RETRY:
            # (From TTL - RETRY on, a reading was claimed lately and has not finished: wait.)
            _read_again_later(connection)
        return Capabilities.from_json(cached) if cached is not None and usable else (
            connector.default_capabilities())
    try:
        caps = connector.capabilities(account_for(connection))
    except ConnectorError as exc:
        log.warning("could not read limits for %s: %s", connection, exc)
        # Ask the network again in a while rather than on every call (an import of a thousand
        # rows must not ask a thousand times).
        retry_from = timezone.now() - CAPABILITIES_TTL + CAPABILITIES_RETRY
        Connection.objects.filter(pk=connection.pk).update(capabilities_fetched_at=retry_from)
        connection.capabilities_fetched_at = retry_from
        if connection.capabilities_json is None:
            return connector.default_capabilities()
        return Capabilities.from_json(connection.capabilities_json)
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(
        capabilities_json=caps.to_json(), capabilities_fetched_at=now
    )
    connection.capabilities_json = caps.to_json()
    connection.capabilities_fetched_at = now
    return caps


def _read_again_later(connection: Connection) -> None:
    """Claim the stale limits (one caller wins, by their read time) and enqueue one reading:
    the claim moves the read time so that a reading that fails or never runs is tried again
    after CAPABILITIES_RETRY, not on every call."""
    retry_from = timezone.now() - CAPABILITIES_TTL + CAPABILITIES_RETRY
    claimed = Connection.objects.filter(
        pk=connection.pk, capabilities_fetched_at=connection.capabilities_fetched_at,
    ).update(capabilities_fetched_at=retry_from)
    connection.capabilities_fetched_at = retry_from
    if not claimed:
        return
    try:
        # On the database queue the task row commits with the claim, or neither does. On a
        # broker (HUBBUB_TASKS_BACKEND=celery) the message goes at once, and a broker that is
        # down must not fail the page that asked: the kept limits serve, and the claim makes
        # the next try CAPABILITIES_RETRY later.
        read_capabilities.enqueue(connection.pk)
    except Exception:  # any broker's failure to take the message
        log.warning("could not enqueue a reading of the limits of %s", connection, exc_info=True)


@task()
def read_capabilities(connection_id: int) -> None:
    """The background reading `_read_again_later` enqueues."""
    connection = Connection.objects.filter(pk=connection_id,
                                           disconnected_at__isnull=True).first()
    if connection is not None:
        capabilities_for(connection, refresh=True)


def mark_needs_reconnect(connection: Connection, detail: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        health=Health.NEEDS_RECONNECT, health_detail=detail[:500]
    )


def mark_rate_limited(connection: Connection, until: datetime, detail: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        health=Health.RATE_LIMITED, rate_limited_until=until, health_detail=detail[:500]
    )


def mark_ok(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).exclude(health=Health.OK).update(
        health=Health.OK, health_detail="", rate_limited_until=None
    )
