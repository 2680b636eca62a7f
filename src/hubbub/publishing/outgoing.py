"""What to send: one plain, typed value the composer builds once from its form
(`ComposeForm.outgoing()`), and the services take whole:

    form.outgoing() -> services.create_from(user, outgoing)      post now or scheduled
                    -> drafts.save_draft(user, outgoing)          the draft kept as one types
                    -> drafts.update_draft(draft, outgoing)       then services.send_draft
                    -> planning.compose.add_from_compose(user, queue_id, outgoing)

Each ends in services.create_post or drafts' rewrite: the Post row (with its visibility and
language), its files and one Delivery row a target, in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hubbub.connections.models import Connection
from hubbub.publishing.media import NewMedia
from hubbub.publishing.models import Post


@dataclass(frozen=True)
class KeptMedia:
    """An image the draft already has, with its alt text as the form says now."""

    media_id: int
    alt_text: str


MediaItem = KeptMedia | NewMedia


@dataclass(frozen=True)
class TargetCustom:
    """What one target gets instead of the post's own: None keeps the post's."""

    text: str | None = None
    content_warning: str | None = None
    media_positions: tuple[int, ...] | None = None  # which of the post's attachments, in order
    parts: tuple[str, ...] = ()  # a thread on this network instead of one post
    visibility: str = ""  # who sees it on this account (Mastodon); "": the post's choice


@dataclass(frozen=True)
class Quoted:
    """The post a quote quotes, as its account's network knows it: the network's id (an
    at:// URI, a Nostr event id, a status id) and its web address."""

    remote_id: str
    url: str = ""


def quote_fields(quoted: Quoted | None) -> dict[str, str]:
    """A delivery's quote fields (Delivery.quote_of, quote_url) for the post it quotes."""
    if quoted is None:
        return {"quote_of": "", "quote_url": ""}
    return {"quote_of": quoted.remote_id, "quote_url": quoted.url}


@dataclass(frozen=True)
class Outgoing:
    """One post as the person asked for it, before any row exists."""

    text: str
    targets: tuple[Connection, ...]
    content_warning: str = ""
    # In slot order. KeptMedia only with a draft (its own images); otherwise every one is new.
    media: tuple[MediaItem, ...] = ()
    scheduled_for: datetime | None = None  # when to send it, aware; None: now
    typed_time: datetime | None = None  # the date and time typed, which a draft remembers
    tz: str = "UTC"
    reply_to: Mapping[int, str] | None = None  # connection id -> the remote id it answers
    # connection id -> the post it quotes natively there (None: a draft keeps its own)
    quote: Mapping[int, Quoted] | None = None
    customize: Mapping[int, TargetCustom] = field(default_factory=dict)  # per-account versions
    visibility: str = ""  # a Visibility value; "": each account's default
    language: str = ""  # an ISO 639-1 code; "": not said
    draft: Post | None = None  # the draft this composer keeps, if it saved one

    def new_media(self) -> list[NewMedia]:
        """The attachments as files to store (a post made without a draft has only these)."""
        return [m for m in self.media if isinstance(m, NewMedia)]
