"""An item's whole conversation: a page, and the same thread as a piece the deck opens under
the item (htmx). The item must belong to one of the signed-in person's connections (404 for
anyone else's); the thread is read through that connection (timeline/conversations.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from hubbub.accounts.web import AuthedRequest, page
from hubbub.listening.text import author_key
from hubbub.people.models import PersonAccount
from hubbub.timeline import conversations
from hubbub.timeline.models import Item
from hubbub.timeline.services import reaction_target


@dataclass(frozen=True)
class Place:
    """What the deck's item template reads of its column, for items shown in a conversation:
    element ids start "cconv-", nothing is marked unread."""

    pk: str = "conv"
    read_until: None = None
    filters: dict[str, Any] = field(default_factory=dict)


IN_CONVERSATION = Place()


def mark_people(user_id: int, items: list[Item]) -> None:
    """`in_person` on each item whose author is already one of the person's People: the
    item's actions offer "Add … to a person…" only for the others (one query)."""
    keys = [(item, author_key(item.author_handle)) for item in items]
    known = set(PersonAccount.objects.filter(
        person__user_id=user_id, network__in={item.network for item in items},
        handle__in={key for _item, key in keys}).values_list("network", "handle"))
    for item, key in keys:
        item.in_person = (item.network, key) in known  # type: ignore[attr-defined]


def item_conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    opened = get_object_or_404(Item.objects.select_related("connection"), pk=pk,
                               connection__user=request.user)
    thread = conversations.read(opened.connection, reaction_target(opened))
    mark_people(request.user.pk, [opened, *(placed.item for placed in thread.placed)])
    context = {"opened": opened, "thread": thread, "column": IN_CONVERSATION,
               "here": request.get_full_path(), "inline": bool(request.htmx)}
    if request.htmx:
        return page(request, "timeline/_conversation.html", context)
    return page(request, "timeline/conversation.html", context, section="deck")
