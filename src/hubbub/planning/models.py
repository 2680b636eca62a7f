"""Queues (weekly time slots for a set of accounts) and recurring posts.

Both only plan: what goes out is always an ordinary Post made by publishing.services, so the
delivery engine sends it exactly once. These rows say which posts belong to a queue and in what
order, and which occurrence of a recurring rule became which post.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

WEEKDAY_CHOICES = [
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"),
    (5, "Saturday"), (6, "Sunday"),
]


class Queue(models.Model):
    """Weekly time slots in one zone for a set of accounts; posts added take the next free one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="queues")
    name = models.CharField(max_length=80)
    # The slots are wall-clock times in this zone (09:00 stays 09:00 across DST changes).
    timezone = models.CharField(max_length=64, default="UTC")
    connections = models.ManyToManyField("connections.Connection", related_name="queues")
    # Paused: its posts keep their order but none goes out; resuming re-times them.
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class QueueSlot(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)  # Monday = 0
    time = models.TimeField()

    class Meta:
        ordering = ["weekday", "time"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "weekday", "time"], name="one_slot_per_time"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="slot_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.time:%H:%M}"


class QueueEntry(models.Model):
    """A post waiting in a queue. Its time is the post's own (publishing owns it); slot_at is
    the time the queue gave it, so a post moved by hand elsewhere is seen to have left."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="entries")
    post = models.OneToOneField("publishing.Post", on_delete=models.CASCADE,
                                related_name="queue_entry")
    position = models.PositiveIntegerField(default=0)
    slot_at = models.DateTimeField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["queue", "position"], name="queue_entry_order")]

    def __str__(self) -> str:
        return f"post {self.post_id} in queue {self.queue_id} at {self.position}"


class Frequency(models.TextChoices):
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week on…"


class RecurringPost(models.Model):
    """A post that goes out again and again: daily, or weekly on chosen weekdays, at one
    wall-clock time, until a date or for a number of times. A periodic job turns each
    occurrence into an ordinary post a few days ahead."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="recurring_posts")
    text = models.TextField()
    content_warning = models.CharField(max_length=1500, blank=True)
    connections = models.ManyToManyField("connections.Connection", related_name="+")
    frequency = models.CharField(max_length=8, choices=Frequency.choices,
                                 default=Frequency.WEEKLY)
    weekdays = models.JSONField(default=list, blank=True)  # [0..6], Monday = 0; weekly only
    time_of_day = models.TimeField()
    timezone = models.CharField(max_length=64, default="UTC")
    # Occurrences are at or after this instant (UTC), so "count" always counts the same ones.
    starts_at = models.DateTimeField()
    until = models.DateField(null=True, blank=True)  # inclusive, a local date
    count = models.PositiveIntegerField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"recurring post {self.pk}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Occurrence(models.Model):
    """One occurrence of a recurring post, made into a post at most once (the constraint is
    what makes two workers, or a restart, unable to make it twice)."""

    rule = models.ForeignKey(RecurringPost, on_delete=models.CASCADE, related_name="occurrences")
    at = models.DateTimeField()  # UTC
    post = models.OneToOneField("publishing.Post", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="occurrence")
    error = models.TextField(blank=True)  # why no post could be made (e.g. account gone)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "at"], name="one_post_per_occurrence"),
        ]

    def __str__(self) -> str:
        return f"occurrence of {self.rule_id} at {self.at.isoformat()}"
