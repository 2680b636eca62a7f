"""Mastodon shapes -> hubbub values, and Mastodon failures -> connector errors.

Everything here is pure (no I/O) and works on plain JSON mappings, so it is tested with
recorded real-Mastodon responses (fixtures/) as well as against the mock server. Mastodon.py's
return objects are dict subclasses and pass through the same functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from hubbub.core.languages import language_code
from hubbub.core.sanitize import safe_url
from hubbub.core.video_limits import VideoLimits
from hubbub.networks.base import Capabilities, Identity, Item, MediaLimits, Published
from hubbub.networks.draft_checks import with_quote_link as with_quote_link
from hubbub.networks.emoji import emoji_map

# The feeds fetch reads (list, hashtag and author take "<kind>:<value>").
MAX_POLL_OPTIONS = 20  # Mastodon allows 4 by default; an instance may raise it
FEEDS = ("home", "notifications", "mentions", "own", "list", "hashtag", "author", "search")
# Mastodon's stock video rules (MediaAttachment: 99 MB, 120 fps, 4096x2160 = 8,294,400 pixels);
# one video per status and no images beside it. Instances serve their own in /api/v2/instance.
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
DEFAULT_VIDEO = VideoLimits(mime_types=VIDEO_TYPES, max_bytes=99 * 1024 * 1024,
                            max_pixels=8_294_400, max_frame_rate=120, max_count=1,
                            with_images=False)


# --- capabilities -----------------------------------------------------------------------------


def default_capabilities() -> Capabilities:
    """Mastodon's stock limits (what an instance that says nothing is assumed to allow)."""
    return Capabilities(
        text_limit=500,
        counting="mastodon",
        url_length=23,
        media=MediaLimits(
            max_count=4,
            mime_types=("image/jpeg", "image/png", "image/gif", "image/webp", *VIDEO_TYPES),
            image_max_bytes=16 * 1024 * 1024,
            image_max_pixels=33_177_600,  # 7680x4320
            alt_text_max=1500,
            video_max_bytes=DEFAULT_VIDEO.max_bytes,
            video=DEFAULT_VIDEO,
        ),
        content_warning=True,
        threads=True,
        visibilities=("public", "unlisted", "private", "direct"),
        feeds=FEEDS,
        idempotency="header",
        native_scheduling=True,
        quote_as_link=True,  # a server that states no version gets the link (quotes_supported)
    )


def capabilities_from_instance(instance: Mapping[str, Any]) -> Capabilities:
    """Limits from GET /api/v2/instance; anything missing keeps Mastodon's default."""
    base = default_capabilities()
    config = _mapping(instance.get("configuration"))
    statuses = _mapping(config.get("statuses"))
    media = _mapping(config.get("media_attachments"))
    mime_types = media.get("supported_mime_types")
    served = (tuple(str(m) for m in mime_types) if isinstance(mime_types, list) and mime_types
              else base.media.mime_types)
    default_video = DEFAULT_VIDEO
    video = VideoLimits(
        mime_types=tuple(m for m in served if m.startswith("video/")),
        max_bytes=_int(media.get("video_size_limit"), default_video.max_bytes or 0) or None,
        max_pixels=_int(media.get("video_matrix_limit"), default_video.max_pixels or 0) or None,
        max_frame_rate=_int(media.get("video_frame_rate_limit"),
                            int(default_video.max_frame_rate or 0)) or None,
        max_count=1, with_images=False,
    )
    return Capabilities(
        text_limit=_int(statuses.get("max_characters"), base.text_limit),
        counting="mastodon",
        url_length=_int(statuses.get("characters_reserved_per_url"), base.url_length or 23),
        media=MediaLimits(
            max_count=_int(statuses.get("max_media_attachments"), base.media.max_count),
            mime_types=served,
            image_max_bytes=_int(media.get("image_size_limit"), base.media.image_max_bytes),
            image_max_pixels=_int(media.get("image_matrix_limit"), base.media.image_max_pixels or 0)
            or None,
            # description_limit is served from Mastodon 4.4; 1500 before that.
            alt_text_max=_int(media.get("description_limit"), base.media.alt_text_max),
            video_max_bytes=video.max_bytes,
            video=video if video.mime_types else None,
        ),
        content_warning=True,
        threads=True,
        visibilities=base.visibilities,
        feeds=base.feeds,
        idempotency="header",
        native_scheduling=True,
        quote_as_link=not quotes_supported(instance),
    )


def with_posting_defaults(caps: Capabilities, preferences: object) -> Capabilities:
    """The account's default visibility and language from GET /api/v1/preferences
    (`posting:default:visibility`, `posting:default:language`). A visibility the server does
    not list and a language that is not an ISO 639-1 code are left unknown ("")."""
    prefs = preferences if isinstance(preferences, Mapping) else {}
    visibility = str(prefs.get("posting:default:visibility") or "").strip().lower()
    return replace(
        caps,
        default_visibility=visibility if visibility in caps.visibilities else "",
        default_language=language_code(prefs.get("posting:default:language")),
    )


def is_instance_document(data: object) -> bool:
    """Does this look like /api/v2/instance of a Mastodon (or Mastodon-API) server?"""
    return isinstance(data, Mapping) and isinstance(data.get("configuration"), Mapping) and (
        "domain" in data or "version" in data
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


# --- accounts and statuses --------------------------------------------------------------------


def handle_for(account: Mapping[str, Any], base_url: str) -> str:
    """@user@domain. Local accounts have acct "user": take the domain from their profile URL."""
    acct = str(account.get("acct") or account.get("username") or "")
    if "@" in acct:
        return f"@{acct}"
    host = _hostname(account.get("url")) or _hostname(base_url)
    return f"@{acct}@{host}" if host else f"@{acct}"


def _hostname(url: object) -> str:
    """The host of a URL; "" for none, or for one that does not parse ("http://[")."""
    try:
        return urlsplit(str(url or "")).hostname or ""
    except ValueError:
        return ""


def identity_from_account(account: Mapping[str, Any], base_url: str) -> Identity:
    return Identity(
        remote_id=str(account["id"]),
        handle=handle_for(account, base_url),
        display_name=str(account.get("display_name") or account.get("username") or ""),
        avatar_url=safe_url(account.get("avatar")),
        profile_url=safe_url(account.get("url")),
    )


def parse_time(value: object) -> datetime:
    """Mastodon timestamps (ISO-8601, or datetimes already parsed by Mastodon.py) in UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def published_from_status(status: Mapping[str, Any]) -> Published:
    created = status.get("created_at")
    return Published(
        remote_id=str(status["id"]),
        url=safe_url(status.get("url") or status.get("uri")),
        created_at=parse_time(created) if created else None,
    )


def item_from_status(
    status: Mapping[str, Any], base_url: str, *, kind: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Item:
    """A timeline status as an Item. A boost shows the boosted post, with who boosted it."""
    details: dict[str, Any] = dict(extra or {})
    shown = status
    reblog = status.get("reblog")
    if isinstance(reblog, Mapping):
        booster = _mapping(status.get("account"))
        details.update(
            reposted_by=handle_for(booster, base_url),
            reposted_by_name=str(booster.get("display_name") or ""),
            original_id=str(reblog.get("id")),
        )
        shown = reblog
        kind = kind or "repost"
    elif kind is None:
        kind = "reply" if status.get("in_reply_to_id") else "post"
    author = _mapping(shown.get("account"))
    content = str(shown.get("content") or "")
    spoiler = str(shown.get("spoiler_text") or "")
    if spoiler:
        details["content_warning"] = spoiler
    media = [
        {
            "type": str(m.get("type") or ""),
            "url": str(m.get("url") or ""),
            "preview_url": str(m.get("preview_url") or ""),
            "description": str(m.get("description") or ""),
        }
        for m in _list(shown.get("media_attachments"))
        if isinstance(m, Mapping)
    ]
    if media:
        details["media"] = media
    if shown.get("in_reply_to_id"):
        details["in_reply_to"] = str(shown["in_reply_to_id"])
        replied_to = _reply_handle(shown, base_url)
        if replied_to:
            details["in_reply_to_handle"] = replied_to
    details["visibility"] = str(shown.get("visibility") or "")
    mentioned = [handle_for(m, base_url) for m in _list(shown.get("mentions"))
                 if isinstance(m, Mapping) and (m.get("acct") or m.get("username"))]
    if mentioned:
        details["mentioned"] = list(dict.fromkeys(mentioned))  # who a reply keeps naming
    language = language_code(shown.get("language"))
    if language:
        details["langs"] = [language]  # as Bluesky's: what the rules' Language condition reads
    if shown.get("sensitive"):
        details["sensitive"] = True
    if author.get("url"):
        details["author_url"] = str(author["url"])
    # What this account did to it (present only when the server says: absent means unknown).
    for flag, field in (("liked", "favourited"), ("reposted", "reblogged"),
                        ("bookmarked", "bookmarked")):
        if isinstance(shown.get(field), bool):
            details[flag] = shown[field]
    counts = {
        name: shown[field]
        for name, field in (("reply", "replies_count"), ("repost", "reblogs_count"),
                            ("like", "favourites_count"), ("quote", "quotes_count"))
        if isinstance(shown.get(field), int) and not isinstance(shown.get(field), bool)
    }
    if counts:
        details["counts"] = counts
    card = shown.get("card")
    if isinstance(card, Mapping) and card.get("url"):
        details["card"] = {key: str(card.get(key) or "")
                           for key in ("url", "title", "description", "image")}
    poll = _poll(shown.get("poll"))
    if poll:
        details["poll"] = poll
    emoji = emoji_map(
        (e.get("shortcode"), e.get("static_url") or e.get("url"))
        for e in (*_list(shown.get("emojis")), *_list(author.get("emojis")))
        if isinstance(e, Mapping))
    if emoji:
        details["emoji"] = emoji
    quoted = _quoted_status(shown.get("quote"), base_url)
    if quoted is not None:
        details["quote"] = quoted
        if kind == "post":
            kind = "quote"
    return Item(
        remote_id=str(status["id"]),
        kind=kind,
        author_handle=handle_for(author, base_url),
        author_name=str(author.get("display_name") or author.get("username") or ""),
        created_at=parse_time(status.get("created_at")),
        text=html_to_text(content),
        html=content,  # remote HTML as sent: ingest cleans it, once
        url=str(shown.get("url") or shown.get("uri") or ""),
        author_avatar=str(author.get("avatar") or ""),
        extra=details,
    )


def _poll(value: object) -> dict[str, Any] | None:
    """A status's poll: its options (title, votes when the server shows them) and state."""
    poll = _mapping(value)
    options = [o for o in _list(poll.get("options")) if isinstance(o, Mapping)][:MAX_POLL_OPTIONS]
    if not options:
        return None
    return {
        "options": [{"title": str(o.get("title") or "")[:500],
                     "votes": _int(o.get("votes_count"), -1)} for o in options],
        "voters": _int(poll.get("voters_count"), _int(poll.get("votes_count"), -1)),
        "multiple": poll.get("multiple") is True,
        "expired": poll.get("expired") is True,
        "expires_at": str(poll.get("expires_at") or "")[:40],
    }


def _reply_handle(status: Mapping[str, Any], base_url: str) -> str:
    """The handle of the account a reply answers, from the status's own mentions."""
    wanted = str(status.get("in_reply_to_account_id") or "")
    if not wanted:
        return ""
    author = _mapping(status.get("account"))
    if str(author.get("id") or "") == wanted:
        return handle_for(author, base_url)
    for mention in status.get("mentions") or ():
        if isinstance(mention, Mapping) and str(mention.get("id") or "") == wanted:
            return handle_for(mention, base_url)
    return ""


def _quoted_status(quote: object, base_url: str) -> dict[str, str] | None:
    """Mastodon 4.5 quotes: {"state": "accepted", "quoted_status": {...}}; any other state
    (pending, rejected, deleted...) shows as unavailable."""
    if not isinstance(quote, Mapping):
        return None
    quoted = quote.get("quoted_status")
    if quote.get("state") == "accepted" and isinstance(quoted, Mapping):
        author = _mapping(quoted.get("account"))
        return {
            "uri": str(quoted.get("uri") or quoted.get("id") or ""),
            "url": str(quoted.get("url") or quoted.get("uri") or ""),
            "author_handle": handle_for(author, base_url),
            "author_name": str(author.get("display_name") or author.get("username") or ""),
            "text": html_to_text(str(quoted.get("content") or "")),
        }
    return {"uri": "", "unavailable": str(quote.get("state") or "unavailable")}


# What the mentions feed asks for: mentions, and (Mastodon 4.5) someone quoting one of the
# account's posts. An older server matches no `quote` notification and answers the mentions.
MENTION_TYPES = ("mention", "quote")


def item_from_notification(notification: Mapping[str, Any], base_url: str) -> Item | None:
    """A mention or quote notification as an Item (keyed by its status id, so it dedupes with
    home): a `quote` notification's status is the post that quotes the account's own (its
    `quote.quoted_status`), shown as a quote."""
    status = notification.get("status")
    if not isinstance(status, Mapping):
        return None
    if notification.get("type") == "quote":
        kind = "quote"
    else:
        kind = "reply" if status.get("in_reply_to_id") else "mention"
    return item_from_status(
        status, base_url, kind=kind, extra={"notification_id": str(notification.get("id"))}
    )


def item_from_any_notification(notification: Mapping[str, Any], base_url: str) -> Item | None:
    """Any notification for the notifications feed: mentions, quotes and subscribed posts as their
    post; likes, boosts and follows as an item of their own (keyed "notification:<id>"), by the
    account that did it. Other kinds (polls, edits, reports...) are not shown."""
    kind = str(notification.get("type") or "")
    status = notification.get("status")
    if kind in MENTION_TYPES:
        return item_from_notification(notification, base_url)
    if kind == "status" and isinstance(status, Mapping):
        return item_from_status(status, base_url, extra={
            "notification_id": str(notification.get("id"))})
    shown = {"favourite": "like", "reblog": "repost", "follow": "follow"}.get(kind)
    if shown is None:
        return None
    actor = _mapping(notification.get("account"))
    details: dict[str, Any] = {"notification_id": str(notification.get("id")),
                               "notification_type": kind}
    if actor.get("url"):
        details["author_url"] = str(actor["url"])
    text = url = ""
    if isinstance(status, Mapping):
        text = html_to_text(str(status.get("content") or ""))
        url = str(status.get("url") or status.get("uri") or "")
        details["subject_id"] = str(status.get("id") or "")
    elif kind == "follow":
        url = str(actor.get("url") or "")
    return Item(
        remote_id=f"notification:{notification.get('id')}",
        kind=shown,
        author_handle=handle_for(actor, base_url),
        author_name=str(actor.get("display_name") or actor.get("username") or ""),
        created_at=parse_time(notification.get("created_at")),
        text=text,
        url=url,
        author_avatar=str(actor.get("avatar") or ""),
        extra=details,
    )


class _TextExtractor(HTMLParser):
    """Mastodon status HTML -> the text the person typed: <br> and paragraphs become line
    breaks; link text is kept whole (Mastodon hides parts of long URLs in invisible spans)."""

    # Their bodies are code, not text (a hostile server's script showed in "Replying to");
    # the cleaned HTML drops them too.
    HIDDEN = ("script", "style")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    if "<" not in content:
        return html.unescape(content)
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


_MENTION_DOMAIN = re.compile(r"(?<![=/\w])(@[A-Za-z0-9_.-]+)@[\w.-]+\w")
_SPACE = re.compile(r"\s+")


def comparable_text(text: str) -> str:
    """Text reduced to what survives Mastodon's rendering: whitespace collapsed, and remote
    mentions shortened (Mastodon shows @alice@example.social as @alice)."""
    return _SPACE.sub(" ", _MENTION_DOMAIN.sub(r"\1", text)).strip()


# Mastodon takes quoted_status_id on POST /api/v1/statuses from 4.5 on.
QUOTES_SINCE = (4, 5)
_VERSION = re.compile(r"(\d{1,9})\.(\d{1,9})(?!\d)")  # the major and minor a version starts with


def quotes_supported(instance: Mapping[str, Any]) -> bool:
    """Does the server quote natively (Mastodon 4.5 and later, by the version its
    /api/v2/instance states; "4.5.0+glitch" reads as 4.5)? An older one or a server that
    states no Mastodon version gets the quoted post's link instead."""
    found = _VERSION.match(str(instance.get("version") or ""))
    return found is not None and (int(found[1]), int(found[2])) >= QUOTES_SINCE


def status_matches(
    status: Mapping[str, Any], text: str, content_warning: str, media_count: int
) -> bool:
    """Is this status the draft? (Used after OutcomeUnknown, to find a post we may have made.)"""
    if status.get("reblog"):
        return False
    if comparable_text(str(status.get("spoiler_text") or "")) != comparable_text(content_warning):
        return False
    if len(status.get("media_attachments") or ()) != media_count:
        return False
    content = html_to_text(str(status.get("content") or ""))
    return comparable_text(content) == comparable_text(text)
