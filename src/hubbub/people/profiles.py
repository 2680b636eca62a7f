"""Reading the public profiles of the authors a connection's timelines show, for the
profile-link suggestions (people/suggest.py), in the background and bounded.

Each connection is read in turns (its ProfileScan row, claimed by compare-and-set so one worker
reads it), BATCH authors a turn: the authors of its newest RECENT_ITEMS items whose profile was
never read or was read more than MAX_AGE ago, newest first. The next turn comes MORE_AFTER a
full batch (more may be due), SCAN_EVERY after a partial one, NONE_AFTER when nothing was due
(no request made). That is at most BATCH requests (Mastodon: BATCH lookups; Bluesky: one
getProfiles call; Nostr: one request to the account's relays) every MORE_AFTER a connection
(Mastodon: 25 lookups in 2 minutes, about a fifth of its 300 requests in 5 minutes); a
RateLimited answer moves the next read after its retry time. A network that is down (Transient,
OutcomeUnknown) is tried again next turn and never counts against the authors. A turn the network
refuses (Rejected, another 4xx) waits for the next; when the next is refused too, its authors are
kept as not found (read again after MAX_AGE) and the mark is cleared, so an author the network
keeps refusing cannot stop a connection's reading. A network that bills each profile read (X)
bounds the profiles read a connection a UTC day (`Connector.profile_reads_per_day`): once they
are read, the next turn is the next day. Mastodon counts its
lookups, not the authors (a second lookup for one of the server's own accounts counts), and
answers an account it refuses as not found. Only the network's own API is asked
(Connector.read_profiles); what a profile links to is kept as text and never fetched.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import account_for
from hubbub.listening.text import author_key
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    Revoked,
    Transient,
)
from hubbub.networks.profile_links import MAX_PROFILES, Profile
from hubbub.networks.registry import UnknownNetwork, get_connector
from hubbub.people.models import AuthorProfile, ProfileScan, SuggestionCache
from hubbub.timeline.models import Item

log = logging.getLogger(__name__)

SCAN_EVERY = timedelta(minutes=10)
MORE_AFTER = timedelta(minutes=2)  # a full batch read: more may be due, read on sooner
NONE_AFTER = timedelta(minutes=1)  # nothing due (a new connection's first items not read yet)
NOT_OFFERED_AGAIN = timedelta(days=1)  # a network without profile reading: asked again after
MAX_AGE = timedelta(days=7)
BATCH = MAX_PROFILES
RECENT_ITEMS = 2_000
CLAIM = 20  # connections claimed a tick
BATCH_FAILED = "not read: "  # how a refused turn marks last_error (the next refusal gives up)
GIVEN_UP = "kept as not found: "  # last_error once a refused batch was given up (no marker)


def due_authors(connection: Connection, now: datetime, limit: int = BATCH) -> list[str]:
    """Author keys of the connection's newest items whose profile is unread or old."""
    newest = Item.objects.filter(connection=connection).order_by("-pk").values("pk")[
        :RECENT_ITEMS]
    rows = Item.objects.filter(pk__in=newest).values_list("author_handle").annotate(
        newest=Max("pk")).order_by("-newest")
    fresh = set(AuthorProfile.objects.filter(connection=connection, read_at__gt=now - MAX_AGE)
                .values_list("handle", flat=True))
    own = author_key(connection.handle)
    found: list[str] = []
    for handle, _newest in rows:
        key = author_key(handle)
        if key and key != own and key not in fresh and key not in found:
            found.append(key)
            if len(found) >= limit:
                break
    return found


def store(connection: Connection, profiles: list[Profile], now: datetime) -> int:
    """Keep what was read (one row per author and connection); the user's suggestions are then
    computed again. Returns how many profiles link somewhere."""
    linking = 0
    with transaction.atomic():
        for profile in profiles:
            key = author_key(profile.handle)
            if not key:
                continue
            links = [{"value": link.value, "where": link.where, "verified": link.verified}
                     for link in profile.links]
            linking += bool(links)
            AuthorProfile.objects.update_or_create(
                connection=connection, handle=key,
                defaults={"network": connection.network, "found": profile.found,
                          "links": links, "aliases": list(profile.aliases), "read_at": now})
        if linking:
            SuggestionCache.objects.filter(user_id=connection.user_id).update(dirty=True)
    return linking


def _connector_budget(connection: Connection) -> int | None:
    try:
        return get_connector(connection.network).profile_reads_per_day()
    except (UnknownNetwork, ImportError):  # read_profiles says so in its turn
        return None


def _read(connection: Connection, handles: list[str]) -> list[Profile]:
    from hubbub.timeline.polling import refresh_credentials

    connector = get_connector(connection.network)
    try:
        return connector.read_profiles(account_for(connection), handles)
    except AuthExpired:
        if not refresh_credentials(connector, connection):
            raise
        return connector.read_profiles(account_for(connection), handles)


def refresh(connection: Connection, now: datetime | None = None) -> int:
    """Read the due profiles of one connection now and store them; returns how many were
    read. A network error is written on the connection's scan row and waits for its next
    turn (a rate limit: until its retry time); only a refusal marks the batch as failed."""
    now = now or timezone.now()
    limit = BATCH
    per_day = _connector_budget(connection)
    if per_day is not None:  # a network that bills each profile read (X): a daily bound
        day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        limit = min(BATCH, per_day - AuthorProfile.objects.filter(
            connection=connection, read_at__gte=day).count())
        if limit <= 0:
            _next(connection, day + timedelta(days=1),
                  f"today's {per_day} profile reads are done")
            return 0
    handles = due_authors(connection, now, limit)
    if not handles:
        _next(connection, now + NONE_AFTER, "")
        return 0
    try:
        profiles = _read(connection, handles)
    except NotImplementedError:
        _next(connection, now + NOT_OFFERED_AGAIN, "")
        return 0
    except RateLimited as exc:
        _next(connection, max(exc.retry_at, now + SCAN_EVERY), str(exc))
        return 0
    except (AuthExpired, Revoked) as exc:  # the connection's fault, not its authors'
        log.info("profiles of %s not read: %s", connection, exc)
        _next(connection, now + SCAN_EVERY, str(exc))
        return 0
    except (Transient, OutcomeUnknown) as exc:  # the network is down: not the authors' fault
        log.info("profiles of %s not read: %s", connection, exc)
        _next(connection, now + SCAN_EVERY, str(exc))
        return 0
    except ConnectorError as exc:  # refused (a 4xx): asking again may not help
        log.info("profiles of %s not read: %s", connection, exc)
        if ProfileScan.objects.filter(connection=connection,
                                      last_error__startswith=BATCH_FAILED).exists():
            # The turn before was refused too, on this same batch (the newest due authors):
            # kept as not found, so one author the network keeps refusing cannot stop the
            # reading. The marker is cleared: the next batch gets its own second chance.
            store(connection, [Profile(h, found=False) for h in handles], now)
            _next(connection, now + SCAN_EVERY, f"{GIVEN_UP}{exc}")
            return 0
        _next(connection, now + SCAN_EVERY, f"{BATCH_FAILED}{exc}")
        return 0
    store(connection, profiles, now)
    # A full batch, or one the lookups' bound cut short: more are due, read on sooner.
    more = len(handles) >= limit or len(profiles) < len(handles)
    _next(connection, now + (MORE_AFTER if more else SCAN_EVERY), "")
    return len(profiles)


def _next(connection: Connection, when: datetime, error: str) -> None:
    ProfileScan.objects.filter(connection=connection).update(next_at=when,
                                                             last_error=error[:500])


def claim_due(now: datetime | None = None) -> list[int]:
    """The connections whose profiles are due, each claimed for SCAN_EVERY by moving its
    next_at (compare-and-set: a row another worker moved first is not ours)."""
    now = now or timezone.now()
    known = set(ProfileScan.objects.values_list("connection_id", flat=True))
    for pk in Connection.objects.filter(disconnected_at__isnull=True).exclude(
            pk__in=known).values_list("pk", flat=True)[:200]:
        try:
            with transaction.atomic():
                ProfileScan.objects.create(connection_id=pk, next_at=now)
        except IntegrityError:
            pass  # another worker made it
    claimed: list[int] = []
    for pk, connection_id, next_at in ProfileScan.objects.filter(
            next_at__lte=now, connection__disconnected_at__isnull=True).order_by(
            "next_at").values_list("pk", "connection_id", "next_at")[:CLAIM]:
        if ProfileScan.objects.filter(pk=pk, next_at=next_at).update(
                next_at=now + SCAN_EVERY):
            claimed.append(connection_id)
    return claimed
