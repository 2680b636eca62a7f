"""`{% items_html items column %}`: a column's items, as including timeline/_item.html for each
would write them, built in Python (timeline/item_html.py; issue 13)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from hubbub.timeline.item_html import items_html as _items_html

register = template.Library()


@register.simple_tag
def items_html(items: Any, column: Any = None) -> SafeString:
    # Every value from a network in it was escaped or cleaned by item_html (as the template
    # would have); the rest is our own markup.
    return mark_safe(_items_html(items, column))  # noqa: S308
