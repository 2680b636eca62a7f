"""What a deck item carries beyond text and media: its poll, and custom emoji.

`item|poll_of` gives a poll fit to show (options with their share of the votes, for a
`<progress>` bar: no inline style under the page's CSP); `html|with_emoji:item` and
`text|name_emoji:item` show each `:shortcode:` the item's `extra["emoji"]` names as its picture,
through the image proxy, and leave everything else as it was. Markup is only ever added between
tags of already-clean HTML (or of escaped text), never inside one, and every shortcode is plain
letters, digits and underscores (networks/emoji.py), so a hostile server's shortcode or address
cannot become markup."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from hubbub.networks.emoji import MAX_EMOJI
from hubbub.timeline.media_proxy import proxied_url

register = template.Library()

_SHORTCODE_IN_TEXT: Final = re.compile(r":([A-Za-z0-9_]{1,64}):")
# A tag as the cleaner writes it: attribute values are double-quoted and may hold `>` (an href
# does), never `"` (written &quot;).
_TAG_OR_TEXT: Final = re.compile(r'(<(?:[^">]|"[^"]*")*>)')


def _extra(item: Any) -> Mapping[str, Any]:
    extra = getattr(item, "extra", None)
    return extra if isinstance(extra, Mapping) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else -1


@register.filter
def poll_of(item: Any) -> dict[str, Any] | None:
    poll = _extra(item).get("poll")
    if not isinstance(poll, Mapping) or not isinstance(poll.get("options"), list):
        return None
    options = [o for o in poll["options"] if isinstance(o, Mapping)][:20]
    if not options:
        return None
    votes = [_int(o.get("votes")) for o in options]
    known = all(v >= 0 for v in votes)
    total = sum(votes) if known else 0
    return {
        "options": [{"title": str(o.get("title") or "")[:500], "votes": v,
                     "percent": round(100 * v / total) if total else 0}
                    for o, v in zip(options, votes, strict=True)],
        "shown": known,
        "voters": _int(poll.get("voters")),
        "multiple": poll.get("multiple") is True,
        "expired": poll.get("expired") is True,
    }


def _pictures(item: Any) -> dict[str, str]:
    emoji = _extra(item).get("emoji")
    if not isinstance(emoji, Mapping):
        return {}
    return {code: url for code, url in list(emoji.items())[:MAX_EMOJI]
            if isinstance(code, str) and isinstance(url, str)}


def _with_pictures(text: str, pictures: Mapping[str, str]) -> str:
    """Escaped text with each known `:shortcode:` as its picture."""
    shown = 0

    def picture(match: re.Match[str]) -> str:
        nonlocal shown
        code = match.group(1)
        src = proxied_url(pictures[code]) if code in pictures and shown < MAX_EMOJI else ""
        if not src:
            return match.group(0)
        shown += 1
        return (f'<img class="emoji" src="{escape(src)}" alt=":{code}:" title=":{code}:" '
                'width="20" height="20" loading="lazy" decoding="async" '
                'referrerpolicy="no-referrer">')

    return _SHORTCODE_IN_TEXT.sub(picture, text)


@register.filter
def with_emoji(html: Any, item: Any) -> SafeString:
    """Clean HTML (safe already: ingest cleaned it) with the item's custom emoji shown."""
    markup = str(html or "")
    pictures = _pictures(item) if ":" in markup else {}
    if not pictures:
        return mark_safe(markup)  # noqa: S308 - ingest's cleaned HTML, as before
    parts = _TAG_OR_TEXT.split(markup)
    return mark_safe("".join(  # noqa: S308 - text between clean tags, and our own <img>s
        part if index % 2 else _with_pictures(part, pictures)
        for index, part in enumerate(parts)))


@register.filter
def name_emoji(text: Any, item: Any) -> SafeString:
    """Plain text (a display name), escaped, with the item's custom emoji shown."""
    escaped = str(conditional_escape(str(text or "")))
    pictures = _pictures(item) if ":" in escaped else {}
    return mark_safe(_with_pictures(escaped, pictures) if pictures else escaped)  # noqa: S308
