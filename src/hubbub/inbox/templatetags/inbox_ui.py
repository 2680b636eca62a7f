"""The inbox's count in the navigation ("Inbox 3")."""

from __future__ import annotations

from django import template

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.inbox.selectors import counted_once, reply_opening
from hubbub.timeline.models import Item

register = template.Library()


@register.simple_tag
def inbox_unread(user: object) -> int:
    """Unread inbox entries of the signed-in person (0 for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return counted_once(user)  # type: ignore[arg-type]


@register.filter
def answers_for(answers: object, item_id: int) -> list[object]:
    """The answers written in the inbox to this item (views._answers_of)."""
    return answers.get(item_id, []) if isinstance(answers, dict) else []


@register.filter
def opening(item: object) -> str:
    """What the entry's reply box starts with: the @handles a reply names (reply_opening)."""
    return reply_opening(item) if isinstance(item, Item) else ""


@register.filter
def short_ids(handles: object) -> str:
    """Handles joined by ", ", each as short_id shows it (a Nostr npub as npub1abcd…wxyz)."""
    if isinstance(handles, str) or not isinstance(handles, list | tuple):
        return short_id(handles)
    return ", ".join(short_id(handle) for handle in handles)
