"""Login throttling: growing waits, never a lock anyone else can put on an account.

Failures are counted (for HUBBUB_LOGIN_FORGET_SECONDS) in scopes. An attempt without a known
device is checked against three: this account from this address, this address for any
account (x ADDRESS_FACTOR the tries), and this account from every address (x ACCOUNT_FACTOR,
so many addresses together cannot guess without limit either). An attempt with the account's
device cookie (set at a successful login) is checked against that device alone, so a flood
from elsewhere never keeps the owner's own browser out. In each scope the first
HUBBUB_LOGIN_MAX_FAILURES failures are free; each one after that asks for a wait that doubles
from HUBBUB_LOGIN_FIRST_WAIT_SECONDS up to HUBBUB_LOGIN_MAX_WAIT_SECONDS, counted from the
latest failure. An attempt refused during a wait is not counted, so it does not lengthen it.

Each attempt is written down before its password is checked and judged by the rows written
before it (one attempt at a time per account and address), so a burst of parallel guesses is
throttled like the same guesses one by one.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from hubbub.accounts.models import LoginFailure

ADDRESS_FACTOR = 4  # one address may fail this many times more than one account from it
ACCOUNT_FACTOR = 4  # one account, from all unknown devices together
WARN_WHEN_LEFT = 2  # say how many tries are left once this few remain
MAX_DOUBLINGS = 20
DEVICE_COOKIE = "hubbub_device"
_DEVICE_SALT = "hubbub.accounts.device"


def clock() -> datetime:
    """The time throttling reads; tests replace it."""
    return timezone.now()


def username_key(username: str) -> str:
    return username.strip().lower()[:150]


def say_duration(seconds: int, *, adjective: bool = False) -> str:
    """'1 minute', '15 minutes', '30 seconds'; '1-minute' with adjective=True."""
    if seconds >= 60:
        count, unit = max(1, math.ceil(seconds / 60)), "minute"
    else:
        count, unit = max(1, seconds), "second"
    if adjective:
        return f"{count}-{unit}"
    return f"{count} {unit}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Wait:
    """A wait in force: no password is checked until it ends."""

    seconds_left: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))

    @property
    def message(self) -> str:
        return f"Too many failed attempts; try again in {say_duration(self.seconds_left)}."


@dataclass(frozen=True)
class Standing:
    """Where an attempt stands: a wait in force, or how many tries are left before one."""

    wait: Wait | None
    tries_left: int

    @property
    def warning(self) -> str:
        """A sentence for the person when the next wait is near, else ''."""
        if self.wait is not None or self.tries_left > WARN_WHEN_LEFT:
            return ""
        tries = "1 try" if self.tries_left == 1 else f"{self.tries_left} tries"
        first = say_duration(settings.HUBBUB_LOGIN_FIRST_WAIT_SECONDS, adjective=True)
        return f"{tries} left before a {first} wait."


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account name, the address, and the device if it is a known one."""

    username: str
    ip: str | None
    device: str = ""

    @property
    def key(self) -> str:
        return username_key(self.username)


# --- the address a request came from -------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted_proxies(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in spec)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_proxies(tuple(settings.HUBBUB_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from. Behind a reverse proxy listed in
    HUBBUB_TRUSTED_PROXIES, the nearest X-Forwarded-For hop that is not a trusted proxy; the
    header is ignored otherwise, since anyone can send it."""
    address = str(request.META.get("REMOTE_ADDR") or "")
    if address and _is_trusted(address):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not _is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    break
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# --- known devices -------------------------------------------------------------------------------


def _device_max_age() -> int:
    return int(settings.HUBBUB_LOGIN_DEVICE_DAYS) * 86400


def _password_mark(username: str) -> str:
    """A short keyed digest of the account's password hash: a device cookie carries it, so a
    new password makes every device unknown again (a stolen laptop's cookie stops counting
    as this account's device). '' for no such account."""
    user = get_user_model()._default_manager.filter(
        **{f"{get_user_model().USERNAME_FIELD}__iexact": username_key(username)}).first()
    if user is None or not user.password:
        return ""
    return salted_hmac(_DEVICE_SALT, user.password, algorithm="sha256").hexdigest()[:20]


def known_device(request: HttpRequest, username: str) -> str:
    """The device id in this request's device cookie if the cookie is ours, unexpired, and was
    set by a login to this account under its present password; '' otherwise."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=_DEVICE_SALT,
                                      max_age=_device_max_age())
    owner, mark, device = [*str(value or "").split("|", 2), "", ""][:3]
    if owner and mark and device and owner == username_key(username):
        current = _password_mark(username)
        if current and constant_time_compare(mark, current):
            return device
    return ""


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a successful login or a new password: (re)set the signed, HttpOnly device cookie
    for this account."""
    device = known_device(request, username) or secrets.token_urlsafe(18)
    response.set_signed_cookie(
        DEVICE_COOKIE, f"{username_key(username)}|{_password_mark(username)}|{device}",
        salt=_DEVICE_SALT, max_age=_device_max_age(), httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def attempt_for(request: HttpRequest, username: str) -> Attempt:
    return Attempt(username=username, ip=client_ip(request),
                   device=known_device(request, username))


# --- counting failures ---------------------------------------------------------------------------


def _scopes(attempt: Attempt) -> list[tuple[QuerySet[LoginFailure], int]]:
    """(failures, free tries) for each scope this attempt is judged in."""
    free = int(settings.HUBBUB_LOGIN_MAX_FAILURES)
    rows = LoginFailure.objects.all()
    if attempt.device:
        return [(rows.filter(username=attempt.key, device=attempt.device), free)]
    anonymous = rows.filter(device="")
    scopes = [
        (anonymous.filter(username=attempt.key, ip=attempt.ip), free),
        (anonymous.filter(username=attempt.key), free * ACCOUNT_FACTOR),
    ]
    if attempt.ip:
        scopes.append((anonymous.filter(ip=attempt.ip), free * ADDRESS_FACTOR))
    return scopes


def wait_after(failures: int, free: int) -> int:
    """Seconds to wait after the latest of `failures` in a scope with `free` free tries."""
    if failures < free:
        return 0
    first = int(settings.HUBBUB_LOGIN_FIRST_WAIT_SECONDS)
    longest = int(settings.HUBBUB_LOGIN_MAX_WAIT_SECONDS)
    return int(min(first * 2 ** min(failures - free, MAX_DOUBLINGS), longest))


def standing(attempt: Attempt, *, now: datetime, before: int | None = None) -> Standing:
    """Where `attempt` stands at `now`, counting failures written before row id `before`."""
    since = now - timedelta(seconds=settings.HUBBUB_LOGIN_FORGET_SECONDS)
    ends: list[datetime] = []
    tries_left = []
    for rows, free in _scopes(attempt):
        counted = rows.filter(at__gte=since)
        if before is not None:
            counted = counted.filter(pk__lt=before)
        found = counted.aggregate(n=Count("pk"), last=Max("at"))
        failures, last = int(found["n"]), found["last"]
        tries_left.append(max(0, free - failures))
        wait = wait_after(failures, free)
        if wait and last is not None:
            ends.append(last + timedelta(seconds=wait))
    seconds = math.ceil((max(ends) - now).total_seconds()) if ends else 0
    return Standing(wait=Wait(seconds) if seconds > 0 else None, tries_left=min(tries_left))


def _one_at_a_time(attempt: Attempt) -> None:
    """Inside a transaction: wait until no other attempt on this account or from this address
    is between writing itself down and counting. SQLite's IMMEDIATE transactions already queue
    every writer; on PostgreSQL a row another attempt has just inserted may not be visible yet
    when this one counts, so take transaction-scoped advisory locks (always the account's
    first, then the address's, so two attempts never wait on each other in a circle)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in (f"hubbub-login-account:{attempt.key}", f"hubbub-login-address:{attempt.ip}"):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def begin(attempt: Attempt, *, now: datetime) -> tuple[LoginFailure, Standing]:
    """Write the attempt down (as a failure until it succeeds) and judge it by those before."""
    forget = timedelta(seconds=settings.HUBBUB_LOGIN_FORGET_SECONDS)
    LoginFailure.objects.filter(at__lt=now - forget).delete()
    with transaction.atomic():
        _one_at_a_time(attempt)
        row = LoginFailure.objects.create(username=attempt.key, ip=attempt.ip,
                                          device=attempt.device, at=now)
        return row, standing(attempt, now=now, before=row.pk)


def withdraw(row: LoginFailure) -> None:
    """The attempt did not count (refused during a wait, or never checked)."""
    LoginFailure.objects.filter(pk=row.pk).delete()


def succeeded(attempt: Attempt, row: LoginFailure) -> None:
    """The right password: forget this account's failures from this address or device. The
    account's count from everywhere and the address's for other accounts stay, so a person
    cannot clear an attacker's tally (or an attacker their own) by logging in to an account."""
    withdraw(row)
    mine = LoginFailure.objects.filter(username=attempt.key, device=attempt.device)
    (mine if attempt.device else mine.filter(ip=attempt.ip)).delete()


def unlock(username: str, *, address: str | None = None) -> int:
    """Forget every failure of this account, from every address and device (and, given an
    address, every failure from there, whatever account it named). Returns how many."""
    rows = Q(username=username_key(username))
    if address:
        try:
            rows |= Q(ip=str(ipaddress.ip_address(address.strip())))
        except ValueError:
            raise ValueError(f"{address!r} is not an IP address.") from None
    deleted, _ = LoginFailure.objects.filter(rows).delete()
    return deleted
