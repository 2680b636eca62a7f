"""A column as the Rules pages, the rule form and the catch-up name it: its title, the accounts
it reads (three accounts give three columns titled "Home") and its deck, such as
"Home · @ada@localhost (deck Main)". A long key (a Nostr npub) is shortened as everywhere else
in the hub (short_id)."""

from __future__ import annotations

from collections.abc import Iterable

from hubbub.accounts.templatetags.hubbub_ui import short_id
from hubbub.timeline.models import Column


def label(column: Column, handles: Iterable[str]) -> str:
    """The column's name with its accounts' handles (the owner's own) and its deck's name."""
    shown = list(dict.fromkeys(short_id(h) for h in handles if h))
    who = f" · {', '.join(shown)}" if shown else ""
    return f"{column.title}{who} (deck {column.deck.name})"


def handles_of(user_id: int) -> dict[int, list[str]]:
    """Per column of the person's: the handles of the person's own accounts its feeds read, in
    the order of the accounts' handles. One query."""
    links = (Column.feeds.through.objects
             .filter(column__deck__user_id=user_id, feed__connection__user_id=user_id)
             .order_by("feed__connection__handle", "feed__connection__network")
             .values_list("column_id", "feed__connection__handle"))
    found: dict[int, list[str]] = {}
    for column_id, handle in links:
        found.setdefault(column_id, []).append(handle)
    return found


def labels_of(user_id: int, columns: Iterable[Column]) -> dict[int, str]:
    """Column id -> its label, for `columns` (with their decks selected)."""
    handles = handles_of(user_id)
    return {c.pk: label(c, handles.get(c.pk, ())) for c in columns}
