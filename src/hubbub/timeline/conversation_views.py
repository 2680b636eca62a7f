"""An item's whole conversation: a page, and the same thread as a piece the deck opens under
the item (htmx). The item must belong to one of the signed-in person's connections (404 for
anyone else's); the thread is read through that connection (timeline/conversations.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection as db
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from hubbub.accounts.web import AuthedRequest, page
from hubbub.listening.text import author_key
from hubbub.people.models import Person, PersonAccount
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
    item's actions offer "Add … to a person…" only for the others (one query). Every column
    page and "new" items ask, so its SQL is written here rather than built by the ORM on each
    page (0.8 ms of CPU, 0.1 ms so: issue 13, a column page within 3x its selector)."""
    keys = [(item, author_key(item.author_handle)) for item in items]
    if not keys:
        return
    networks = sorted({item.network for item in items})
    handles = sorted({key for _item, key in keys})
    with db.cursor() as cursor:
        cursor.execute(_people_sql(len(networks), len(handles)), [user_id, *networks, *handles])
        known = set(cursor.fetchall())
    for item, key in keys:
        item.in_person = (item.network, key) in known  # type: ignore[attr-defined]


def _people_sql(networks: int, handles: int) -> str:
    """The person's People's accounts among `networks` network and `handles` handle values
    (only quoted table names are formatted in; every value is a parameter)."""
    q = db.ops.quote_name
    accounts, people = q(PersonAccount._meta.db_table), q(Person._meta.db_table)
    return (
        f"SELECT a.network, a.handle FROM {accounts} a "  # noqa: S608
        f"JOIN {people} p ON p.id = a.person_id WHERE p.user_id = %s "
        f"AND a.network IN ({', '.join(['%s'] * networks)}) "
        f"AND a.handle IN ({', '.join(['%s'] * handles)})"
    )


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
