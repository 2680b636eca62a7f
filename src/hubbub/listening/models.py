"""Rules (whom to listen to) and what they did to stored items.

Rules never change or delete an Item: what they do is kept beside it, one ItemMark per item a
rule touched (hidden until when, priority, read) and one ColumnEntry per item a rule sent to a
column or an allow-list column let through. Turning a rule off recomputes these and the items
come back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Rule(models.Model):
    """Conditions (all must hold) and actions, in the person's order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="listening_rules")
    name = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    paused = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    conditions = models.JSONField(default=list)  # conditions.Condition.as_json() each
    actions = models.JSONField(default=list)  # conditions.Action.as_json() each
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name or f"rule {self.pk}"


class ListeningState(models.Model):
    """Per person: `version` goes up with every change of rules or allow-lists; the stored
    effects are those of `applied_version` (the background recompute catches up)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="listening_state")
    version = models.PositiveBigIntegerField(default=0)
    applied_version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"rules of user {self.user_id} v{self.version}"


class ItemMark(models.Model):
    """What the rules do to one item; only items some rule matched have one. A column page
    joins it by primary key inside its index range scan (timeline/selectors.py)."""

    item = models.OneToOneField("timeline.Item", on_delete=models.CASCADE, primary_key=True,
                                related_name="listening_mark")
    # The item's owner (its connection's user), so that a person's marks are found without
    # reading everyone's. No index of its own: the one read by owner is the partial index
    # below, and every mark written would pay for it (deleting a person reads the table).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             db_index=False, related_name="listening_marks")
    hidden_until = models.DateTimeField(null=True, blank=True)  # 9999-12-31: hidden
    priority = models.BooleanField(default=False)
    read = models.BooleanField(default=False)
    inbox = models.BooleanField(default=False)  # "add to the inbox"
    rule_ids = models.JSONField(default=list)

    class Meta:
        # The inbox's unread count (every page) starts from the person's marks that add to
        # the inbox: read through this index by owner, not the whole table (every item a rule
        # matched, of every person).
        indexes = [models.Index(fields=["user", "item"], condition=models.Q(inbox=True),
                                name="itemmark_user_adds_to_inbox")]

    def __str__(self) -> str:
        return f"mark of item {self.item_id}"


class ColumnEntry(models.Model):
    """An item shown in a column beyond its feeds ("send to column"), or let through an
    allow-list column. created_at is the item's, so the column reads it by an index range."""

    ROUTE = "route"
    ALLOW = "allow"
    column = models.ForeignKey("timeline.Column", on_delete=models.CASCADE, db_index=False,
                               related_name="listening_entries")
    item = models.ForeignKey("timeline.Item", on_delete=models.CASCADE,
                             related_name="listening_entries")
    created_at = models.DateTimeField()
    via = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["column", "item", "via"],
                                    name="one_listening_entry"),
        ]
        indexes = [models.Index(fields=["column", "-created_at", "-item"],
                                name="listening_column_page")]

    def __str__(self) -> str:
        return f"{self.via} entry {self.item_id} in column {self.column_id}"


class Notice(models.Model):
    """A rule's "notify": shown on the deck until dismissed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="listening_notices")
    item = models.ForeignKey("timeline.Item", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    seen = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "seen", "-created_at"],
                                name="listening_notice_unseen")]
        # One notice an item: two feeds storing it at once (home and mentions) notice it once.
        constraints = [models.UniqueConstraint(fields=["user", "item"],
                                               name="one_notice_an_item")]

    def __str__(self) -> str:
        return f"notice of item {self.item_id}"


class ItemWords(models.Model):
    """An item's words and authors as the rules compare them (matcher.Doc): " w1 w2 ... " and
    " author1 author2 ", so that the preview of a words or author rule has the database make
    the first cut (" coffee " in words) and checks only what passes in Python.

    Written for the person's new and changed items while they have rules (at ingest, where the
    words are made anyway) and for every item by the recompute; an item changed while its
    owner has no rules loses its row. An item without one, or whose row was made from another
    version of it (`digest`), is checked by the preview in Python.
    """

    item = models.OneToOneField("timeline.Item", on_delete=models.CASCADE, primary_key=True,
                                related_name="listening_words")
    words = models.TextField()
    authors = models.TextField()
    # The stored item's digest these words were made from: a row whose digest is not the
    # item's (written by a recompute that read the item before an edit) counts as no row.
    digest = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"words of item {self.item_id}"
