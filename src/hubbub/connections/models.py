from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models

from hubbub.core import crypto

# How long before a login ends the hub asks the person to reconnect.
RECONNECT_WARNING = timedelta(days=14)


class InstanceApp(models.Model):
    """An OAuth client registered once on one server (e.g. a Mastodon instance) and reused."""

    network = models.CharField(max_length=32)
    base_url = models.URLField(max_length=300)
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=300)
    client_secret_enc = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "base_url", "redirect_uri"],
                                    name="one_app_per_instance_and_callback"),
        ]

    def __str__(self) -> str:
        return f"{self.network} app on {self.base_url}"

    @property
    def client_secret(self) -> str:
        return crypto.decrypt_text(self.client_secret_enc)


class Health(models.TextChoices):
    OK = "ok", "OK"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    RATE_LIMITED = "rate_limited", "Rate-limited"


class Connection(models.Model):
    """One linked account on one network, owned by one hub user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="connections")
    network = models.CharField(max_length=32)
    base_url = models.URLField(max_length=300)
    remote_id = models.CharField(max_length=300)
    handle = models.CharField(max_length=300)
    display_name = models.CharField(max_length=300, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    credentials_enc = models.TextField()
    health = models.CharField(max_length=20, choices=Health.choices, default=Health.OK)
    health_detail = models.CharField(max_length=500, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    # When the login stops working and only the person can renew it (a network whose tokens
    # last weeks and cannot be refreshed), from Connector.credentials_expire_at; None: never.
    credentials_expire_at = models.DateTimeField(null=True, blank=True)
    # Set when the person disconnects: the row stays so sent posts keep their history.
    disconnected_at = models.DateTimeField(null=True, blank=True)
    capabilities_json = models.JSONField(null=True, blank=True)
    capabilities_fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network", "base_url", "remote_id"],
                                    name="one_connection_per_remote_account"),
        ]
        ordering = ["network", "handle"]

    def __str__(self) -> str:
        return f"{self.handle} ({self.network})"

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_enc)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_enc = crypto.encrypt_json(value)

    def reconnect_by(self, now: datetime) -> datetime | None:
        """The date to reconnect by, from RECONNECT_WARNING before the login ends (and after
        it ended), else None."""
        ends = self.credentials_expire_at
        if ends is None or ends - now > RECONNECT_WARNING:
            return None
        return ends

    def login_ends_before(self, when: datetime | None) -> bool:
        """Would a post due at `when` find the login ended (so it waits for a reconnect)?"""
        ends = self.credentials_expire_at
        return ends is not None and when is not None and when >= ends


class NetworkApp(models.Model):
    """The app the hub's operator registered with a network that needs one (X, LinkedIn, Meta),
    entered on the owner's settings page. Environment variables win over this row
    (connections/network_apps.py)."""

    network = models.CharField(max_length=32, unique=True)
    client_id = models.CharField(max_length=300)
    client_secret_enc = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.network} app"

    @property
    def client_secret(self) -> str:
        return crypto.decrypt_text(self.client_secret_enc)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_enc = crypto.encrypt_text(value)
