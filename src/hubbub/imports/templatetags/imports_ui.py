"""Icons the Import pages use, drawn like the app's own (hubbub_ui.icon)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from hubbub.accounts.templatetags.hubbub_ui import ICONS as APP_ICONS
from hubbub.accounts.templatetags.hubbub_ui import svg_icon

register = template.Library()

ICONS = {
    "upload": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>'
    '<polyline points="17 8 12 3 7 8"/><line x1="12" y1="3" x2="12" y2="15"/>',
    "file": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/>'
    '<polyline points="14 2 14 8 20 8"/><line x1="8" y1="13" x2="16" y2="13"/>'
    '<line x1="8" y1="17" x2="13" y2="17"/>',
    "rss": '<path d="M4 11a9 9 0 0 1 9 9"/><path d="M4 4a16 16 0 0 1 16 16"/>'
    '<circle cx="5" cy="19" r="1"/>',
    "pause": '<rect x="6" y="4" width="4" height="16" rx="1"/><rect x="14" y="4" width="4" '
    'height="16" rx="1"/>',
    "play": '<polygon points="6 3 20 12 6 21 6 3"/>',
    "trash": '<polyline points="3 6 5 6 21 6"/><path d="M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 '
    '1-2-2L5 6"/><path d="M10 11v6"/><path d="M14 11v6"/><path d="M9 6V4a1 1 0 0 1 1-1h4a1 1 '
    '0 0 1 1 1v2"/>',
}


@register.simple_tag
def iicon(name: str, css: str = "") -> SafeString:
    """An inline SVG icon from the fixed table above or the app's (no user input reaches it)."""
    return svg_icon(ICONS.get(name) or APP_ICONS[name], css)
