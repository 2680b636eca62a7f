"""Display helpers for the deck: relative times, paging cursors, safe remote URLs, icons."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hubbub.accounts.templatetags.hubbub_ui import ICONS as APP_ICONS
from hubbub.core.sanitize import safe_url
from hubbub.timeline.cursors import encode_cursor
from hubbub.timeline.privacy import PRIVATE_LABELS, PRIVATE_PILLS, private_kind

register = template.Library()


@register.filter
def reltime(when: datetime | None, now: datetime | None = None) -> str:
    """"now", "42s", "5m", "3h", "2d", then "3 Mar" (this year) or "3 Mar 2024"."""
    if when is None:
        return ""
    now = now or timezone.now()
    delta = now - when
    seconds = int(delta.total_seconds())
    if seconds < 10:
        return "now"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if delta < timedelta(days=7):
        return f"{delta.days}d"
    local = timezone.localtime(when)
    if local.year == timezone.localtime(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


@register.filter
def cursor(item: Any) -> str:
    return encode_cursor(item.created_at, item.pk)


@register.filter
def epoch_ms(when: datetime | None) -> int:
    return int(when.astimezone(UTC).timestamp() * 1000) if when else 0


@register.filter
def iso_utc(when: datetime | None) -> str:
    """The time for <time datetime> in UTC, to the microsecond when it has any
    ("2026-12-07T01:49:38.043869Z"): deck.js reads an item's paging cursor from it."""
    if when is None:
        return ""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ")


@register.filter
def web_url(url: Any) -> str:
    """The URL if it is http(s), else "" (never javascript:, data: and the like): the same
    safe_url ingest stored it through, again for rows stored before that check."""
    return safe_url(url)


@register.filter
def is_image(media: Any) -> bool:
    return isinstance(media, dict) and str(media.get("type", "")).startswith("image")


@register.filter
def media_list(media: Any) -> list[dict[str, str]]:
    """Well-formed media entries only, at most four (as the networks show them)."""
    if not isinstance(media, list):
        return []
    found = []
    for entry in media:
        if not isinstance(entry, dict):
            continue
        url = web_url(entry.get("url"))
        preview = web_url(entry.get("preview_url")) or url
        if not preview:
            continue
        found.append({
            "type": str(entry.get("type") or "image"),
            "url": url or preview,
            "preview_url": preview,
            "description": str(entry.get("description") or "")[:1500],
        })
    return found[:4]


@register.filter
def card_of(card: Any) -> dict[str, str] | None:
    if not isinstance(card, dict) or not web_url(card.get("url")):
        return None
    return {
        "url": web_url(card.get("url")),
        "title": str(card.get("title") or "")[:300],
        "description": str(card.get("description") or "")[:500],
        "image": web_url(card.get("image")),
        "host": urlsplit(web_url(card.get("url"))).hostname or "",
    }


@register.filter
def quote_of(quote: Any) -> dict[str, str] | None:
    if not isinstance(quote, dict):
        return None
    if quote.get("unavailable"):
        return {"unavailable": str(quote["unavailable"])[:100], "url": web_url(quote.get("url"))}
    if not (quote.get("text") or quote.get("author_handle")):
        return None
    return {
        "author_handle": str(quote.get("author_handle") or ""),
        "author_name": str(quote.get("author_name") or ""),
        "text": str(quote.get("text") or "")[:2000],
        "url": web_url(quote.get("url")),
    }


# fast_url: a view's URL with one integer argument is the same text around the number each
# time, so it is reversed once (per URL conf and script prefix) and the number put in.
_PROBE = 7_340_033_219  # an argument no route of ours has in its fixed text
_URL_SHAPES: dict[tuple[str, Any, str, int], tuple[str, str] | None] = {}


@register.simple_tag
def fast_url(name: str, *args: Any) -> str:
    """What {% url name args %} gives, for no argument or one int: an item's actions reverse
    four URLs, 120 a page, at ~12 us each through reverse()."""
    if len(args) > 1 or (args and type(args[0]) is not int):
        return reverse(name, args=args)
    key = (name, get_urlconf(), get_script_prefix(), len(args))
    if key not in _URL_SHAPES:
        probe = reverse(name, args=[_PROBE] if args else None)
        mark = str(_PROBE)
        if not args:
            _URL_SHAPES[key] = (probe, "")
        elif probe.count(mark) == 1:
            before, after = probe.split(mark)
            _URL_SHAPES[key] = (before, after)
        else:
            _URL_SHAPES[key] = None
    shape = _URL_SHAPES[key]
    if shape is None:
        return reverse(name, args=args)
    return f"{shape[0]}{args[0]}{shape[1]}" if args else shape[0]


@register.filter
def count(item: Any, key: str) -> str:
    """The network's count of replies/reposts/likes, shortened ("1.2K"); "" for none."""
    extra = getattr(item, "extra", None)
    counts = extra.get("counts") if isinstance(extra, dict) else None
    value = counts.get(key) if isinstance(counts, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return ""
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}".rstrip("0").rstrip(".") + "K"
    return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"


# An item carries the state of its actions; deck.js/items.js draw the actions themselves from one
# copy of timeline/_actions.html per page (acts_template), so an item's HTML has none of their
# markup: the counts as data-n="<replies> <reposts> <likes>" ("-" for none), what is on as
# data-on="repost like bookmark" (the kinds set), and a direct or followers-only item as
# data-private="direct" / "followers" (no Repost or Quote is drawn for it).
_STATE = (("repost", "reposted"), ("like", "liked"), ("bookmark", "bookmarked"))


@register.filter
def private_label(item: Any) -> SafeString:
    """The pill in the head of an item not everyone may see ("Direct", titled "Direct message:
    only the people it names can see it"), else ""."""
    kind = private_kind(item)
    if not kind:
        return mark_safe("")
    readers = "the people it names" if kind == "direct" else "the author's followers"
    return mark_safe(  # noqa: S308 - fixed words
        f' <span class="item-private" title="{PRIVATE_LABELS[kind]}: only {readers} can see '
        f'it">{PRIVATE_PILLS[kind]}</span>')


@register.filter
def act_state(item: Any) -> SafeString:
    counts = [count(item, key) or "-" for key in ("reply", "repost", "like")]
    on = [kind for kind, field in _STATE if getattr(item, field, False)]
    found = ""
    if counts != ["-", "-", "-"]:
        found += f' data-n="{escape(" ".join(counts))}"'
    if on:
        found += f' data-on="{" ".join(on)}"'
    private = private_kind(item)
    if private:  # items.js offers no Repost or Quote for it
        found += f' data-private="{private}"'
    if getattr(item, "in_person", False):  # its author is one of the People: no "Add … to a
        found += " data-in-person"         # person…" (conversation_views.mark_people)
    return mark_safe(found)  # noqa: S308 - escaped counts and fixed words


class _Placeholder:
    """The item the page's one copy of the actions is drawn for: items.js puts each item's id,
    handle and address where these are."""

    pk = 987654321
    author_handle = "@@handle@@"
    url = "https://placeholder.invalid/original"
    reposted = liked = bookmarked = False
    extra: dict[str, Any] = {}


@register.simple_tag(takes_context=True)
def acts_template(context: template.Context) -> SafeString:
    """One <template> holding an item's actions (timeline/_actions.html) for a placeholder item:
    items.js copies it into every item of the page that has no actions of its own."""
    request = context.get("request")
    here = context.get("here") or (request.get_full_path() if request is not None else "")
    draw = _acts_template.__wrapped__ if settings.DEBUG else _acts_template  # DEBUG: edits show
    kept = draw(str(here), get_script_prefix(), get_urlconf())
    # The form's token is the one thing of the person's in it: put in each time (a token is
    # letters and digits, nothing to escape), the page's own (the context's, which its other
    # forms show) rather than a second one masked for this copy.
    given = context.get("csrf_token")
    token = str(given) if given else str(get_token(request)) if request is not None else ""
    token = token if token.isalnum() else ""
    if _TOKEN_SLOT in str(here):
        # The address (its query is whoever wrote the link's) holds the slot's text: drawn with
        # the token, not from the kept copy, whose every slot would get the token.
        return _acts_markup(str(here), token)
    return mark_safe(kept.replace(_TOKEN_SLOT, token))  # noqa: S308


_TOKEN_SLOT = "tokenslot0placeholder"  # noqa: S105 - where the token goes, not a secret


@functools.lru_cache(maxsize=64)
def _acts_template(here: str, prefix: str, urlconf: object) -> SafeString:
    """The markup for one page address, with the form's token left as _TOKEN_SLOT: it reads
    nothing else of the request or the person (its links are made from the prefix and the
    URLs, both in the key), so it is kept."""
    return _acts_markup(here, _TOKEN_SLOT)


def _acts_markup(here: str, token: str) -> SafeString:
    from django.template.loader import render_to_string

    body = render_to_string("timeline/_actions.html", {
        "item": _Placeholder, "here": here, "csrf_token": token})
    ph = _Placeholder
    return mark_safe(  # noqa: S308 - our template, and constant placeholders
        f'<template id="item-acts" data-id="{ph.pk}" data-handle="{ph.author_handle}" '
        f'data-url="{ph.url}">{body}</template>')


@register.simple_tag
def column_menu(pk: int, title: str, width: str, newest: str,
                choices: Any, moves: bool = False) -> SafeString:
    """A column's options (timeline/_column_menu.html): the column's page and the deck's one
    copy of a column's chrome. Kept per column, title, width and URL prefix, with the newest
    item's cursor put in per request: the same column's page drawn again is ~0.5 ms of include
    and tags less (issue 13)."""
    shown = str(newest or "")
    wanted = tuple((str(value), str(label)) for value, label in choices)
    key = (int(pk), str(title), width, wanted, bool(shown), bool(moves),
           get_script_prefix(), get_urlconf())
    draw = _column_menu.__wrapped__ if settings.DEBUG else _column_menu  # DEBUG: edits show
    kept = draw(*key)
    if kept.count(_NEWEST_SLOT) != (1 if shown else 0):
        # The title holds the slot's text: drawn as it is, not from the kept copy.
        return mark_safe(_draw_column_menu(*key, newest=shown))  # noqa: S308
    return mark_safe(kept.replace(_NEWEST_SLOT, escape(shown)))  # noqa: S308


_NEWEST_SLOT = "newestslot0placeholder"


@functools.lru_cache(maxsize=256)
def _column_menu(pk: int, title: str, width: str, choices: tuple[tuple[str, str], ...],
                 has_newest: bool, moves: bool, prefix: str, urlconf: object) -> str:
    """The markup, with _NEWEST_SLOT for the cursor: it reads nothing else of the request or
    the person than the key (the column's title is in it; its links are made from the prefix
    and the URLs, both in the key)."""
    return _draw_column_menu(pk, title, width, choices, has_newest, moves, prefix, urlconf,
                             newest=_NEWEST_SLOT if has_newest else "")


def _draw_column_menu(pk: int, title: str, width: str, choices: tuple[tuple[str, str], ...],
                      has_newest: bool, moves: bool, prefix: str, urlconf: object, *,
                      newest: str) -> str:
    from django.template.loader import render_to_string

    del has_newest, prefix, urlconf  # in the key only
    return render_to_string("timeline/_column_menu.html", {
        "pk": pk, "title": title, "width": width, "newest": newest, "choices": choices,
        "moves": moves})


# Feather icons (MIT) the deck adds to the shared set.
ICONS = {
    "home": '<path d="m3 9 9-7 9 7v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>'
    '<polyline points="9 22 9 12 15 12 15 22"/>',
    "bell": '<path d="M18 8A6 6 0 0 0 6 8c0 7-3 9-3 9h18s-3-2-3-9"/>'
    '<path d="M13.73 21a2 2 0 0 1-3.46 0"/>',
    "at": '<circle cx="12" cy="12" r="4"/>'
    '<path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-3.92 7.94"/>',
    "user": '<path d="M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2"/><circle cx="12" cy="7" r="4"/>',
    "list": '<line x1="8" y1="6" x2="21" y2="6"/><line x1="8" y1="12" x2="21" y2="12"/>'
    '<line x1="8" y1="18" x2="21" y2="18"/><line x1="3" y1="6" x2="3.01" y2="6"/>'
    '<line x1="3" y1="12" x2="3.01" y2="12"/><line x1="3" y1="18" x2="3.01" y2="18"/>',
    "hash": '<line x1="4" y1="9" x2="20" y2="9"/><line x1="4" y1="15" x2="20" y2="15"/>'
    '<line x1="10" y1="3" x2="8" y2="21"/><line x1="16" y1="3" x2="14" y2="21"/>',
    "search": '<circle cx="11" cy="11" r="8"/><line x1="21" y1="21" x2="16.65" y2="16.65"/>',
    "reply": '<polyline points="9 17 4 12 9 7"/><path d="M20 18v-2a4 4 0 0 0-4-4H4"/>',
    "repeat": '<polyline points="17 1 21 5 17 9"/><path d="M3 11V9a4 4 0 0 1 4-4h14"/>'
    '<polyline points="7 23 3 19 7 15"/><path d="M21 13v2a4 4 0 0 1-4 4H3"/>',
    "heart": '<path d="M20.84 4.61a5.5 5.5 0 0 0-7.78 0L12 5.67l-1.06-1.06a5.5 5.5 0 0 0-7.78 '
    '7.78l1.06 1.06L12 21.23l7.78-7.78 1.06-1.06a5.5 5.5 0 0 0 0-7.78z"/>',
    "bookmark": '<path d="m19 21-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"/>',
    "quote": '<path d="M3 21c3 0 7-1 7-8V5c0-1.25-.76-2.02-2-2H4c-1.25 0-2 .75-2 1.97V11c0 '
    '1.25.75 2 2 2 1 0 1 0 1 1v1c0 1-1 2-2 2s-1 .01-1 1.03V20c0 1 0 1 1 1z"/>'
    '<path d="M15 21c3 0 7-1 7-8V5c0-1.25-.76-2.02-2-2h-4c-1.25 0-2 .75-2 1.97V11c0 1.25.75 2 '
    '2 2h.75c0 2.25.25 4-2.75 4v3c0 1 0 1 1 1z"/>',
    "external": '<path d="M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6"/>'
    '<polyline points="15 3 21 3 21 9"/><line x1="10" y1="14" x2="21" y2="3"/>',
    "copy": '<rect x="9" y="9" width="13" height="13" rx="2" ry="2"/>'
    '<path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>',
    "left": '<polyline points="15 18 9 12 15 6"/>',
    "right": '<polyline points="9 18 15 12 9 6"/>',
    "grip": '<circle cx="9" cy="6" r="1"/><circle cx="15" cy="6" r="1"/><circle cx="9" cy="12" '
    'r="1"/><circle cx="15" cy="12" r="1"/><circle cx="9" cy="18" r="1"/>'
    '<circle cx="15" cy="18" r="1"/>',
    "more": '<circle cx="12" cy="12" r="1"/><circle cx="19" cy="12" r="1"/>'
    '<circle cx="5" cy="12" r="1"/>',
    "x": '<line x1="18" y1="6" x2="6" y2="18"/><line x1="6" y1="6" x2="18" y2="18"/>',
    "plus": '<line x1="12" y1="5" x2="12" y2="19"/><line x1="5" y1="12" x2="19" y2="12"/>',
    "columns": '<rect x="3" y="3" width="18" height="18" rx="2"/><line x1="9" y1="3" x2="9" '
    'y2="21"/><line x1="15" y1="3" x2="15" y2="21"/>',
    "keyboard": '<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h.01M10 10h.01'
    'M14 10h.01M18 10h.01M8 14h8"/>',
    "check": '<polyline points="20 6 9 17 4 12"/>',
    "eye": '<path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "alert": '<path d="M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86'
    'a2 2 0 0 0-3.42 0z"/><line x1="12" y1="9" x2="12" y2="13"/>'
    '<line x1="12" y1="17" x2="12.01" y2="17"/>',
    "arrow-up": '<line x1="12" y1="19" x2="12" y2="5"/><polyline points="5 12 12 5 19 12"/>',
    "play": '<polygon points="5 3 19 12 5 21 5 3"/>',
    "compose": '<path d="M12 20h9"/><path d="M16.5 3.5a2.121 2.121 0 0 1 3 3L7 19l-4 1 1-4Z"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06'
    'a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 0 1-4 '
    '0v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06'
    'A1.65 1.65 0 0 0 4.68 15a1.65 1.65 0 0 0-1.51-1H3a2 2 0 0 1 0-4h.09A1.65 1.65 0 0 0 4.6 9'
    'a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06A1.65 1.65 0 0 0 9 4.68a1.65 '
    '1.65 0 0 0 1-1.51V3a2 2 0 0 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06'
    '-.06a2 2 0 1 1 2.83 2.83l-.06.06A1.65 1.65 0 0 0 19.4 9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 0 1 '
    '0 4h-.09a1.65 1.65 0 0 0-1.51 1z"/>',
}


# Every deck icon is one <symbol> of one sprite the browser fetches once (timeline/icons.py):
# an item draws its eight icons as <use> references of ~90 bytes each, not ~300 bytes of paths.
# The symbols carry no fill or stroke: the referencing <svg class="icon"> gets them from app.css
# and passes them down, so a page can still fill one (a liked heart).
_SYMBOL_LOOK = 'viewBox="0 0 24 24"'


# The app's own icons every page's sidebar and user menu draw (accounts' hubbub_ui table), in
# the sprite too, as "app-<name>": the layout draws them as references (app_icon), not ~19
# inline icons (~6.7 KB) on every page.
APP_SPRITE = ("posts", "queue", "calendar", "import", "eye-off", "history", "link", "settings",
              "chevron", "globe", "lock", "logout")


def sprite_icons() -> dict[str, str]:
    """The sprite's symbols: the deck's table, then the app's under "app-" names."""
    return {**ICONS, **{f"app-{name}": APP_ICONS[name] for name in APP_SPRITE}}


def icon_sprite() -> str:
    """The sprite: the table above as symbols named by their keys (constant markup)."""
    symbols = "".join(f'<symbol id="{name}" {_SYMBOL_LOOK}>{paths}</symbol>'
                      for name, paths in sprite_icons().items())
    return f'<svg xmlns="http://www.w3.org/2000/svg">{symbols}</svg>'


@functools.cache
def sprite_version() -> str:
    return hashlib.sha256(icon_sprite().encode()).hexdigest()[:12]


@functools.cache
def _sprite_href(prefix: str) -> str:
    return f"{reverse('timeline:icons')}?v={sprite_version()}"


@register.simple_tag
def dicon(name: str, css: str = "") -> SafeString:
    """A deck icon: a reference into the sprite (a name from the fixed table above; no user
    input reaches it)."""
    if name not in ICONS:
        raise KeyError(name)
    return _use(name, css)


@register.simple_tag
def app_icon(name: str, css: str = "") -> SafeString:
    """One of the app's icons (hubbub_ui's `icon`, named in APP_SPRITE) as a reference into the
    sprite: what the layout draws on every page."""
    if name not in APP_SPRITE:
        raise KeyError(name)
    return _use(f"app-{name}", css)


def _use(symbol: str, css: str) -> SafeString:
    classes = escape(f"icon {css}".strip())
    href = _sprite_href(get_script_prefix())
    return mark_safe(  # noqa: S308 - constant markup: a table key and the sprite's address
        f'<svg class="{classes}" aria-hidden="true"><use href="{href}#{symbol}"/></svg>')
