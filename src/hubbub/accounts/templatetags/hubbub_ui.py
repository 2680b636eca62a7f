"""Small display helpers shared by every page."""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hubbub.core.sanitize import safe_url as _safe_url
from hubbub.networks.registry import UnknownNetwork
from hubbub.networks.registry import network_name as _network_name

register = template.Library()
log = logging.getLogger(__name__)


@register.filter
def network_name(slug: str) -> str:
    """The network's display name; the slug, capitalised, if its connector cannot load."""
    try:
        return _network_name(slug)
    except (UnknownNetwork, ImportError) as exc:
        log.warning("no connector for %r: %s", slug, exc)
        return slug.replace("_", " ").title()


@register.filter
def safe_url(url: object) -> str:
    """A URL from a network, as core.sanitize.safe_url checks it at ingest: http(s) or "".
    Again here for rows stored before that check."""
    return _safe_url(url)


@register.filter
def host(url: str) -> str:
    return urlsplit(url).hostname or url


@register.filter
def short_id(handle: object) -> str:
    """A handle that is one long unbreakable key (a Nostr npub: 63 characters) as its start and
    end, npub1abcd…wxyz, the way Nostr apps show it; any other handle as it is. Where it is shown
    shortened, the whole one goes in a title (and the profile's name beside it)."""
    value = str(handle or "")
    if value.startswith("npub1") and len(value) > 20:
        return f"{value[:9]}…{value[-4:]}"
    return value


@register.filter
def clip_words(text: object, limit: int) -> str:
    """Text cut to at most `limit` characters at a word's end, with "…" when cut: a refusal
    shown beside a post stays readable to its last word (truncatechars cuts mid-word)."""
    value = " ".join(str(text or "").split())
    if len(value) <= limit:
        return value
    cut = value[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space > limit // 2:  # one very long word is cut where it must be
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


@register.filter
def initials(name: str) -> str:
    letters = [part[0] for part in name.lstrip("@").replace("_", " ").split() if part]
    return "".join(letters[:2]).upper() or "?"


# Feather icons (MIT), drawn with the current text colour.
ICONS = {
    "compose": '<path d="M12 20h9"/><path d="M16.5 3.5a2.121 2.121 0 0 1 3 3L7 19l-4 1 1-4Z"/>',
    "posts": '<line x1="8" y1="6" x2="21" y2="6"/><line x1="8" y1="12" x2="21" y2="12"/>'
    '<line x1="8" y1="18" x2="21" y2="18"/><line x1="3" y1="6" x2="3.01" y2="6"/>'
    '<line x1="3" y1="12" x2="3.01" y2="12"/><line x1="3" y1="18" x2="3.01" y2="18"/>',
    "link": '<path d="M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71"/>'
    '<path d="M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71"/>',
    "settings": '<line x1="4" y1="21" x2="4" y2="14"/><line x1="4" y1="10" x2="4" y2="3"/>'
    '<line x1="12" y1="21" x2="12" y2="12"/><line x1="12" y1="8" x2="12" y2="3"/>'
    '<line x1="20" y1="21" x2="20" y2="16"/><line x1="20" y1="12" x2="20" y2="3"/>'
    '<line x1="1" y1="14" x2="7" y2="14"/><line x1="9" y1="8" x2="15" y2="8"/>'
    '<line x1="17" y1="16" x2="23" y2="16"/>',
    "clock": '<circle cx="12" cy="12" r="10"/><polyline points="12 6 12 12 16 14"/>',
    "external": '<path d="M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6"/>'
    '<polyline points="15 3 21 3 21 9"/><line x1="10" y1="14" x2="21" y2="3"/>',
    "image": '<rect x="3" y="3" width="18" height="18" rx="2" ry="2"/>'
    '<circle cx="8.5" cy="8.5" r="1.5"/><polyline points="21 15 16 10 5 21"/>',
    "plus": '<line x1="12" y1="5" x2="12" y2="19"/><line x1="5" y1="12" x2="19" y2="12"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/>'
    '<polyline points="16 17 21 12 16 7"/><line x1="21" y1="12" x2="9" y2="12"/>',
    "chevron": '<polyline points="6 9 12 15 18 9"/>',
    "alert": '<path d="M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86'
    'a2 2 0 0 0-3.42 0z"/><line x1="12" y1="9" x2="12" y2="13"/>'
    '<line x1="12" y1="17" x2="12.01" y2="17"/>',
    "refresh": '<polyline points="23 4 23 10 17 10"/><polyline points="1 20 1 14 7 14"/>'
    '<path d="M3.51 9a9 9 0 0 1 14.85-3.36L23 10M1 14l4.64 4.36A9 9 0 0 0 20.49 15"/>',
    "calendar": '<rect x="3" y="4" width="18" height="18" rx="2" ry="2"/>'
    '<line x1="16" y1="2" x2="16" y2="6"/><line x1="8" y1="2" x2="8" y2="6"/>'
    '<line x1="3" y1="10" x2="21" y2="10"/>',
    "send": '<line x1="22" y1="2" x2="11" y2="13"/><polygon points="22 2 15 22 11 13 2 9 22 2"/>',
    "eye-off": '<path d="M17.94 17.94A10.07 10.07 0 0 1 12 20c-7 0-11-8-11-8a18.45 18.45 0 0 1 '
    '5.06-5.94M9.9 4.24A9.12 9.12 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.16 3.19m-6.72'
    '-1.07a3 3 0 1 1-4.24-4.24"/><line x1="1" y1="1" x2="23" y2="23"/>',
    "x": '<line x1="18" y1="6" x2="6" y2="18"/><line x1="6" y1="6" x2="18" y2="18"/>',
    "video": '<rect x="2" y="6" width="14" height="12" rx="2"/><path d="m16 10 6-3v10l-6-3"/>',
    "check": '<polyline points="20 6 9 17 4 12"/>',
    "lock": '<rect x="3" y="11" width="18" height="11" rx="2" ry="2"/>'
    '<path d="M7 11V7a5 5 0 0 1 10 0v4"/>',
    "user": '<path d="M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2"/><circle cx="12" cy="7" r="4"/>',
    "history": '<path d="M3 3v5h5"/><path d="M3.05 13A9 9 0 1 0 6 5.3L3 8"/>'
    '<polyline points="12 7 12 12 15 15"/>',
    "queue": '<polygon points="12 2 2 7 12 12 22 7 12 2"/><polyline points="2 17 12 22 22 17"/>'
    '<polyline points="2 12 12 17 22 12"/>',
    "import": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>'
    '<polyline points="7 10 12 15 17 10"/><line x1="12" y1="15" x2="12" y2="3"/>',
    "globe": '<circle cx="12" cy="12" r="10"/><line x1="2" y1="12" x2="22" y2="12"/>'
    '<path d="M12 2a15.3 15.3 0 0 1 4 10 15.3 15.3 0 0 1-4 10 15.3 15.3 0 0 1-4-10 '
    '15.3 15.3 0 0 1 4-10z"/>',
}


def svg_icon(paths: str, css: str = "") -> SafeString:
    """An inline SVG icon drawn from constant path markup (the apps' icon tables; never input).
    Every app's icon tag draws through here, so all icons share one look."""
    classes = f"icon {css}".strip()
    return mark_safe(  # noqa: S308 - constant markup from the icon tables
        f'<svg class="{escape(classes)}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">'
        f"{paths}</svg>"
    )


@register.simple_tag
def icon(name: str, css: str = "") -> SafeString:
    """An inline SVG icon from the fixed table above (no user input reaches it)."""
    return svg_icon(ICONS[name], css)


@register.simple_tag
def app_nav(section: str, inbox_count: int) -> SafeString:
    """The sidebar's links (layouts/_nav.html): the same markup for everyone, given the page's
    section and the unread count, so it is written once per (section, count) and kept, not
    drawn again on every page (~4 ms of ~20 url and icon tags a page)."""
    draw = _nav_html.__wrapped__ if settings.DEBUG else _nav_html  # DEBUG: template edits show
    return draw(str(section or ""), int(inbox_count or 0), get_script_prefix(), get_urlconf(),
                settings.STATIC_URL)


@functools.lru_cache(maxsize=256)
def _nav_html(section: str, inbox_count: int, prefix: str, urlconf: object,
              static_url: object) -> SafeString:
    # prefix, urlconf and static_url are in the key because the links and the script's address
    # are made from them.
    return mark_safe(render_to_string(  # noqa: S308 - our template, escaped as templates are
        "layouts/_nav.html", {"section": section, "inbox_count": inbox_count}))


@register.simple_tag(takes_context=True)
def user_menu(context: template.Context) -> SafeString:
    """The sidebar's user menu (layouts/_user_menu.html): the person's name, initials and time
    zone, their settings' links and the log-out form. Kept per (name, zone, URL prefix) like
    the links above, with the form's CSRF token (the page's own) put in per request."""
    user = context.get("user")
    name = str(getattr(user, "username", "") or "")
    zone = str(context.get("user_tz") or "")
    given = context.get("csrf_token")
    token = str(given) if given else ""
    key = (name, zone, get_script_prefix(), get_urlconf())
    draw = _user_menu_html.__wrapped__ if settings.DEBUG else _user_menu_html  # DEBUG: edits show
    kept = draw(*key)
    if not token.isalnum() or kept.count(_TOKEN_SLOT) != 1:
        # No token to put in, or the name holds the slot's text: drawn as it is, not kept.
        return _draw_user_menu(name, zone, token if given else None)
    return mark_safe(kept.replace(_TOKEN_SLOT, token))  # noqa: S308


_TOKEN_SLOT = "usertokenslot0placeholder"  # noqa: S105 - where the token goes, not a secret


@functools.lru_cache(maxsize=64)
def _user_menu_html(name: str, zone: str, prefix: str, urlconf: object) -> SafeString:
    # prefix and urlconf are in the key because the links are made from them.
    return _draw_user_menu(name, zone, _TOKEN_SLOT)


def _draw_user_menu(name: str, zone: str, token: str | None) -> SafeString:
    context: dict[str, object] = {"username": name, "user_tz": zone}
    if token is not None:
        context["csrf_token"] = token
    return mark_safe(  # noqa: S308 - our template, escaped as templates are
        render_to_string("layouts/_user_menu.html", context))


@register.simple_tag
def fast_static(path: str) -> str:
    """What {% static path %} gives, kept per path and STATIC_URL: the layout names the same
    few files on every page (~30 us each through the storage; issue 13). The storage reads its
    settings once per process; a test that changes them empties the copies (below). DEBUG asks
    the storage each time."""
    if settings.DEBUG:
        return static(path)
    return _static_url(str(path), str(settings.STATIC_URL))


@functools.lru_cache(maxsize=256)
def _static_url(path: str, static_url: str) -> str:
    return static(path)


@receiver(setting_changed)
def _static_settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        _static_url.cache_clear()
