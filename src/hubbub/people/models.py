"""People: one human's accounts across networks, linked by hand (issue 12).

A Person belongs to one user and holds accounts, each a network and the author key the rules
compare (listening.text.author_key: a handle without @ in lower case, a DID, an npub). Rules,
allow-list columns and the composer name a Person; a suggestion the user dismissed is kept so it
is not offered again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Person(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="people")
    name = models.CharField(max_length=200)
    note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class PersonAccount(models.Model):
    """One of the person's accounts: where (network) and who (the author key)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accounts")
    network = models.CharField(max_length=32)
    handle = models.CharField(max_length=300)  # listening.text.author_key form
    name = models.CharField(max_length=300, blank=True)  # the display name seen, if any
    profile_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(fields=["person", "network", "handle"],
                                    name="one_account_a_person"),
        ]

    def __str__(self) -> str:
        return f"{self.handle} on {self.network}"


class DismissedSuggestion(models.Model):
    """A suggestion the user said no to (its key, e.g. "name:ana lima"): never offered again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=400)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_dismissal_a_key"),
        ]

    def __str__(self) -> str:
        return self.key



class AuthorProfile(models.Model):
    """What an author's public profile links to, as read through one of the user's connections
    (networks/<network>/profile_links.py), with when it was read. Kept per connection: it is
    read with that connection's credentials, and a user never sees what another's read."""

    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE,
                                   related_name="+")
    network = models.CharField(max_length=32)
    handle = models.CharField(max_length=300)  # listening.text.author_key form
    found = models.BooleanField(default=True)  # False: the network has no such profile
    # [{"value": ..., "where": ..., "verified": bool}], what the profile points at
    links = models.JSONField(default=list)
    aliases = models.JSONField(default=list)  # other names of the same account (a DID)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "handle"],
                                    name="one_profile_a_connection_author"),
        ]
        indexes = [models.Index(fields=["connection", "read_at"])]

    def __str__(self) -> str:
        return f"{self.handle} on {self.network}"


class ProfileScan(models.Model):
    """When a connection's authors' profiles are next read (claimed by compare-and-set)."""

    connection = models.OneToOneField("connections.Connection", on_delete=models.CASCADE,
                                      related_name="+")
    next_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"profiles of connection {self.connection_id} at {self.next_at}"


class SuggestionCache(models.Model):
    """The user's suggestions as last computed (people/suggest.py), so the People page reads
    them instead of computing them: recomputed in the background when stale and looked at."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    data = models.JSONField(default=list)
    computed_at = models.DateTimeField()
    newest_item = models.BigIntegerField(default=0)  # the newest item pk seen then
    viewed_at = models.DateTimeField()
    dirty = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"suggestions of user {self.user_id}"
