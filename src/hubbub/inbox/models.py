"""The inbox: which feeds it reads, what the person did with each entry, and the answers sent
from it. An entry is an Item (a mention, reply, quote or direct message in a feed the inbox
reads, or one a rule added); the inbox never copies items, it keeps their state beside them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InboxFeed(models.Model):
    """A feed the inbox reads: polled (and streamed) like a column's feed, with or without a
    column (timeline/polling.py and streaming.py read `Feed.inbox_read`)."""

    feed = models.OneToOneField("timeline.Feed", on_delete=models.CASCADE, primary_key=True,
                                related_name="inbox_read")

    def __str__(self) -> str:
        return f"inbox reads feed {self.feed_id}"


class EntryState(models.Model):
    """What the person did with one entry. No row: unread."""

    READ = "read"
    DONE = "done"
    item = models.OneToOneField("timeline.Item", on_delete=models.CASCADE, primary_key=True,
                                related_name="inbox_state")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="inbox_states")
    state = models.CharField(max_length=8)  # READ or DONE
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.state} item {self.item_id}"


class Answer(models.Model):
    """A reply written in the inbox. `token` comes with the form (one per rendered reply box),
    so sending the same form twice finds this row and never answers twice. A post reply goes
    through publishing (`post`, exactly once by its Delivery); a direct message is sent here
    with `idempotency_key` (the same key on every attempt of this answer)."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="inbox_answers")
    item = models.ForeignKey("timeline.Item", on_delete=models.CASCADE,
                             related_name="inbox_answers")
    token = models.CharField(max_length=64)
    text = models.TextField()
    # A direct answer's text as sent, @[Name] written as the person's account on the network:
    # frozen before the first attempt (compare-and-set; "" not yet), so every attempt under the
    # same key sends the same words (a Nostr retry must make the very same message), as
    # Delivery.written does for a post.
    written = models.TextField(blank=True, default="")
    direct = models.BooleanField(default=False)
    post = models.ForeignKey("publishing.Post", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    idempotency_key = models.CharField(max_length=64)
    state = models.CharField(max_length=8, default=SENDING)
    remote_id = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="one_inbox_answer_a_form"),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to item {self.item_id}"
