"""Bluesky's limits (lexicon app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 bytes).

Both hold at once: 300 emoji ZWJ sequences are 300 graphemes but far more than 3000 bytes, so a
post can be too long in bytes while under 300 characters. Links count in full (the client
writes facets; nothing is shortened). Bluesky has no content-warning field: a warning is posted
as the first line of the text (`bluesky_text`), so it counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubbub.core.counting_graphemes import graphemes
from hubbub.core.counting_text import inline_warning, without_lone_surrogates

BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000


@dataclass(frozen=True)
class TextLength:
    graphemes: int
    utf8_bytes: int


def bluesky_text(text: str, content_warning: str = "") -> str:
    """The text a Bluesky post carries for this draft: the warning, if any, leads it."""
    return inline_warning(text, content_warning)


def bluesky_length(text: str, content_warning: str = "") -> TextLength:
    """Both numbers Bluesky checks, for the composer's counter and for validate. A lone
    surrogate (which UTF-8 cannot carry) counts as the U+FFFD it would be sent as."""
    posted = bluesky_text(text, content_warning)
    try:
        size = len(posted.encode("utf-8"))
    except UnicodeEncodeError:
        posted = without_lone_surrogates(posted)
        size = len(posted.encode("utf-8"))
    return TextLength(graphemes=graphemes(posted), utf8_bytes=size)


def count_bluesky(text: str, content_warning: str, url_length: int) -> int:
    """Graphemes of the posted text (the 3000-byte limit is checked by `bluesky_length`)."""
    return bluesky_length(text, content_warning).graphemes
