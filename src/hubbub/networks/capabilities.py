"""What a network allows and offers (part of the connector contract, networks/base.py): text
and media limits, visibilities, the column kinds it can read and why not the others; kept as
JSON on a connection and read back, also from what an older version stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hubbub.core.video_limits import VideoLimits

# How a network lets a publish be repeated safely:
#  header   - the network honours an idempotency key header (Mastodon Idempotency-Key)
#  record_key - the client picks the record key (Bluesky TID rkey)
#  content_hash - the post's id is its hash; resending is harmless (Nostr)
#  none     - nothing; on doubt read recent own posts before retrying
IdempotencyKind = Literal["header", "record_key", "content_hash", "none"]


@dataclass(frozen=True)
class MediaLimits:
    max_count: int
    mime_types: tuple[str, ...]
    image_max_bytes: int
    image_max_pixels: int | None = None
    alt_text_max: int = 1500
    video_max_bytes: int | None = None  # kept for stored limits; `video` is what is checked
    # What the network accepts as video, and whether images may go with it; None: no video.
    video: VideoLimits | None = None


@dataclass(frozen=True)
class Capabilities:
    text_limit: int
    counting: str  # name of the counting rule in hubbub.core.counting
    media: MediaLimits
    content_warning: bool = False
    threads: bool = False
    visibilities: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    idempotency: IdempotencyKind = "none"
    native_scheduling: bool = False
    url_length: int | None = None  # characters a link counts as, when the network shortens
    # A second limit in UTF-8 bytes, checked as well as text_limit (Bluesky: 3000), or None.
    text_byte_limit: int | None = None
    # The account's own posting defaults, where the network keeps them (Mastodon's
    # /api/v1/preferences): one of `visibilities`, an ISO 639-1 code; "" when not known.
    default_visibility: str = ""
    default_language: str = ""
    # Column kinds this account cannot read, each with the network's reason in words ("this
    # relay does not offer search (NIP-50)"): the add-column dialog shows them disabled with it.
    unavailable_feeds: tuple[tuple[str, str], ...] = ()
    # A quote from the deck goes as the quoted post's link after the words, not as a quote:
    # the network quotes natively but this server cannot (Mastodon before 4.5). The
    # composer's counters and checks count the link in, and its preview says so.
    quote_as_link: bool = False

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def has_every_field(cls, data: dict[str, Any]) -> bool:
        """Whether stored limits name every field this version knows (limits saved by an older
        version lack the newer ones, e.g. video: they are read again rather than defaulted)."""
        from dataclasses import fields

        media = data.get("media")
        return (isinstance(media, dict)
                and all(f.name in data for f in fields(cls))
                and all(f.name in media for f in fields(MediaLimits)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Capabilities:
        values = dict(data)
        media = values.pop("media")
        media["mime_types"] = tuple(media["mime_types"])
        if isinstance(media.get("video"), dict):
            video = dict(media["video"])
            video["mime_types"] = tuple(video.get("mime_types") or ())
            media["video"] = VideoLimits(**video)
        for key in ("visibilities", "feeds"):
            values[key] = tuple(values.get(key, ()))
        values["unavailable_feeds"] = tuple(
            (str(pair[0]), str(pair[1])) for pair in values.get("unavailable_feeds", ())
        )
        return cls(media=MediaLimits(**media), **values)
