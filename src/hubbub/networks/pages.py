"""A page of remote entries as Items, one entry at a time.

A server's page is many people's posts; one of them may be unreadable (a lone surrogate, a
date that is no date, a field of the wrong type), by accident or on purpose. Each connector
maps its pages through `map_each`, so such an entry is skipped and logged by its id and the
rest of the page still arrives: before, one bad post cost its feed every page it was on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from hubbub.networks.base import Item

log = logging.getLogger(__name__)


def map_each(entries: Iterable[Any], mapper: Callable[[Any], Item | None], *,
             network: str, id_of: Callable[[Any], object]) -> list[Item]:
    """mapper(entry) for each entry, in order; None results and failures left out."""
    items: list[Item] = []
    for entry in entries:
        try:
            item = mapper(entry)
        except Exception as exc:  # mapping is pure: whatever it raises is this entry's fault
            log.warning("skipped an unreadable %s item %s: %s: %.200s", network,
                        _entry_id(id_of, entry), type(exc).__name__, exc)
            continue
        if item is not None:
            items.append(item)
    return items


def _entry_id(id_of: Callable[[Any], object], entry: Any) -> str:
    try:
        return repr(id_of(entry))[:120]
    except Exception:  # an entry too broken to name
        return "(no id)"
