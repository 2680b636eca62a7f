"""Account writes: the owner account, preferences, and login throttling.

Throttling counts LoginFailure rows in a sliding window: after HUBBUB_LOGIN_MAX_FAILURES
failures for one username (or four times that from one address) within
HUBBUB_LOGIN_LOCK_SECONDS, every attempt is refused, even with the right password, until the
oldest counted failure leaves the window. Each failure also costs a small growing delay.
"""

from __future__ import annotations

import ipaddress
import math
import time
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from hubbub.accounts.models import LatePolicy, LoginFailure, Profile

IP_FACTOR = 4  # one address may fail this many times more often than one username


class OwnerExists(Exception):
    """The owner account was already created; the set-up page is gone."""


@dataclass(frozen=True)
class Lockout:
    seconds_left: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))

    @property
    def message(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"Too many failed attempts; try again in {self.minutes} {unit}."


class LoginLocked(Exception):
    def __init__(self, lockout: Lockout) -> None:
        super().__init__(lockout.message)
        self.lockout = lockout


class LoginRefused(Exception):
    """Wrong username or password."""


# --- the owner and preferences -------------------------------------------------------------------


def owner_exists() -> bool:
    return User.objects.exists()


@transaction.atomic
def create_owner(*, username: str, password: str, tz: str = "UTC") -> User:
    """Create the first account. Refused once any account exists."""
    if User.objects.exists():
        raise OwnerExists
    user = User.objects.create_user(
        username=username, password=password, is_staff=True, is_superuser=True
    )
    Profile.objects.create(user=user, timezone=tz if is_valid_zone(tz) else "UTC")
    return user


def profile_for(user: AbstractBaseUser) -> Profile:
    profile, _created = Profile.objects.get_or_create(user_id=user.pk)
    return profile


def update_preferences(user: AbstractBaseUser, *, tz: str, late_policy: str) -> Profile:
    if not is_valid_zone(tz):
        raise ValueError(f"Unknown time zone {tz!r}")
    if late_policy not in LatePolicy.values:
        raise ValueError(f"Unknown late-post policy {late_policy!r}")
    profile = profile_for(user)
    profile.timezone = tz
    profile.late_policy = late_policy
    profile.save(update_fields=["timezone", "late_policy"])
    return profile


@cache
def zone_names() -> frozenset[str]:
    """IANA zone names a person can pick (no 'posixrules' or other file-system leftovers)."""
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or ("/" in name and not name.startswith(("Etc/", "SystemV/", "posix")))
    )


def is_valid_zone(name: str) -> bool:
    return name in zone_names()


# --- login throttling ----------------------------------------------------------------------------


def _username_key(username: str) -> str:
    return username.strip().lower()[:150]


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
    return address or None


def _window() -> timedelta:
    return timedelta(seconds=settings.HUBBUB_LOGIN_LOCK_SECONDS)


def _recent(qs: QuerySet[LoginFailure], now: datetime, limit: int) -> list[datetime]:
    return list(
        qs.filter(at__gte=now - _window()).order_by("-at").values_list("at", flat=True)[:limit]
    )


def lockout_for(username: str, ip: str | None, *, now: datetime | None = None) -> Lockout | None:
    """The lock in force for this username or address, if any."""
    now = now or timezone.now()
    limit = settings.HUBBUB_LOGIN_MAX_FAILURES
    checks: list[tuple[QuerySet[LoginFailure], int]] = [
        (LoginFailure.objects.filter(username=_username_key(username)), limit)
    ]
    if ip:
        checks.append((LoginFailure.objects.filter(ip=ip), limit * IP_FACTOR))
    ends = []
    for qs, threshold in checks:
        times = _recent(qs, now, threshold)
        if len(times) >= threshold:
            # Unlocked when the threshold-th most recent failure leaves the window.
            ends.append(times[threshold - 1] + _window())
    if not ends:
        return None
    seconds = math.ceil((max(ends) - now).total_seconds())
    return Lockout(seconds_left=seconds) if seconds > 0 else None


def record_failure(username: str, ip: str | None) -> int:
    """Remember one failure; returns how many this username has in the window."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - _window()).delete()
    key = _username_key(username)
    LoginFailure.objects.create(username=key, ip=ip)
    return LoginFailure.objects.filter(username=key, at__gte=now - _window()).count()


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=_username_key(username)).delete()


def failure_delay(failures: int) -> float:
    """Seconds to wait after the n-th failure: grows with each one, capped."""
    step = float(settings.HUBBUB_LOGIN_DELAY_STEP)
    ceiling = float(settings.HUBBUB_LOGIN_DELAY_MAX)
    return min(step * failures, ceiling)


def attempt_login(request: HttpRequest, username: str, password: str) -> User:
    """Check a username and password under the throttle. Raises LoginLocked or LoginRefused."""
    ip = client_ip(request)
    lock = lockout_for(username, ip)
    if lock is not None:
        raise LoginLocked(lock)
    user = authenticate(request, username=username, password=password)
    if user is None:
        failures = record_failure(username, ip)
        time.sleep(failure_delay(failures))
        lock = lockout_for(username, ip)
        if lock is not None:
            raise LoginLocked(lock)
        raise LoginRefused
    clear_failures(username)
    assert isinstance(user, User)  # the project uses Django's own user model
    return user
