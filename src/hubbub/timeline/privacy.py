"""Items not everyone may see: a direct message, a followers-only post."""

from __future__ import annotations

from typing import Any

PRIVATE_LABELS = {"direct": "Direct message", "followers": "Followers only"}
# What an item's head says (timeline/_item.html, item_html.py), with the label as its title.
PRIVATE_PILLS = {"direct": "Direct", "followers": "Followers"}


def private_kind(item: Any) -> str:
    """"direct" for a direct message, "followers" for a post its author showed only to their
    followers (Mastodon's "private"), "" for a post anyone may see. Neither of the first two may
    be reposted or quoted: the network refuses a reblog of them, and a quote would publish
    words meant for few."""
    extra = item.extra if isinstance(item.extra, dict) else {}
    visibility = extra.get("visibility")
    if getattr(item, "kind", "") in ("direct", "message") or visibility == "direct" \
            or "conversation" in extra:
        return "direct"
    return "followers" if visibility == "private" else ""
