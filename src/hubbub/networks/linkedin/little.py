"""LinkedIn's "little" text format, both ways: pure functions, no I/O.

The Posts API reads `commentary` (and comments' text) as little text
(learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format):
`\\ | { } @ [ ] ( ) < > # * _ ~` are markup, and one left bare cuts the post short (LinkedIn
stores the text up to it and answers 201). So every reserved character the person typed is
sent backslash-escaped (`core.counting.linkedin_escape`, the same rule the composer counts
with), except:

- a hashtag the person typed (`#word`, not inside a link) becomes the documented hashtag
  template `{hashtag|\\#|word}`, so it stays a hashtag on LinkedIn;
- a mention needs the mentioned member's or organization's URN (`@[Name](urn:li:person:…)`),
  which a typed `@name` does not give: it is sent as escaped plain text.

`to_plain` reads little text back into what a person sees (escapes undone, templates and
mention elements as their text): find_published compares a post read back with this, and the
deck shows it.
"""

from __future__ import annotations

import re

from hubbub.core.counting import LINKEDIN_RESERVED, link_spans, linkedin_escape

# A typed hashtag: '#' after a start, a space or punctuation (not a word character, so
# "C#" and "a#b" stay text), then word characters with at least one that is not a digit
# ("#1" is a number, not a tag).
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d]\w*)")
_TEMPLATE = re.compile(r"\{(hashtag)\|((?:\\.|[^|}\\])*)\|((?:\\.|[^}\\])*)\}")
_MENTION = re.compile(r"@\[((?:\\.|[^\]\\])*)\]\(((?:\\.|[^)\\])*)\)")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def hashtag(tag: str) -> str:
    """The hashtag template for `tag` (without its '#'); reserved characters in the tag
    (an underscore) escaped like any text."""
    return "{hashtag|\\#|" + linkedin_escape(tag) + "}"


def hashtag_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of each hashtag the person typed, outside links."""
    links = link_spans(text)
    found = []
    for match in _HASHTAG.finditer(text):
        start = match.start()
        if any(a <= start < b for a, b in links):
            continue
        found.append((start, match.end(), match.group(1)))
    return found


def to_little(text: str) -> str:
    """The commentary to send for what the person typed: reserved characters escaped,
    hashtags as hashtag templates. Nothing is dropped: to_plain(to_little(t)) == t."""
    pieces: list[str] = []
    at = 0
    for start, end, tag in hashtag_spans(text):
        pieces.append(linkedin_escape(text[at:start]))
        pieces.append(hashtag(tag))
        at = end
    pieces.append(linkedin_escape(text[at:]))
    return "".join(pieces)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: m.group(1), text)


def to_plain(little: str) -> str:
    """Little text as a person reads it: escapes undone, `{hashtag|\\#|tag}` as `#tag`,
    `@[Name](urn)` as `Name` (LinkedIn shows a mention as the name alone)."""
    pieces: list[str] = []
    at = 0
    size = len(little)
    while at < size:
        char = little[at]
        if char == "\\" and at + 1 < size:
            pieces.append(little[at + 1])
            at += 2
            continue
        if char == "{":
            match = _TEMPLATE.match(little, at)
            if match:
                pieces.append(_unescape(match.group(2)) + _unescape(match.group(3)))
                at = match.end()
                continue
        if char == "@":
            match = _MENTION.match(little, at)
            if match:
                pieces.append(_unescape(match.group(1)))
                at = match.end()
                continue
        pieces.append(char)
        at += 1
    return "".join(pieces)


def mentions(little: str) -> list[tuple[str, str]]:
    """(name, urn) of each mention element in little text."""
    return [(_unescape(m.group(1)), _unescape(m.group(2))) for m in _MENTION.finditer(little)]


def reserved_count(text: str) -> int:
    return sum(map(text.count, LINKEDIN_RESERVED))
