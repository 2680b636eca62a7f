"""Bulk imports: a CSV file (with its zip of images) checked before anything is posted, and
RSS/Atom feeds whose new entries become posts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class CsvImportState(models.TextChoices):
    CHECKED = "checked", "Checked"  # read and checked; problems listed, or ready to import
    IMPORTED = "imported", "Imported"


def _zip_path(instance: CsvImport, filename: str) -> str:
    return f"imports/{instance.user_id}/{uuid.uuid4().hex}.zip"


class CsvImport(models.Model):
    """One uploaded CSV file (and zip of images): checked, then imported whole or not at all."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="csv_imports")
    filename = models.CharField(max_length=255)
    csv_text = models.TextField()  # the file decoded; kept until it is imported
    zip_file = models.FileField(upload_to=_zip_path, blank=True)
    zip_name = models.CharField(max_length=255, blank=True)
    # Local times in the file are read in this zone (the person's when they uploaded it).
    timezone = models.CharField(max_length=64, default="UTC")
    state = models.CharField(max_length=12, choices=CsvImportState.choices,
                             default=CsvImportState.CHECKED)
    problems = models.JSONField(default=list, blank=True)  # [{row, column, message}]
    # What each row will become, for the page that asks "import these?": [{row, when, ...}]
    preview = models.JSONField(default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    post_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"csv import {self.pk} ({self.state})"


class FeedMode(models.TextChoices):
    DRAFT = "draft", "Keep as drafts for me to review"
    QUEUE = "queue", "Add to a queue"
    SCHEDULE = "schedule", "Schedule a few minutes after they appear"


class FeedSubscription(models.Model):
    """A feed the hub reads; each new entry becomes a post to the chosen accounts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="feed_subscriptions")
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=300, blank=True)
    site_url = models.URLField(max_length=2000, blank=True)
    connections = models.ManyToManyField("connections.Connection",
                                         related_name="feed_subscriptions")
    template = models.CharField(max_length=1000, default="{title} {link}")
    mode = models.CharField(max_length=10, choices=FeedMode.choices, default=FeedMode.DRAFT)
    queue = models.ForeignKey("planning.Queue", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")  # mode "queue": posts take its next free slot
    delay_minutes = models.PositiveIntegerField(default=10)  # mode "schedule"
    active = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(default=900)  # seconds between reads
    # When it is read next; also the claim: a worker moves it forward before reading.
    next_poll_at = models.DateTimeField(db_index=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]
        constraints = [
            models.UniqueConstraint(fields=["user", "url"], name="one_subscription_per_feed"),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class EntryState(models.TextChoices):
    SEEN = "seen", "Already there when subscribed"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Could not be posted"


class FeedEntry(models.Model):
    """An entry of a feed the hub has seen. The unique key makes "never twice" hold across
    restarts and workers: an entry is claimed by inserting this row in the same transaction
    that creates its post."""

    subscription = models.ForeignKey(FeedSubscription, on_delete=models.CASCADE,
                                     related_name="entries")
    key = models.CharField(max_length=64)  # sha256 of the entry's id (or link)
    entry_id = models.CharField(max_length=1000)  # the id as the feed gives it, for people
    title = models.CharField(max_length=500, blank=True)
    link = models.URLField(max_length=2000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=EntryState.choices)
    post = models.ForeignKey("publishing.Post", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"], name="one_entry_per_feed"),
        ]

    def __str__(self) -> str:
        return self.title or self.entry_id
