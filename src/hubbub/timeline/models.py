"""What the person watches: items read from the networks, the feeds they come from, and the
decks and columns that show them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The feed an item's conversation is stored in when it is opened (timeline/conversations.py): no
# column shows it and nothing polls it; what lands in it is old news, never "just arrived".
CONVERSATION_FEED_KEY = "conversation"


class Feed(models.Model):
    """One readable stream of one connection: home, notifications, mentions, a list, a hashtag,
    a search, a person, the account's own posts. Polled or streamed while a column needs it."""

    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE,
                                   related_name="feeds")
    # "home", "notifications", "mentions", "own", "list:<id>", "hashtag:<tag>",
    # "search:<query>", "author:<handle>" — the connector's own feed names.
    key = models.CharField(max_length=300)
    # Newest remote cursor seen (for "since" polling) and the oldest (for paging back).
    newest_cursor = models.CharField(max_length=300, blank=True)
    oldest_cursor = models.CharField(max_length=300, blank=True)
    exhausted = models.BooleanField(default=False)  # the network has nothing older
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    poll_interval = models.PositiveIntegerField(default=60)  # seconds, adapts
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    streaming = models.BooleanField(default=False)  # a live stream feeds it right now
    watched_at = models.DateTimeField(null=True, blank=True)  # a column showed it lately

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="one_feed_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} of connection {self.connection_id}"


class Item(models.Model):
    """A post or notification, normalized across networks. Remote HTML is sanitized before it
    is stored here; templates may render `html` as safe."""

    # No index of its own: the (connection, remote_id) unique index starts with it, and a second
    # one only cost every ingested item another index write.
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE,
                                   related_name="items", db_index=False)
    network = models.CharField(max_length=32)
    remote_id = models.CharField(max_length=500)
    kind = models.CharField(max_length=16)  # post, reply, mention, repost, quote, like, follow
    created_at = models.DateTimeField()
    url = models.URLField(max_length=1000, blank=True)
    author_handle = models.CharField(max_length=300)
    author_name = models.CharField(max_length=300, blank=True)
    author_avatar = models.URLField(max_length=1000, blank=True)
    author_url = models.URLField(max_length=1000, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    content_warning = models.CharField(max_length=1000, blank=True)
    sensitive = models.BooleanField(default=False)
    reposted_by = models.CharField(max_length=300, blank=True)
    reposted_by_name = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    in_reply_to_handle = models.CharField(max_length=300, blank=True)
    media = models.JSONField(default=list, blank=True)  # [{type, url, preview_url, description}]
    card = models.JSONField(null=True, blank=True)  # {url, title, description, image}
    quote = models.JSONField(null=True, blank=True)  # {author_handle, text, url}
    extra = models.JSONField(default=dict, blank=True)
    liked = models.BooleanField(default=False)
    reposted = models.BooleanField(default=False)
    bookmarked = models.BooleanField(default=False)
    ingested_at = models.DateTimeField(auto_now_add=True)
    # Hash of what a re-read can change (text, media, flags, counts...): ingest rewrites a known
    # item only when this differs, so polling an unchanged page writes nothing.
    digest = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "remote_id"],
                                    name="one_item_per_remote_id"),
        ]

    def __str__(self) -> str:
        return f"{self.network} item {self.remote_id}"


class FeedEntry(models.Model):
    """Item x feed: an item can be in several feeds (home and mentions). created_at is copied
    from the item so a column page is one index range scan."""

    # No index of its own: the (feed, item) unique index and feed_page start with it.
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries",
                             db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="entries")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "item"], name="one_entry_per_feed_item"),
        ]
        indexes = [models.Index(fields=["feed", "-created_at", "-item"], name="feed_page")]

    def __str__(self) -> str:
        return f"entry {self.item_id} in feed {self.feed_id}"


class Deck(models.Model):
    """A tab of columns."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="decks")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ColumnWidth(models.TextChoices):
    NARROW = "narrow", "Narrow"
    NORMAL = "normal", "Normal"
    WIDE = "wide", "Wide"


class Column(models.Model):
    """One column: one feed, or several merged by time."""

    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="columns")
    title = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    width = models.CharField(max_length=8, choices=ColumnWidth.choices,
                             default=ColumnWidth.NORMAL)
    feeds = models.ManyToManyField(Feed, related_name="columns")
    # The newest item the person has seen here (the read marker).
    read_until = models.DateTimeField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class StreamLease(models.Model):
    """Which reading process streams a connection, until when (timeline/leases.py). A row whose
    `expires_at` has passed is free: any process may take it by compare-and-set."""

    connection = models.OneToOneField("connections.Connection", on_delete=models.CASCADE,
                                      primary_key=True, related_name="stream_lease")
    owner = models.CharField(max_length=80, blank=True, db_index=True)  # "" when released
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"stream of connection {self.connection_id} by {self.owner or 'nobody'}"


class StreamReader(models.Model):
    """A process whose stream supervisor runs, and its last sign of life: the leases are spread
    among the readers alive (timeline/leases.py)."""

    owner = models.CharField(max_length=80, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"stream reader {self.owner}"
