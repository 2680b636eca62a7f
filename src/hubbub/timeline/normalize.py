"""A connector's item as the values of an Item row: every field sanitized, bounded and
serialized once, with the digest that tells a changed re-read from an unchanged one.

Pure (no database): `ingest` calls `normalize` for every item it is given, so this is the hot
path of reading; docs/benchmarks.md ("The deck") has its costs.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from hubbub.core.sanitize import (
    clean_html,
    clean_html_many,
    clean_line,
    clean_text,
    safe_url,
    text_to_html,
)
from hubbub.networks import base

KINDS = frozenset({"post", "reply", "mention", "repost", "quote", "like", "follow", "message"})
MEDIA_TYPES = frozenset({"image", "video", "gifv", "audio", "unknown"})
MAX_MEDIA = 16
MAX_ALT = 5000
MAX_QUOTE_TEXT = 5000
MAX_EXTRA_JSON = 16_000
# How far ahead of our clock a post may claim to be; later ones are dated now (a post dated
# 2099 would otherwise sit on top of every column forever).
FUTURE_SLACK = timedelta(minutes=5)
# Details ingest turns into columns of Item; the rest of `extra` is stored as it is.
PROMOTED = frozenset({
    "content_warning", "sensitive", "media", "card", "quote", "reposted_by",
    "reposted_by_name", "in_reply_to", "in_reply_to_handle", "author_url", "liked", "reposted",
    "bookmarked", "feed",
})
# Details that depend on the feed an item was read from (the same post read as a notification
# and from home): they do not make an item "changed", and a re-read without them keeps them.
# A direct message's conversation is known only from the feed "direct" (Mastodon's mentions
# feed reads the same status without it).
FEED_SPECIFIC = ("notification_id", "notification_reason", "is_read", "conversation",
                 "participants", "participant_accts")
_FEED_SPECIFIC_KEYS = frozenset(FEED_SPECIFIC)
FLAGS = ("liked", "reposted", "bookmarked")
# Each flag and the other name a connector may give it (Mastodon's "my_like"...).
_FLAG_ALIASES = (("liked", "my_like"), ("reposted", "my_repost"), ("bookmarked", ""))
_FLAG_KEYS = frozenset(name for pair in _FLAG_ALIASES for name in pair if name)

# --- fields -------------------------------------------------------------------------------------


def _clip(value: object, limit: int) -> str:
    return clean_line(value, max_chars=limit) if value else ""


def _aware(value: datetime, now: datetime) -> datetime:
    when = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return now if when > now + FUTURE_SLACK else when


def _media(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        return []
    media: list[dict[str, str]] = []
    for entry in value[:MAX_MEDIA]:
        if not isinstance(entry, Mapping):
            continue
        url = safe_url(entry.get("url"))
        preview = safe_url(entry.get("preview_url"))
        if not url and not preview:
            continue
        kind = str(entry.get("type") or "unknown")
        media.append({
            "type": kind if kind in MEDIA_TYPES else "unknown",
            "url": url,
            "preview_url": preview,
            "description": clean_text(entry.get("description"), max_chars=MAX_ALT),
        })
    return media


def _card(value: object) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    url = safe_url(value.get("url") or value.get("uri"))
    if not url:
        return None
    return {
        "url": url,
        "title": _clip(value.get("title"), 500),
        "description": clean_text(value.get("description"), max_chars=1000),
        "image": safe_url(value.get("image") or value.get("thumb")),
    }


def _quote(value: object) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    quote = {
        "uri": _clip(value.get("uri"), 500),
        "url": safe_url(value.get("url")),
        "author_handle": _clip(value.get("author_handle"), 300),
        "author_name": _clip(value.get("author_name"), 300),
        "text": clean_text(value.get("text"), max_chars=MAX_QUOTE_TEXT),
    }
    if value.get("unavailable"):
        quote["unavailable"] = _clip(value.get("unavailable"), 100)
    return quote


_SCALARS = (int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)
_NOTHING: frozenset[str] = frozenset()


def _key(key: object) -> str:
    text = str(key)[:100]
    return text if text.isascii() else clean_text(text, max_chars=100)


def _json_safe(value: Any, depth: int = 0) -> Any:
    """JSON-serializable copy of connector details; strings lose control characters."""
    if isinstance(value, str):
        if len(value) <= 2000 and value.isascii() and value.isprintable():
            return value
        return clean_text(value, max_chars=2000)
    if isinstance(value, _SCALARS):
        return value
    if depth > 5:
        return None
    if isinstance(value, Mapping):
        return _safe_mapping(value, depth)
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALAR_TYPES else _json_safe(v, depth + 1) for v in value[:100]]
    return str(value)[:200]


def _safe_mapping(value: Mapping[Any, Any], depth: int,
                  leave_out: frozenset[str] = _NOTHING) -> dict[str, Any]:
    """_json_safe of a mapping, without the keys in `leave_out`. A loop rather than a
    comprehension of calls: short ASCII keys and plain string values, which are nearly all of
    them, are taken as they are without a call each."""
    safe: dict[str, Any] = {}
    for key, item in value.items():
        if key in leave_out:
            continue
        if type(key) is not str or len(key) > 100 or not key.isascii():
            key = _key(key)
        kind = type(item)
        if kind is str:
            if len(item) > 2000 or not item.isascii() or not item.isprintable():
                item = clean_text(item, max_chars=2000)
        elif kind is dict:  # what _json_safe(item, depth + 1) does with one
            item = _safe_mapping(item, depth + 1) if depth < 5 else None
        elif kind not in _SCALAR_TYPES:
            item = _json_safe(item, depth + 1)
        safe[key] = item
    return safe


def _extra(details: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The details stored in Item.extra, and their JSON."""
    safe = _safe_mapping(details, 0, PROMOTED)
    if not safe:
        return {}, "{}"
    encoded = dumps(safe)
    if len(encoded) > MAX_EXTRA_JSON:
        # Keep the small scalar details, drop the bulky ones.
        safe = {k: v for k, v in safe.items() if not isinstance(v, dict | list)}
        encoded = dumps(safe)
        if len(encoded) > MAX_EXTRA_JSON:
            safe, encoded = {}, "{}"
    return safe, encoded


def normalize_many(items: Sequence[base.Item], *,
                   now: datetime | None = None) -> list[dict[str, Any] | None]:
    """[normalize(item) for item in items], with the batch's HTML cleaned first, side by side
    on two cores (core/sanitize.py clean_html_many): the same rows."""
    markups = [item.html for item in items if isinstance(item.html, str) and item.html]
    cleaned = dict(zip(markups, clean_html_many(markups), strict=True))
    current = now or timezone.now()
    return [normalize(item, now=current, cleaned_html=cleaned.get(item.html)
                      if isinstance(item.html, str) else None) for item in items]


def normalize(item: base.Item, *, now: datetime | None = None,
              cleaned_html: str | None = None) -> dict[str, Any] | None:
    """The Item row values for a connector's item, sanitized; None when it is unusable.

    Flags (liked, reposted, bookmarked) the network did not report are left out, so a re-read
    keeps what the hub knows. `cleaned_html`: clean_html(item.html), when the caller has it
    already (normalize_many)."""
    remote_id = item.remote_id if isinstance(item.remote_id, str) else ""
    if not remote_id or len(remote_id) > 500 or not isinstance(item.created_at, datetime):
        return None
    # Control characters or lone surrogates in an id (printable ASCII has neither).
    if not (remote_id.isascii() and remote_id.isprintable()) and clean_text(remote_id) != remote_id:
        return None
    current = now or timezone.now()
    details = item.extra if type(item.extra) is dict or isinstance(item.extra, Mapping) else {}
    text = clean_text(item.text)
    if not item.html:
        html = text_to_html(text)
    else:
        html = cleaned_html if cleaned_html is not None else clean_html(item.html)
    kind = item.kind if item.kind in KINDS else _clip(item.kind, 16) or "post"
    media = _media(details.get("media"))
    card = _card(details.get("card"))
    quote = _quote(details.get("quote"))
    extra, extra_json = _extra(details)
    row: dict[str, Any] = {
        "remote_id": remote_id,
        "kind": kind,
        "created_at": _aware(item.created_at, current),
        "url": safe_url(item.url),
        "author_handle": _clip(item.author_handle, 300),
        "author_name": _clip(item.author_name, 300),
        "author_avatar": safe_url(item.author_avatar),
        "author_url": safe_url(details.get("author_url")),
        "text": text,
        "html": html,
        "content_warning": _clip(details.get("content_warning"), 1000),
        "sensitive": bool(details.get("sensitive")),
        "reposted_by": _clip(details.get("reposted_by"), 300),
        "reposted_by_name": _clip(details.get("reposted_by_name"), 300),
        "in_reply_to": _clip(details.get("in_reply_to"), 500),
        "in_reply_to_handle": _clip(details.get("in_reply_to_handle"), 300),
        "media": media,
        "card": card,
        "quote": quote,
        "extra": extra,
        # Serialized once: the digest and the INSERT both use these.
        "media_json": dumps(media) if media else "[]",
        "card_json": None if card is None else dumps(card),
        "quote_json": None if quote is None else dumps(quote),
        "extra_json": extra_json,
    }
    if not _FLAG_KEYS.isdisjoint(details):  # most items report no flag: one test
        for flag, alias in _FLAG_ALIASES:
            if flag in details or (alias and alias in details):
                row[flag] = bool(details.get(flag) or (alias and details.get(alias)))
    row["digest"] = _digest(row)
    return row


def _digest(row: Mapping[str, Any]) -> str:
    extra_json = row["extra_json"]
    if not _FEED_SPECIFIC_KEYS.isdisjoint(row["extra"]):
        extra_json = dumps({k: v for k, v in row["extra"].items() if k not in FEED_SPECIFIC})
    content = "\x1f".join((
        row["text"], row["html"], row["content_warning"], "s" if row["sensitive"] else "",
        row["media_json"], row["card_json"] or "", row["quote_json"] or "", extra_json,
        row["author_name"], row["author_avatar"], row["author_url"], row["url"],
    ))
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


def _make_dumps() -> Callable[[Any], str]:
    """JSON as `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` writes it.

    JSONEncoder.encode builds its C encoder anew on every call, which was half the time of
    encoding an item's few small details; here it is built once. No check for circular
    references: every value encoded here is a fresh copy made by normalize (or read from JSON)."""
    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # a Python without the C accelerator
        return standard.encode
    encode = make_encoder(None, standard.default, json.encoder.encode_basestring, None,
                          standard.key_separator, standard.item_separator, False, False, True)

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


# One encoder for every item: json.dumps with options builds a new one each call.
dumps = _make_dumps()
