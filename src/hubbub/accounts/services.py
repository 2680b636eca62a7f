"""Account writes: the owner account, preferences, and logging in (throttled in throttle.py)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from hubbub.accounts import throttle
from hubbub.accounts.models import LatePolicy, OwnerClaim, Profile
from hubbub.accounts.throttle import Wait


class OwnerExists(Exception):
    """The owner account was already created; the set-up page is gone."""


class LoginLocked(Exception):
    def __init__(self, wait: Wait) -> None:
        super().__init__(wait.message)
        self.lockout = wait


class LoginRefused(Exception):
    """Wrong username or password; the message warns when a wait is near ('' otherwise)."""

    def __init__(self, warning: str = "") -> None:
        super().__init__(warning)
        self.warning = warning


# --- the owner and preferences -------------------------------------------------------------------


def owner_exists() -> bool:
    return User.objects.exists()


def create_owner(*, username: str, password: str, tz: str = "UTC") -> User:
    """Create the first account. Refused (OwnerExists) once any account exists, and exactly
    one of any number of simultaneous set-ups wins: each writes the one OwnerClaim row first."""
    hashed = make_password(password)  # slow on purpose, so done before any lock is taken
    try:
        with transaction.atomic():
            if owner_exists():
                raise OwnerExists
            # A claim left by an owner since deleted would block the set-up for good.
            OwnerClaim.objects.all().delete()
            OwnerClaim.objects.create(pk=1)
            # Asked again, now that this set-up holds the claim. On PostgreSQL (each statement
            # reads what is committed when it starts) a set-up that committed after the first
            # question had its claim deleted just above: its owner is what shows it.
            if owner_exists():
                raise OwnerExists
            user = User(username=username, password=hashed, is_staff=True, is_superuser=True)
            user.save()
            Profile.objects.create(user=user, timezone=tz if is_valid_zone(tz) else "UTC")
    except IntegrityError:
        # Another set-up wrote its claim first and committed: it made the owner.
        raise OwnerExists from None
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


# --- login ---------------------------------------------------------------------------------------


def attempt_login(request: HttpRequest, username: str, password: str,
                  *, now: datetime | None = None) -> User:
    """Check a username and password under the throttle (accounts/throttle.py). Raises
    LoginLocked during a wait, or LoginRefused with a warning when the next wait is near."""
    now = now or throttle.clock()
    attempt = throttle.attempt_for(request, username)
    row, before = throttle.begin(attempt, now=now)
    if before.wait is not None:
        throttle.withdraw(row)
        raise LoginLocked(before.wait)
    try:
        user = authenticate(request, username=username, password=password)
    except BaseException:
        throttle.withdraw(row)
        raise
    if user is None:
        after = throttle.standing(attempt, now=now)
        if after.wait is not None:
            raise LoginLocked(after.wait)
        raise LoginRefused(after.warning)
    throttle.succeeded(attempt, row)
    assert isinstance(user, User)  # the project uses Django's own user model
    return user
