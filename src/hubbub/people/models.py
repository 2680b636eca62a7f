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
