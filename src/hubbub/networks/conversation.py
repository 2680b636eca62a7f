"""Conversations: what `Connector.conversation` returns, and how a thread is put in order.

A connector reads the whole conversation around one post (its root, the posts between, every
reply it can see) and returns them as Items, each naming the post it answers in
`extra["in_reply_to"]` (the network's id) and carrying the network's reaction counts in
`extra["counts"]`. Everything else here names no network: the bounds every connector keeps,
the sentence for a network that offers no conversation, and the arrangement of a thread
(parents before their replies, replies by time, depth bounded for indentation).

This module imports nothing from the contract (base.py imports it for `not_offered`): an
item is anything with `remote_id`, `created_at` and a parent (parent_of), which base.Item and
the stored timeline Item both have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# At most this many posts of one conversation are read (a huge thread shows its first ones).
MAX_ITEMS = 200
# Replies deeper than this are indented as this deep (the page stays readable on a phone).
MAX_DEPTH = 6
# Ancestors asked for above the opened post (Bluesky parentHeight).
MAX_PARENTS = 80
# Reply levels asked for below it (Bluesky depth).
MAX_REPLY_DEPTH = 20

# Why a network shows no conversation, by connector slug; said in place of the thread.
NOT_OFFERED = {
    "x": "X shows a conversation only to apps with search access (conversation_id), which "
         "hubbub does not pay for: open the post on X to read its replies.",
}


def not_offered(slug: str, name: str) -> str:
    """The sentence a network without conversations answers with."""
    return NOT_OFFERED.get(slug, f"{name} cannot show a conversation from hubbub.")


@dataclass(frozen=True)
class Placed[T]:
    """One post of a thread in reading order: how deep it is (0 for the root, bounded by
    MAX_DEPTH) and whether it is the post the person opened."""

    item: T
    depth: int
    focus: bool = False


def parent_of(item: Any) -> str:
    """The network's id of the post `item` answers ("" for none): the stored Item's field, or
    a connector Item's extra."""
    direct = getattr(item, "in_reply_to", None)
    if isinstance(direct, str):
        return direct
    extra = getattr(item, "extra", None)
    value = extra.get("in_reply_to") if isinstance(extra, dict) else None
    return str(value) if value else ""


def arrange[T](items: Iterable[T], focus: str = "") -> list[Placed[T]]:
    """The thread in reading order: each post followed by its replies (oldest first), the
    posts whose parent is not among them (the root, or replies to a post nobody can see)
    first, by time. Each id counts once; a loop of replies cannot hang it."""
    by_id: dict[str, T] = {}
    for item in items:
        by_id.setdefault(_id(item), item)
    children: dict[str, list[T]] = {}
    tops: list[T] = []
    for item in by_id.values():
        parent = parent_of(item)
        if parent and parent in by_id and parent != _id(item):
            children.setdefault(parent, []).append(item)
        else:
            tops.append(item)
    placed: list[Placed[T]] = []
    seen: set[str] = set()
    stack: list[tuple[T, int]] = [(t, 0) for t in reversed(_by_time(tops))]
    while stack:
        item, depth = stack.pop()
        if _id(item) in seen:
            continue
        seen.add(_id(item))
        placed.append(Placed(item, min(depth, MAX_DEPTH), _id(item) == focus))
        replies = _by_time(children.get(_id(item), ()))
        stack.extend((r, depth + 1) for r in reversed(replies))
    # Posts only reachable through a loop (a answers b answers a) still show, at the top.
    placed += [Placed(i, 0, _id(i) == focus) for i in _by_time(by_id.values())
               if _id(i) not in seen]
    return placed


def replies_below[T](items: Iterable[T], root: str) -> list[T]:
    """Every post of the thread under `root` (replies, replies to replies), oldest first."""
    listed = list(items)
    children: dict[str, list[T]] = {}
    for item in listed:
        children.setdefault(parent_of(item), []).append(item)
    found: dict[str, T] = {}
    waiting = [root]
    while waiting:
        for child in children.get(waiting.pop(), ()):
            if _id(child) not in found and _id(child) != root:
                found[_id(child)] = child
                waiting.append(_id(child))
    return _by_time(found.values())


def _by_time[T](items: Iterable[T]) -> list[T]:
    return sorted(items, key=lambda i: (_when(i), _id(i)))


def _id(item: Any) -> str:
    return str(item.remote_id)


def _when(item: Any) -> datetime:
    when: datetime = item.created_at
    return when


def bounded[T](items: Sequence[T]) -> tuple[T, ...]:
    """A connector's read cut to MAX_ITEMS."""
    return tuple(items[:MAX_ITEMS])
