"""Unicode character sets the counting rules share, and the inventory of a text.

Every set comes from the `regex` module's property tables, so the counters agree with its `\\X`
(grapheme clusters) character for character. The standard library's `re` scans a class of
Basic Multilingual Plane characters through a bitmap (a megabyte in ~3 ms) but walks a list of
ranges for characters beyond it (~300 ms), and the `regex` module scans a property class in
~40 ms: so the classes built here for `re` hold BMP characters and, at most, all of the
planes above as one range.

The inventory of a text is how often each of its "interesting" characters occurs (those that
can join a neighbour into a cluster, be part of an emoji, or stop a join): found by one class
search in C, each distinct character then removed from the rest with `str.replace`, so a
megabyte with a few distinct ones costs a few milliseconds, and every later sum is a
`str.count`, not a Python step per character.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import regex

# Planes 2, 3, 15 and 16 hold CJK ideographs and private use only: nothing joins or is emoji.
PLANES_WITH_MARKS = (range(0, 0x20000), range(0xE0000, 0xF0000))
ASTRAL = "\U00010000-\U0010ffff"


@functools.cache
def code_points_matching(pattern: str) -> frozenset[str]:
    """Every code point a one-character pattern matches (computed once, ~30 ms): a set's
    isdisjoint() scans a text ten times faster than a regex with Unicode properties."""
    chars = "".join(chr(cp) for plane in PLANES_WITH_MARKS for cp in plane)
    return frozenset(regex.findall(pattern, chars))


def _gcb(value: str) -> frozenset[str]:
    return code_points_matching(rf"\p{{Grapheme_Cluster_Break={value}}}")


@functools.cache
def sets() -> _Sets:
    return _Sets()


class _Sets:
    """The code point sets, built on first use (a few hundred milliseconds in all)."""

    def __init__(self) -> None:
        self.control = _gcb("Control") | _gcb("CR") | _gcb("LF")
        self.extend = _gcb("Extend")
        self.zwj = _gcb("ZWJ")
        self.attaching = self.extend | self.zwj | _gcb("SpacingMark")  # join what precedes
        self.prepend = _gcb("Prepend")  # joins what follows
        self.regional = _gcb("Regional_Indicator")
        self.hangul_jamo = _gcb("L") | _gcb("V") | _gcb("T")
        self.linker = code_points_matching(r"\p{InCB=Linker}")
        self.pictographic = code_points_matching(r"\p{Extended_Pictographic}")
        self.emoji = code_points_matching(r"\p{Emoji}")
        self.modifier = code_points_matching(r"\p{Emoji_Modifier}")
        # Only these join a neighbour (UAX #29 GB6-GB9c, GB11-GB13; CR LF aside).
        self.joining = (self.attaching | self.prepend | self.regional | self.hangul_jamo
                        | self.linker)
        interesting = self.joining | self.control | self.emoji | self.pictographic
        self.interesting = frozenset(c for c in interesting if not ("0" <= c <= "9"
                                                                    or c in "#*"))


def char_class(chars: Iterable[str], *, negate: bool = False) -> str:
    """A `re` character class for a set of characters, as ranges."""
    points = sorted(map(ord, chars))
    parts: list[str] = []
    start = 0
    while start < len(points):
        end = start
        while end + 1 < len(points) and points[end + 1] == points[end] + 1:
            end += 1
        first, last = chr(points[start]), chr(points[end])
        parts.append(re.escape(first) if first == last else f"{re.escape(first)}-{re.escape(last)}")
        start = end + 1
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


@functools.cache
def _interesting_chars() -> re.Pattern[str]:
    # BMP characters through a bitmap, and every character above it (sorted out afterwards).
    bmp = char_class(c for c in sets().interesting if c < "\U00010000")
    return re.compile(bmp[:-1] + ASTRAL + "]")


INVENTORY_LIMIT = 24


def inventory(text: str) -> dict[str, int] | None:
    """How often each distinct interesting character of text occurs (any character beyond the
    BMP is listed, interesting or not), or None when there are more than INVENTORY_LIMIT
    distinct ones: then each counter takes its per-match path. Linear: each search goes on
    where the last stopped, in a text that no longer holds the characters already found."""
    if len(sets().interesting.intersection(text[:4096])) > INVENTORY_LIMIT:
        return None  # too varied already at its start: spare the replacing
    found: dict[str, int] = {}
    rest, at = text, 0
    search = _interesting_chars().search
    while (hit := search(rest, at)) is not None:
        if len(found) == INVENTORY_LIMIT:
            return None
        char = hit.group()
        shorter = rest.replace(char, "")
        found[char] = len(rest) - len(shorter)
        rest, at = shorter, hit.start()
    return found


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    """`re.compile` kept for patterns built from an inventory (the same few recur as a person
    types)."""
    return re.compile(pattern)


@functools.cache
def _odd_regional_run() -> re.Pattern[str]:
    ri = char_class(sets().regional)
    return re.compile(f"{ri}(?<!{ri}{ri})(?:{ri}{ri})*+(?!{ri})")


def odd_regional_runs(text: str) -> int:
    """How many runs of regional indicators have an odd length (UAX #29 GB12/GB13 and UTS #51
    pair them from the start of each run, so such a run leaves one alone). A run's first
    indicator, then pairs, then no more: re, one range, matches only at odd runs."""
    pattern = _odd_regional_run()
    return pattern.subn("", text)[1] if pattern.search(text) is not None else 0
