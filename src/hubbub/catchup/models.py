"""Catch-up: what arrived since the person was last here, and the private feed of it.

One row per person: the moment they last said "caught up" (`since`), and the private Atom feed's
token, kept as a lookup key and the SHA-256 of its secret half (never the secret itself)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CatchUpState(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="catchup_state")
    # Items dated after this moment are "since you were last here" (the items' own times, as
    # the deck's read markers use).
    since = models.DateTimeField()
    # The feed token: `feed_key` finds the row (random, unique, empty when there is none),
    # `feed_hash` is the SHA-256 of the secret half, compared in constant time.
    feed_key = models.CharField(max_length=16, blank=True, db_index=True)
    feed_hash = models.CharField(max_length=64, blank=True)
    feed_made_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"catch-up of user {self.user_id} since {self.since:%Y-%m-%d %H:%M}"
