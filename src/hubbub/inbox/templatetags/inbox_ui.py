"""The inbox's count in the navigation ("Inbox 3")."""

from __future__ import annotations

from django import template
from django.utils.formats import date_format
from django.utils.timezone import localtime

from hubbub.accounts.templatetags.hubbub_ui import clip_words, short_id
from hubbub.inbox.selectors import counted_once
from hubbub.timeline.models import Item
from hubbub.timeline.replies import reply_opening

register = template.Library()
NAME_WORDS = 40  # characters of an entry's text in its buttons' names


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


@register.simple_tag(takes_context=True)
def entry_name(context: template.Context, item: object) -> str:
    """Which entry an action is for, said after its visible words ("Done" + " the mention from
    npub1abcd…wxyz: “dinner at eight?”"): each entry's buttons get names of their own, as the
    Rules page's do. A direct thread is named by who is in it and its newest words."""
    if not isinstance(item, Item):
        return ""
    words = clip_words(item.text or item.content_warning, NAME_WORDS)
    said = f": “{words}”" if words else f", {date_format(localtime(item.created_at), 'j M H:i')}"
    participants = getattr(context.get("thread"), "participants", None)
    if participants:
        return f"the conversation with {short_ids(participants)}{said}"
    return f"the {item.kind} from {short_id(item.author_name or item.author_handle)}{said}"
