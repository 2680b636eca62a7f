"""Threads: 500 characters, where an emoji counts as many as its UTF-8 bytes.

Grapheme clusters, except that each emoji sequence counts its UTF-8 bytes instead of 1 (👍 4,
👍🏽 8, 🇩🇪 8, ❤️ 6, a ZWJ family of four 25). Links count as typed. The limit is Meta's
documented one for a post's text (NETWORKS.md); the API serves none.
"""

from __future__ import annotations

from hubbub.core.counting_emoji import emoji_stats, lone_pictographs
from hubbub.core.counting_graphemes import graphemes
from hubbub.core.counting_text import inline_warning
from hubbub.core.counting_unicode import inventory

THREADS_MAX_LENGTH = 500


def threads_length(text: str) -> int:
    if text.isascii():
        return graphemes(text)
    found = inventory(text)
    if found is None and (lone := lone_pictographs(text)) is not None:
        count, utf8_bytes = lone
        return graphemes(text, None) + utf8_bytes - count
    stats = emoji_stats(text, found)
    return graphemes(text, found) + stats.utf8_bytes - stats.count


def count_threads(text: str, content_warning: str, url_length: int) -> int:
    return threads_length(inline_warning(text, content_warning))
