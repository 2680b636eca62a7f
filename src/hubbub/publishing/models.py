from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PostLatePolicy(models.TextChoices):
    DEFAULT = "", "My default"
    HOLD = "hold", "Hold it for me to decide"
    SEND = "send", "Send it anyway"


class Visibility(models.TextChoices):
    """Who sees a post on Mastodon (the names Mastodon's API takes). Other networks have no
    such choice: their posts are public."""

    DEFAULT = "", "Each account's default"
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"
    PRIVATE = "private", "Followers only"
    DIRECT = "direct", "Mentioned people only"


class Post(models.Model):
    """What the person wrote once. Its deliveries carry it to each ticked account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="posts")
    # A draft is kept, not sent: its deliveries wait in the "draft" state.
    is_draft = models.BooleanField(default=False)
    text = models.TextField()
    content_warning = models.CharField(max_length=1500, blank=True)
    # When it should go out (UTC); the zone the person picked it in is kept beside it.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    late_policy = models.CharField(max_length=8, choices=PostLatePolicy.choices, blank=True,
                                   default=PostLatePolicy.DEFAULT)
    # Mastodon's visibility ("": each account's own default, which its server applies) and the
    # post's language, an ISO 639-1 code ("": not said), sent to every network that takes one.
    visibility = models.CharField(max_length=10, choices=Visibility.choices, blank=True,
                                  default=Visibility.DEFAULT)
    language = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"post {self.pk}"


def _media_path(instance: PostMedia, filename: str) -> str:
    return f"posts/{instance.post.user_id}/{uuid.uuid4().hex}-{filename[-80:]}"


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=_media_path)
    mime_type = models.CharField(max_length=100)
    alt_text = models.TextField(blank=True)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"media {self.pk} of post {self.post_id}"


class DeliveryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    UNKNOWN = "unknown", "Checking"  # outcome unknown: being checked before any retry
    HELD = "held", "Waiting for you"  # late: the person decides
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    DELETING = "deleting", "Deleting"  # sent, now being removed from the network
    DELETED = "deleted", "Deleted"


# The states the scheduler takes a delivery in once it is due (jobs/scheduler.py), and in which a
# wake-up task for it is still wanted (jobs/task_rows.py).
WAITING_STATES = (DeliveryState.SCHEDULED, DeliveryState.UNKNOWN, DeliveryState.DELETING)


class Delivery(models.Model):
    """One post to one connection, with its own state, key and result."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="deliveries")
    connection = models.ForeignKey("connections.Connection", on_delete=models.PROTECT,
                                   related_name="deliveries")
    state = models.CharField(max_length=12, choices=DeliveryState.choices,
                             default=DeliveryState.SCHEDULED, db_index=True)
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=300, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    media_ids = models.JSONField(default=list, blank=True)  # uploaded media, reused on retry
    # What the connector prepared for each part before its first call (a record key, a signed
    # event), keyed by part index ("0", "1", ...): the same on every retry, in any process.
    prepared = models.JSONField(null=True, blank=True)
    # A thread on this network: the text of each part (empty: one post). Parts already on the
    # network are recorded in parts_done as they land, so a retry continues where it stopped.
    parts = models.JSONField(default=list, blank=True)
    parts_done = models.JSONField(default=list, blank=True)  # [{remote_id, url}]
    # The text of each part as the first attempt wrote it, when it names a Person (@[Ana]
    # written as her account on this network): every retry and every check after a lost
    # answer uses these words, not her accounts as they are by then. None: not written yet.
    written = models.JSONField(null=True, blank=True)
    # Per-target customisation: None means "as the post says".
    content_warning_override = models.CharField(max_length=1500, null=True,  # noqa: DJ001
                                                blank=True)
    media_override = models.JSONField(null=True, blank=True)  # PostMedia ids, in order
    # Who sees it on this account (Mastodon), a Visibility value; "": the post's choice.
    visibility_override = models.CharField(max_length=16, blank=True, default="")
    error_kind = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # None means "the post's text"; "" would be a deliberate empty override.
    text_override = models.TextField(null=True, blank=True)  # noqa: DJ001
    # A reply: the network's id of the post answered (per target: ids differ per network).
    in_reply_to = models.CharField(max_length=500, blank=True)
    # A quote from the deck on a network that quotes natively: the network's id of the post
    # quoted (on this account's network) and its web address; "" for no quote.
    quote_of = models.CharField(max_length=500, blank=True, default="")
    quote_url = models.CharField(max_length=1000, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "connection"], name="one_delivery_per_target"),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.state})"


class DeliveryEvent(models.Model):
    """The history of a delivery: every state change and why."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=12)
    to_state = models.CharField(max_length=12)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"
