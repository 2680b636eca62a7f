"""How networks count the length of a post, by rule name.

`Capabilities.counting` names a rule; the composer's counters and each connector's `validate`
call `count_text(rule, text, ...)`. A rule is a function registered in RULES; adding a network's
rule (Bluesky graphemes + bytes, X weighted, Threads) is one function and one table line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

# A rule gets the text and the content warning (networks without one pass "") and the length
# a link counts as, where the network shortens links.
Rule = Callable[[str, str, int], int]


def graphemes(text: str) -> int:
    """User-perceived characters: an emoji with skin tone or a ZWJ family, a flag, a letter
    with combining accents each count as one."""
    return len(regex.findall(r"\X", text))


# --- Mastodon (app/validators/status_length_validator.rb) ------------------------------------
# counted = spoiler_text + text, where in the text every http(s) URL counts as
# characters_reserved_per_url and "@user@domain" counts as "@user"; length in grapheme clusters.

# A URL with its scheme, not preceded by a word character or @ $ # (as twitter-text requires).
_URL = regex.compile(r"(?<![\p{L}\p{N}_@$#\uFF20\uFF03])https?://[^\s<>\"]+", regex.IGNORECASE)
# Mastodon's Account::MENTION_RE: @user or @user@domain, not preceded by = / or a word char.
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)"
    r"(?:@[\w]+(?:[.-]+[\w]+)*)?",
    regex.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    replacement: str


def _trim_url(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the link, and an unbalanced ')'."""
    while url:
        last = url[-1]
        unbalanced = last == ")" and url.count("(") < url.count(")")
        if last in _TRAILING_PUNCTUATION or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def mastodon_entities(text: str, url_length: int) -> list[Span]:
    """URLs and mentions as Mastodon counts them, without overlaps (URLs win)."""
    spans: list[Span] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if regex.match(r"https?://[^/?#]*[\p{L}\p{N}]", url, regex.IGNORECASE):
            spans.append(Span(match.start(), match.start() + len(url), "x" * url_length))
    for match in _MENTION.finditer(text):
        if any(s.start < match.end() and match.start() < s.end for s in spans):
            continue
        spans.append(Span(match.start(), match.end(), "@" + match.group("user")))
    return sorted(spans, key=lambda s: s.start)


def _rewrite(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def count_mastodon(text: str, content_warning: str, url_length: int) -> int:
    countable = _rewrite(text, mastodon_entities(text, url_length)) if text.strip() else ""
    return graphemes(content_warning + countable)


def count_graphemes(text: str, content_warning: str, url_length: int) -> int:
    """Plain grapheme count of warning + text, links at their full length."""
    return graphemes(content_warning + text)


# --- Bluesky (lexicon app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 bytes) ---------
# Both limits hold at once: 300 emoji ZWJ sequences are 300 graphemes but far more than 3000
# bytes, so a post can be too long in bytes while under 300 characters. Links count in full (the
# client writes facets; nothing is shortened). Bluesky has no content-warning field: a warning is
# posted as the first line of the text (`bluesky_text`), so it counts.

BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000


@dataclass(frozen=True)
class TextLength:
    graphemes: int
    utf8_bytes: int


def bluesky_text(text: str, content_warning: str = "") -> str:
    """The text a Bluesky post carries for this draft: the warning, if any, leads it."""
    warning = content_warning.strip()
    return f"CW: {warning}\n\n{text}" if warning else text


def bluesky_length(text: str, content_warning: str = "") -> TextLength:
    """Both numbers Bluesky checks, for the composer's counter and for validate."""
    posted = bluesky_text(text, content_warning)
    return TextLength(graphemes=graphemes(posted), utf8_bytes=len(posted.encode("utf-8")))


def count_bluesky(text: str, content_warning: str, url_length: int) -> int:
    """Graphemes of the posted text (the 3000-byte limit is checked by `bluesky_length`)."""
    return bluesky_length(text, content_warning).graphemes


RULES: dict[str, Rule] = {
    "mastodon": count_mastodon,
    "graphemes": count_graphemes,
    "bluesky": count_bluesky,
}


class UnknownRule(KeyError):
    pass


def count_text(rule: str, text: str, *, content_warning: str = "", url_length: int = 23) -> int:
    """How long `text` (with its content warning) is under the named network rule."""
    try:
        counter = RULES[rule]
    except KeyError:
        raise UnknownRule(f"No counting rule named {rule!r}; known: {sorted(RULES)}") from None
    return counter(text, content_warning, url_length)
