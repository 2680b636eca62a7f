"""How networks count the length of a post, by rule name.

`Capabilities.counting` names a rule; the composer's counters and each connector's `validate`
call `count_text(rule, text, ...)`. A rule is a function registered in RULES; adding a network's
rule is one function (in its own counting_<network> module) and one table line. Rules: mastodon,
graphemes (Nostr), bluesky, x, threads, linkedin; docs/composer.md says where each definition
comes from. The counters run as the person types, so each is linear: docs/benchmarks.md
("Counting: a megabyte of hostile text") has the numbers.

The names other modules import stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable

from hubbub.core.counting_bluesky import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    TextLength,
    bluesky_length,
    bluesky_text,
    count_bluesky,
)
from hubbub.core.counting_emoji import may_hold_emoji
from hubbub.core.counting_graphemes import (
    JOINING,
    PLANES_WITH_MARKS,
    cluster_ends,
    code_points_matching,
    graphemes,
    joins_previous,
)
from hubbub.core.counting_linkedin import (
    LINKEDIN_MAX_LENGTH,
    LINKEDIN_RESERVED,
    count_linkedin,
    linkedin_escape,
    linkedin_length,
)
from hubbub.core.counting_mastodon import MASTODON_URL, Span, count_mastodon, mastodon_entities
from hubbub.core.counting_text import inline_warning, utf8_length
from hubbub.core.counting_threads import THREADS_MAX_LENGTH, count_threads, threads_length
from hubbub.core.counting_x import X_MAX_WEIGHTED_LENGTH, XParse, x_length, x_parse
from hubbub.core.counting_x_links import x_urls

__all__ = [
    "BLUESKY_MAX_BYTES", "BLUESKY_MAX_GRAPHEMES", "JOINING", "LINKEDIN_MAX_LENGTH",
    "LINKEDIN_RESERVED", "MAX_POST_CHARS", "PLANES_WITH_MARKS", "RULES", "THREADS_MAX_LENGTH",
    "X_MAX_WEIGHTED_LENGTH", "Rule", "Span", "TextLength", "UnknownRule", "XParse",
    "bluesky_length", "bluesky_text", "cluster_ends", "code_points_matching", "count_text",
    "graphemes", "inline_warning", "joins_previous", "link_spans", "linkedin_escape",
    "linkedin_length", "mastodon_entities", "may_hold_emoji", "post_size_problem",
    "threads_length", "utf8_length", "x_length", "x_parse", "x_urls",
]

# The most text a post may hold, checked before anything counts it. No network takes a post
# anywhere near this long: the largest limits are Facebook's 63,206 characters and the 64,000 a
# Nostr relay is assumed to take when it states none; LinkedIn takes 3,000, Bluesky 300, X 280,
# Threads 500, Mastodon 500 unless the instance says more. The counters are linear, but a
# megabyte pasted into the composer is a mistake to name at once, not to count per keystroke.
MAX_POST_CHARS = 100_000


def post_size_problem(text: str, content_warning: str = "") -> str | None:
    """A sentence for the person when text and warning together are longer than any network
    takes (MAX_POST_CHARS), else None. Costs nothing: it counts code points only."""
    size = len(text) + len(content_warning)
    if size <= MAX_POST_CHARS:
        return None
    return (
        f"This post is {size:,} characters long; the hub takes at most {MAX_POST_CHARS:,} "
        "(no network takes more than about 64,000). Shorten it or split it into several posts."
    )


# A rule gets the text and the content warning (networks without one pass "") and the length
# a link counts as, where the network shortens links.
Rule = Callable[[str, str, int], int]


def count_graphemes(text: str, content_warning: str, url_length: int) -> int:
    """Plain grapheme count of warning + text, links at their full length (Nostr)."""
    return graphemes(content_warning + text)


def count_x(text: str, content_warning: str, url_length: int) -> int:
    return x_length(inline_warning(text, content_warning), url_length)


RULES: dict[str, Rule] = {
    "mastodon": count_mastodon,
    "graphemes": count_graphemes,
    "bluesky": count_bluesky,
    "x": count_x,
    "threads": count_threads,
    "linkedin": count_linkedin,
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


def link_spans(text: str) -> list[tuple[int, int]]:
    """Everything any rule here takes for a link: http(s) links up to the next space (as
    Mastodon sees them, before trailing punctuation is dropped) and X's links, with or without
    a scheme. Sorted, may overlap."""
    spans = [(m.start(), m.end()) for m in MASTODON_URL.finditer(text)] if "://" in text else []
    return sorted(spans + x_urls(text))
