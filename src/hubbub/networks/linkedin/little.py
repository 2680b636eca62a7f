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
  which a typed `@name` does not give: it is sent as escaped plain text, unless it names a
  page the connector resolved (mentions.py), which becomes a mention element.

`to_plain` reads little text back into what a person sees (escapes undone, templates and
mention elements as their text): find_published compares a post read back with this, and the
deck shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


def mention(name: str, urn: str) -> str:
    """The mention element for a page or member: `@[Name](urn)`, the name escaped."""
    return "@[" + linkedin_escape(name) + "](" + urn + ")"


def _named_at(text: str, start: int, name: str) -> bool:
    """`@name` at `start` stands alone: not inside a word before, not followed by one, nor by
    a capitalised word ("@Acme Labs" may name another page than Acme: when in doubt, text)."""
    before = text[start - 1] if start else " "
    end = start + 1 + len(name)
    rest = text[end:end + 2]
    after = rest[:1] or " "
    return (not (before.isalnum() or before in "_@")
            and text.startswith(name, start + 1)
            and not (after.isalnum() or after == "_")
            and not (after == " " and rest[1:].isupper()))


def mention_spans(text: str, known: Iterable[tuple[str, str]]) -> list[tuple[int, int, str, str]]:
    """(start, end, name, urn) of each `@name` in `text` naming one of `known` (name, urn):
    longest name first, so "@Acme Bakery" is not taken for "@Acme"; no two overlap; none
    inside a link."""
    links = link_spans(text)
    names = sorted({(n, u) for n, u in known if n.strip()}, key=lambda k: -len(k[0]))
    found: list[tuple[int, int, str, str]] = []
    for name, urn in names:
        at = text.find("@" + name)
        while at != -1:
            end = at + 1 + len(name)
            if (_named_at(text, at, name)
                    and not any(a <= at < b for a, b in links)
                    and not any(a < end and at < b for a, b, _, _ in found)):
                found.append((at, end, name, urn))
            at = text.find("@" + name, at + 1)
    return sorted(found)


def to_little(text: str, mentions: Sequence[tuple[str, str]] = ()) -> str:
    """The commentary to send for what the person typed: reserved characters escaped,
    hashtags as hashtag templates, and each `@name` of `mentions` ((name, urn) the connector
    resolved) as a mention element. Without mentions nothing is dropped:
    to_plain(to_little(t)) == t; a mention reads back as the name alone (see as_read)."""
    named = [(a, b, mention(name, urn)) for a, b, name, urn in mention_spans(text, mentions)]
    tags = [(a, b, hashtag(tag)) for a, b, tag in hashtag_spans(text)
            if not any(x < b and a < y for x, y, _ in named)]
    pieces: list[str] = []
    at = 0
    for start, end, element in sorted(named + tags):
        pieces.append(linkedin_escape(text[at:start]))
        pieces.append(element)
        at = end
    pieces.append(linkedin_escape(text[at:]))
    return "".join(pieces)


def as_read(text: str, mentions: Sequence[tuple[str, str]] = ()) -> str:
    """What people read on LinkedIn for `text` sent with `mentions`."""
    return to_plain(to_little(text, mentions)) if mentions else text


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
