"""A notification that is not a post (someone followed you, liked or reposted your post) is
shown as a line saying so, not as an empty post with reply and like buttons: there is nothing to
reply to or like, and the network has no such post to react to.

`item|notice_of` gives what the line says, or None for an item that is a post (a mention, a
reply, a reposted post in a timeline, which names who reposted it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from hubbub.accounts.templatetags.hubbub_ui import clip_words

register = template.Library()
EXCERPT_CHARS = 140
# What each network calls a repost, where it has its own word.
REPOST_WORDS = {"mastodon": "boosted"}


@dataclass(frozen=True)
class Notice:
    kind: str  # follow, like, repost
    verb: str  # "followed you", "liked your post"
    icon: str  # a deck_ui icon
    excerpt: str  # the start of the post it is about, or ""


@register.filter
def notice_of(item: Any) -> Notice | None:
    kind = str(getattr(item, "kind", "") or "")
    if kind == "follow":
        return Notice("follow", "followed you", "user", "")
    if kind == "like":
        return Notice("like", "liked your post", "heart", _excerpt(item))
    if kind == "repost" and not getattr(item, "reposted_by", ""):
        word = REPOST_WORDS.get(str(getattr(item, "network", "")), "reposted")
        return Notice("repost", f"{word} your post", "repeat", _excerpt(item))
    return None


def _excerpt(item: Any) -> str:
    extra = getattr(item, "extra", None)
    subject = extra.get("subject_text") if isinstance(extra, dict) else ""
    return clip_words(getattr(item, "text", "") or subject or "", EXCERPT_CHARS)
