from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LatePolicy(models.TextChoices):
    HOLD = "hold", "Hold it for me to decide"
    SEND = "send", "Send it anyway"


class Profile(models.Model):
    """Per-person preferences (time zone, what happens to late posts)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile")
    timezone = models.CharField(max_length=64, default="UTC")
    late_policy = models.CharField(max_length=8, choices=LatePolicy.choices,
                                   default=LatePolicy.HOLD)
    # Images need a description unless the person turns that off.
    require_alt_text = models.BooleanField(default=True)
    # The accounts the person last posted to (connection ids), ticked when the composer opens.
    # Ids, not keys: a removed connection is simply skipped when they are read.
    last_targets = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class LoginFailure(models.Model):
    """One failed login (or one being checked), kept for a day to slow password guessing.

    `device` is the known-device id when the attempt came with that account's device cookie:
    such failures count only against that device, apart from every address's."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    device = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["ip", "device", "at"], name="loginfail_ip"),
            models.Index(fields=["username", "device", "at"], name="loginfail_user"),
        ]

    def __str__(self) -> str:
        return f"failed login for {self.username} at {self.at}"


class OwnerClaim(models.Model):
    """The one row the first-run set-up writes before it creates the owner. Its fixed key lets
    only one set-up win however many run at once: on PostgreSQL a second insert waits for the
    first transaction, then fails; on SQLite the IMMEDIATE transactions queue anyway."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ownerclaim_single_row"),
        ]

    def __str__(self) -> str:
        return f"owner set up at {self.claimed_at}"


class TargetGroup(models.Model):
    """A named set of accounts to post to ("Work": a LinkedIn page and X), ticked in one click.
    Holds connection ids; those no longer connected are skipped when the group is used."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="target_groups")
    name = models.CharField(max_length=60)
    connection_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="target_group_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"target group {self.name!r} of {self.user_id}"
