"""Emoji sequences (UTS #51), which X weighs 2 each and Threads counts by their UTF-8 bytes.

One emoji = a flag (two regional indicators), a keycap ([0-9#*] FE0F? 20E3), or pictographs
joined by ZWJ, each with an optional skin tone, FE0F or tag run (🏴 + tags + cancel tag), or a
lone skin tone or regional indicator. A character followed by FE0E asked for its text look and
is not an emoji; digits, # and * are emoji only in a keycap. Each match lies inside one
grapheme cluster (UAX #29 GB9, GB11, GB12/13). EMOJI states it for the `regex` module.

`emoji_stats` sums them without a Python step per emoji where the text's inventory allows:
when its only emoji characters are pictographs, skin tones and FE0F (most emoji text), every
pictograph starts one emoji, and only the rare characters that sit apart (a skin tone or FE0F
after something else) are searched for. Otherwise one `subn` of EMOJI does it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import regex

from hubbub.core.counting_text import utf8_length
from hubbub.core.counting_unicode import (
    char_class,
    code_points_matching,
    compiled,
    odd_regional_runs,
    sets,
)

_PICTOGRAPH = (
    r"(?=\p{Emoji})\p{Extended_Pictographic}(?!\uFE0E)(?:\p{Emoji_Modifier}|\uFE0F)?"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"
)
EMOJI = regex.compile(
    r"\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3"
    rf"|{_PICTOGRAPH}(?:\u200D{_PICTOGRAPH})*|(?![0-9#*])\p{{Emoji}}(?!\uFE0E)\uFE0F?"
)


def may_hold_emoji(text: str) -> bool:
    """False when no emoji sequence can be in the text (a fast test before EMOJI)."""
    if text.isascii():
        return False
    return not code_points_matching(r"(?V1)[\p{Emoji}\u20E3--[0-9#*]]").isdisjoint(text)


@dataclass(frozen=True)
class EmojiStats:
    """The emoji sequences of a text: how many, their code points and UTF-8 bytes, and either
    how often each code point occurs inside them or the text without them."""

    count: int = 0
    code_points: int = 0
    utf8_bytes: int = 0
    members: Mapping[str, int] | None = None
    rest: str | None = None


NONE = EmojiStats(members={})


@functools.cache
def _simple_emoji() -> tuple[frozenset[str], frozenset[str]]:
    """Pictographs (Emoji and Extended_Pictographic, never ASCII) and skin tones."""
    chars = sets()
    return frozenset(chars.pictographic & chars.emoji), chars.modifier


_PICTOGRAPH_ALONE = regex.compile(r"(?V1)[\p{Emoji}&&\p{Extended_Pictographic}]")
# ZWJ, FE0E, FE0F, the keycap, skin tones, regional indicators, tags.
_JOINS_OR_CHANGES = frozenset(
    "\u200d\ufe0e\ufe0f\u20e3" + "".join(map(chr, [*range(0x1F3FB, 0x1F400),
                                               *range(0x1F1E6, 0x1F200),
                                               *range(0xE0020, 0xE0080)])))
_JOINING_EMOJI = re.compile(char_class(_JOINS_OR_CHANGES))
# Present, these make emoji that the counts below do not follow: EMOJI itself then.
_NOT_SIMPLE = frozenset("\ufe0e\u20e3") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def only_lone_pictographs(text: str) -> bool:
    """Whether every emoji of text is one pictograph (Emoji and Extended_Pictographic) alone:
    true when none of the characters that join, change or make other emoji occurs (ZWJ, FE0E,
    FE0F, the keycap, skin tones, regional indicators, tags)."""
    return _JOINING_EMOJI.search(text) is None


# Every character U+1F000..U+1FFFF, and only those, starts with these two bytes in UTF-8.
_PLANE_1F = b"\xf0\x9f"
_FIRST_1F, _LAST_1F = "\U0001f000", "\U0001ffff"
# Lone pictographs are counted from a text's distinct characters up to this many of them.
DISTINCT_LIMIT = 4096
_CHUNK = 65_536


def _distinct(text: str, limit: int) -> set[str] | None:
    """The distinct characters of text, or None past limit: gathered a chunk at a time, so a
    text of a million different characters never holds them all at once."""
    seen: set[str] = set()
    for start in range(0, len(text), _CHUNK):
        seen.update(text[start:start + _CHUNK])
        if len(seen) > limit:
            return None
    return seen


def lone_pictographs(text: str) -> tuple[int, int] | None:
    """(count, UTF-8 bytes) of the emoji of a text in which every emoji is one pictograph alone
    (no character that joins or changes an emoji occurs), without finding each one: those from
    U+1F000 to U+1FFFF are counted in the text's UTF-8 by their two first bytes, less the other
    characters of that range that occur; the rest (pictographs of the BMP, (c) and (R)) one
    `str.count` each. None when that does not hold or the text has too many distinct
    characters: then EMOJI (or its class) finds them."""
    distinct = _distinct(text, DISTINCT_LIMIT)
    if distinct is None or not _JOINS_OR_CHANGES.isdisjoint(distinct):
        return None
    pictographs, _ = _simple_emoji()
    apart = [c for c in distinct if (_FIRST_1F <= c <= _LAST_1F) != (c in pictographs)]
    in_plane = text.encode("utf-8", "surrogatepass").count(_PLANE_1F)
    count = utf8_bytes = 0
    for char in apart:
        n = text.count(char)
        if char in pictographs:  # a pictograph outside U+1F000..U+1FFFF
            count += n
            utf8_bytes += n * len(char.encode("utf-8"))
        else:  # in the range, no pictograph
            in_plane -= n
    return count + in_plane, utf8_bytes + 4 * in_plane


def emoji_stats(text: str, found: Mapping[str, int] | None) -> EmojiStats:
    """The emoji of text, given its inventory (counting_unicode.inventory; None when it had too
    many distinct characters to keep)."""
    if text.isascii():
        return NONE
    pictographs, modifiers = _simple_emoji()
    if found is not None and _NOT_SIMPLE.isdisjoint(found) and (
            "\ufe0f" not in found or sets().regional.isdisjoint(found)):
        return _simple_stats(text, found, pictographs, modifiers)
    # Without any of the characters that join or change an emoji, each pictograph is one: a
    # class is cheaper to run than EMOJI (a megabyte of 80 distinct emoji: 175 -> 71 ms).
    alone = found is None and only_lone_pictographs(text)
    rest, count = (_PICTOGRAPH_ALONE if alone else EMOJI).subn("", text)
    if not count:
        return NONE
    return EmojiStats(count, len(text) - len(rest), utf8_length(text) - utf8_length(rest),
                      rest=rest)


def _simple_stats(text: str, found: Mapping[str, int], pictographs: frozenset[str],
                  modifiers: frozenset[str]) -> EmojiStats:
    """Only pictographs (P), skin tones (M), FE0F and ZWJ, or regional indicators without FE0F:
    P takes the M or FE0F right after it; an M after anything else is an emoji of its own and
    takes an FE0F right after it; a ZWJ between a P (with its M or FE0F) and a P joins them
    into one emoji; regional indicators pair up from the start of each run (a flag), an odd
    run's last one alone."""
    regional = sets().regional
    flags = {c: n for c, n in found.items() if c in regional}
    members = {c: n for c, n in found.items() if c in pictographs or c in modifiers}
    if not members and not flags:
        return NONE
    if flags:
        indicators = sum(flags.values())
        odd = odd_regional_runs(text)
        paired = _simple_stats(text, {c: n for c, n in found.items() if c not in regional},
                               pictographs, modifiers) if members else NONE
        both = {**(paired.members or {}), **flags}
        return EmojiStats(paired.count + (indicators - odd) // 2 + odd,
                          sum(both.values()), paired.utf8_bytes + 4 * indicators, members=both)
    in_p = [c for c in members if c in pictographs]
    p = char_class(in_p) if in_p else ""
    m = char_class(c for c in members if c in modifiers) if members.keys() & modifiers else ""
    lone_m = _matches(f"{m}(?<!{p}{m})" if p else m, text) if m else 0
    count = sum(members[c] for c in in_p) + lone_m
    if found.get("\ufe0f"):
        # An FE0F is outside every emoji after anything but P or M, or after an M that a P took.
        outside = _matches(f"\ufe0f(?<!{char_class(members)}\ufe0f)", text)
        if p and m:
            outside += _matches(f"\ufe0f(?<={p}{m}\ufe0f)", text)
        if found["\ufe0f"] > outside:
            members["\ufe0f"] = found["\ufe0f"] - outside
    if found.get("\u200d") and p:
        # A ZWJ before a P joins unless what precedes it is no P, nor an M or FE0F after a P.
        before_p = sum(text.count("\u200d" + c) for c in in_p)
        if before_p:
            ends = char_class([*members.keys() & modifiers, "\ufe0f"])
            joined = before_p - _matches(f"\u200d(?={p})(?<!{p}\u200d)(?<!{p}{ends}\u200d)", text)
            if joined:
                count -= joined
                members["\u200d"] = joined
    return EmojiStats(count, sum(members.values()),
                      sum(n * utf8_length(c) for c, n in members.items()), members=members)


def _matches(pattern: str, text: str) -> int:
    found = compiled(pattern)
    return found.subn("", text)[1] if found.search(text) is not None else 0
