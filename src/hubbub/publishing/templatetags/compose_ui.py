"""Icons the composer and the Posts page use beyond the shared set (same drawing style)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from hubbub.accounts.templatetags.hubbub_ui import svg_icon

register = template.Library()

# Feather icons (MIT), drawn with the current text colour.
GLYPHS = {
    "file": '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/>'
    '<polyline points="14 2 14 8 20 8"/>',
    "layers": '<polygon points="12 2 2 7 12 12 22 7 12 2"/><polyline points="2 17 12 22 22 17"/>'
    '<polyline points="2 12 12 17 22 12"/>',
    "eye": '<path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "thread": '<polyline points="15 10 20 15 15 20"/><path d="M4 4v7a4 4 0 0 0 4 4h12"/>',
    "copy": '<rect x="9" y="9" width="13" height="13" rx="2" ry="2"/>'
    '<path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>',
    "trash": '<polyline points="3 6 5 6 21 6"/><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6'
    'm3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>',
    "check-circle": '<path d="M22 11.08V12a10 10 0 1 1-5.93-9.14"/>'
    '<polyline points="22 4 12 14.01 9 11.01"/>',
}


@register.simple_tag
def glyph(name: str, css: str = "") -> SafeString:
    """An inline SVG icon from the fixed table above (no user input reaches it)."""
    return svg_icon(GLYPHS[name], css)
