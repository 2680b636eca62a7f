"""LinkedIn's "little" text format for a post's `commentary`, as the stand-in applies it.

What the documentation says (learn.microsoft.com/linkedin/marketing/community-management/
shares/little-text-format): commentary is little text; its elements are plain text, mentions
`@[Name](urn:li:person:…)` / `@[Name](urn:li:organization:…)`, and the hashtag template
`{hashtag|#|tag}`; "Characters reserved for little elements must be escaped to be treated as
plaintext" and "All reserved characters need to be escaped with a backslash, even if those
characters are not used in one of the supported elements". The reserved characters are
`| { } @ [ ] ( ) < > # \\ * _ ~`.

What LinkedIn does with an unescaped one (not on the page; reported again and again, e.g.
github.com/n8n-io/n8n/issues/10179, activepieces/activepieces#3058, PipedreamHQ/pipedream#17353,
brightbeanxyz/brightbean-studio#121): the post is created (201) but its text stops right before
the first reserved character that does not start a valid element: "This is a test. (This is
also a test.)" is published as "This is a test. ". The stand-in does exactly that, so a client
that does not escape gets visibly cut posts. A bare `#word` is cut too: the page lists a
`#hashtag` element but also requires every reserved character to be escaped; the stand-in is
strict so that relying on it shows.

Comments are not little text (their `message.text` is plain text with `attributes`): this
module is for post commentary only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RESERVED = set("|{}@[]()<>#\\*_~")
MENTION = re.compile(
    r"@\[((?:\\.|[^\\\[\]()])+)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")
HASHTAG = re.compile(r"\{hashtag\|\\?([#\uff03])\|((?:\\.|[^\\{}|])+)\}")


@dataclass(frozen=True)
class Parsed:
    kept: str  # the little text LinkedIn keeps (cut before the first broken element)
    text: str  # what people see: escapes undone, mentions as names, hashtags as #tag
    cut_at: int | None  # index in the commentary where it was cut, None if whole
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse(commentary: str) -> Parsed:
    shown: list[str] = []
    mentions: list[str] = []
    hashtags: list[str] = []
    i = 0
    cut: int | None = None
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\" and i + 1 < len(commentary) and commentary[i + 1] in RESERVED:
            shown.append(commentary[i + 1])
            i += 2
            continue
        if ch == "@":
            found = MENTION.match(commentary, i)
            if found:
                shown.append(_unescape(found.group(1)))
                mentions.append(found.group(2))
                i = found.end()
                continue
        if ch == "{":
            found = HASHTAG.match(commentary, i)
            if found:
                tag = _unescape(found.group(2))
                shown.append(found.group(1) + tag)
                hashtags.append(tag)
                i = found.end()
                continue
        if ch in RESERVED:
            cut = i
            break
        shown.append(ch)
        i += 1
    kept = commentary if cut is None else commentary[:cut]
    return Parsed(kept, "".join(shown), cut, tuple(mentions), tuple(hashtags))


def escape(text: str) -> str:
    """Plain text as little text (for the stand-in's own seeding and its tests)."""
    return "".join("\\" + c if c in RESERVED else c for c in text)
