"""A note's whole conversation on Nostr (NIP-10), from the account's relays.

The thread's root is the opened note's `e` tag marked "root" (or, in the older positional
scheme, its first `e` tag); the note is its own root when it has none. One REQ asks for the
root and every note tagging the root or the opened note (`#e`, bounded by MAX_ITEMS and by
time: nothing dated ahead of now), a second for the kind-7 reactions (NIP-25: the last `e`
tag is the note reacted to; "-" is a dislike, not counted) and kind-6 reposts (NIP-18) of those
notes, a third for their authors' profiles. The counts are what the relays hold, bounded by
MAX_REACTIONS: a relay that is not asked does not count.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hubbub.networks.base import Item
from hubbub.networks.conversation import MAX_ITEMS, bounded
from hubbub.networks.nostr import keys, mapping, reading
from hubbub.networks.nostr.events import Event, tag_values
from hubbub.networks.nostr.relay import RelayPool

MAX_REACTIONS = 2000
# Notes dated this far ahead of our clock still count (relays' and people's clocks drift).
FUTURE_SLACK_SECONDS = 300


def root_of(event: Mapping[str, Any]) -> str:
    """The id of the thread's root the note names (NIP-10), "" when it is a root itself."""
    e_tags = [t for t in event.get("tags") or () if len(t) > 1 and t[0] == "e"]
    for tag in e_tags:
        if len(tag) > 3 and tag[3] == "root" and keys.is_hex32(tag[1]):
            return str(tag[1])
    if e_tags and not any(len(t) > 3 and t[3] for t in e_tags) and keys.is_hex32(e_tags[0][1]):
        return str(e_tags[0][1])
    return ""


def read(pool: RelayPool, opened: Event, own_pubkey: str) -> tuple[Item, ...]:
    """The thread `opened` belongs to, with reaction counts on every note."""
    root = root_of(opened) or str(opened["id"])
    tagged = sorted({root, str(opened["id"])})
    until = int(time.time()) + FUTURE_SLACK_SECONDS
    result = pool.query([{"ids": [root]},
                         {"kinds": [1], "#e": tagged, "until": until, "limit": MAX_ITEMS}])
    error = mapping.query_error(result, "request for the conversation")
    if error is not None:
        raise error
    notes = {str(e["id"]): e for e in result.events if e["kind"] == 1}
    notes.setdefault(str(opened["id"]), opened)
    ordered = sorted(notes.values(), key=lambda e: (int(e["created_at"]), str(e["id"])))
    ordered = ordered[:MAX_ITEMS]
    ids = [str(e["id"]) for e in ordered]
    likes, reposts = _reactions(pool, ids)
    profiles = pool.query([{"kinds": [0], "authors": sorted({e["pubkey"] for e in ordered})}])
    found = reading.items_from_events(ordered, own_pubkey=own_pubkey,
                                      profiles=reading.latest_profiles(profiles.events),
                                      relays=result.answered)
    replies = Counter(str(i.extra.get("in_reply_to") or "") for i in found)
    return bounded([_counted(i, likes[i.remote_id], reposts[i.remote_id], replies[i.remote_id])
                    for i in found])


def _reactions(pool: RelayPool, ids: Sequence[str]) -> tuple[Counter[str], Counter[str]]:
    """Likes and reposts of each note, each reacting event counted once."""
    likes: Counter[str] = Counter()
    reposts: Counter[str] = Counter()
    if not ids:
        return likes, reposts
    result = pool.query([{"kinds": [6, 7], "#e": list(ids), "limit": MAX_REACTIONS}])
    wanted = set(ids)
    for event in result.events:
        targets = tag_values(event, "e")
        if not targets:
            continue
        if event["kind"] == 7 and targets[-1] in wanted and event.get("content") != "-":
            likes[targets[-1]] += 1
        elif event["kind"] == 6 and targets[0] in wanted:
            reposts[targets[0]] += 1
    return likes, reposts


def _counted(item: Item, likes: int, reposts: int, replies: int) -> Item:
    return replace(item, extra={**item.extra,
                                "counts": {"reply": replies, "repost": reposts, "like": likes}})
