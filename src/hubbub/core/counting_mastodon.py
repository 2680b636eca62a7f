"""Mastodon's count (app/validators/status_length_validator.rb): content warning + text in
grapheme clusters, where each link the server finds counts as characters_reserved_per_url and
"@user@domain" counts as "@user". Finding them is hubbub.core.mastodon_links (one pass, the
server's rules)."""

from __future__ import annotations

from typing import NamedTuple

import regex

from hubbub.core import mastodon_links
from hubbub.core.counting_graphemes import graphemes

# Any http(s) link up to the next space (for the splitter, which must not cut inside one).
MASTODON_URL = regex.compile(r"(?<![\p{L}\p{N}_@$#\uFF20\uFF03])https?://[^\s<>\"]+",
                             regex.IGNORECASE)
# Blank as Ruby's blank? sees it: nothing but White_Space (not str.isspace's \x1c-\x1f).
_BLANK = regex.compile(r"\p{White_Space}*+")


class Span(NamedTuple):
    """text[start:end] counts as `replacement` does."""

    start: int
    end: int
    replacement: str


def _mastodon_spans(
    text: str, url_length: int, *, counted_only: bool = False
) -> list[tuple[int, int, str]]:
    placeholder = "x" * url_length
    spans = mastodon_links.entities(text, counted_only=counted_only)
    for index, (start, end, what) in enumerate(spans):
        if what == mastodon_links.LINK:
            spans[index] = (start, end, placeholder)
        elif what == mastodon_links.MAYBE_LINK:  # never count less than the server might
            spans[index] = (start, end, "x" * max(url_length, end - start))
    return spans


def mastodon_entities(text: str, url_length: int) -> list[Span]:
    """Links and mentions as Mastodon counts them, without overlaps, by position."""
    return [Span(*span) for span in _mastodon_spans(text, url_length)]


def _rewrite(text: str, spans: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    pos = 0
    for start, end, replacement in spans:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def count_mastodon(text: str, content_warning: str, url_length: int) -> int:
    if _BLANK.fullmatch(text) is not None:
        return graphemes(content_warning)
    if url_length and "://" in text:
        # Links alone between spaces (most of them) become url_length x's in one C call.
        text = mastodon_links.replace_simple_links(text, "x" * url_length)
    if "://" in text:  # links are possible; mentions counting as written are left out
        countable = _rewrite(text, _mastodon_spans(text, url_length, counted_only=True))
    else:
        countable = mastodon_links.shorten_mentions(text)
    return graphemes(content_warning + countable)
