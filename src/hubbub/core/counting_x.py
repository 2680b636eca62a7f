"""X's weighted length (twitter-text configuration v3, as its parseTweet computes it).

NFC first; a text of nothing but characters up to U+0020 weighs 0; each link (counting_x_links)
weighs transformedURLLength (23); each emoji sequence (counting_emoji) weighs 2; every other
code point weighs 1 inside U+0000-10FF, U+2000-200D, U+2010-201F, U+2032-2037, else 2 (CJK,
"…", emoji parts outside a sequence). Valid when the weighted length is at most 280 and the
text holds none of U+FFFE, U+FEFF, U+FFFF. Code points, not graphemes: e + U+0301 that NFC
cannot compose is 2, Arabic letters with their marks count each.

The sum over code points is taken from the text's UTF-8 and UTF-16 lengths (which tell how many
are ASCII, two-byte, three-byte and beyond the BMP) and one search for the rare three-byte ones
that weigh 1; the emoji's from the inventory. `x_parse` also gives the display and valid ranges
as twitter-text does (UTF-16 indices, end inclusive), walking only as far as the limit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from hubbub.core.counting_emoji import EMOJI, emoji_stats, only_lone_pictographs
from hubbub.core.counting_unicode import code_points_matching, inventory
from hubbub.core.counting_x_links import replace_packed_links, replace_simple_links, x_links

X_MAX_WEIGHTED_LENGTH = 280
X_URL_LENGTH = 23  # transformedURLLength
_LIGHT = "\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037"  # the ranges that weigh 1
_LIGHT_RE = re.compile(f"[{_LIGHT}]")
# Three-byte code points that weigh 1, but for ZWJ and ZWNJ, which sit alone between emoji or
# letters (a run each) and are counted with str.count instead.
_LIGHT_THREE_BYTES = re.compile("[\u0800-\u10ff\u2000-\u200b\u2010-\u201f\u2032-\u2037]+")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")
_BLANK = "".join(map(chr, range(0x21)))  # what Java's String.trim() removes


def weight(char: str) -> int:
    """What one code point outside links and emoji weighs."""
    return 1 if _LIGHT_RE.match(char) else 2


def code_point_weights(text: str) -> int:
    """The sum of every code point's weight (1 or 2), from the text's sizes in UTF-8, UTF-16 and
    ASCII: n1 + 2 n2 + 3 n3 + 4 n4 bytes, n + n4 UTF-16 units. Of the three-byte ones (n3) some
    weigh 1 (U+0800-10FF and the General Punctuation ranges); all beyond the BMP weigh 2."""
    size = len(text)
    if text.isascii():
        return size
    beyond_bmp = len(text.encode("utf-16-le", "surrogatepass")) // 2 - size
    ascii_chars = len(text.encode("ascii", "ignore"))
    utf8 = len(text.encode("utf-8", "surrogatepass"))
    three_bytes = utf8 + ascii_chars - 2 * size - 2 * beyond_bmp
    light = 0
    if three_bytes:
        light = size - len(_LIGHT_THREE_BYTES.sub("", text))
        light += text.count("\u200c") + text.count("\u200d")
    return size + beyond_bmp + three_bytes - light


@functools.cache
def _light_pictographs() -> tuple[str, ...]:
    """The pictographs (one emoji each, alone) that weigh 1 as code points: (c) and (R)."""
    pictographs = code_points_matching(r"(?V1)[\p{Emoji}&&\p{Extended_Pictographic}]")
    return tuple(sorted(c for c in pictographs if _LIGHT_RE.match(c)))


def x_weight(text: str) -> int:
    """Weighted length of text that holds no link: emoji sequences 2 each, the rest by code
    point."""
    total = code_point_weights(text)
    if text.isascii():
        return total
    found = inventory(text)
    if found is None and only_lone_pictographs(text):
        # Each pictograph is an emoji of its own, weighing 2 as a code point beyond U+10FF
        # does: only those that weigh 1 as code points weigh one more as emoji.
        return total + sum(text.count(c) for c in _light_pictographs())
    stats = emoji_stats(text, found)
    if not stats.count:
        return total
    if stats.members is not None:
        inside = sum(n * weight(c) for c, n in stats.members.items())
    else:
        inside = total - code_point_weights(stats.rest or "")
    return total - inside + 2 * stats.count


def _normalized(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def x_length(text: str, url_length: int = X_URL_LENGTH) -> int:
    """twitter-text v3 weighted length: compare with X_MAX_WEIGHTED_LENGTH."""
    text = _normalized(text)
    if not text.strip(_BLANK):
        return 0
    # Links alone between spaces (most of them) become an "x" each in one C call; the others
    # are found by the extractor, and the text between them weighed in one call, joined by
    # line breaks (which weigh 1 each and which no emoji sequence crosses).
    text, simple = replace_simple_links(text, "x")
    if "." in text:
        text, packed = replace_packed_links(text, "x")
        simple += packed
    links = [link for link in x_links(text) if link.kept]
    pieces, at = [], 0
    for link in links:
        pieces.append(text[at : link.start])
        at = link.end
    pieces.append(text[at:])
    rest = "\n".join(pieces) if links else text
    return (simple + len(links)) * (url_length - 1) + x_weight(rest)


@dataclass(frozen=True)
class XParse:
    """What twitter-text's parseTweet reports: the weighted length, whether the text may be
    posted, the share of the limit used (in thousandths), and the ranges (UTF-16 indices of the
    text as given, both ends included) of all of it and of the part that fits."""

    weighted_length: int
    valid: bool
    permillage: int
    display_range: tuple[int, int]
    valid_range: tuple[int, int]


def _utf16(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def x_parse(text: str, url_length: int = X_URL_LENGTH,
            limit: int = X_MAX_WEIGHTED_LENGTH) -> XParse:
    """x_length with validity and ranges. The valid range is found by walking the text from its
    start, a link, an emoji or a code point at a time, only until the weight passes the limit
    (or an invalid character stops it): at most limit + 1 steps."""
    normalized = _normalized(text)
    if not normalized.strip(_BLANK):
        return XParse(0, False, 0, (-1, -1), (-1, -1))  # twitter-text's empty range
    length = x_length(normalized, url_length)
    invalid = _INVALID.search(normalized) is not None
    shift = _utf16(text) - _utf16(normalized)  # what normalizing took away (or added)
    fits = _fitting_utf16(normalized, url_length, limit)
    return XParse(
        weighted_length=length,
        valid=not invalid and length <= limit,
        permillage=length * 1000 // limit,
        display_range=(0, _utf16(normalized) + shift - 1),
        valid_range=(0, fits + shift - 1),
    )


def _fitting_utf16(text: str, url_length: int, limit: int) -> int:
    """How many UTF-16 units of text the valid range covers: every unit (link, emoji sequence,
    code point) while the weight stays within the limit, except that after an invalid character
    only links still count (as twitter-text's loop does). Emoji are those EMOJI finds over the
    whole text, taken lazily, so the walk stops after at most limit + 1 units."""
    links = {link.start: link.end for link in x_links(text) if link.kept}
    emoji = EMOJI.finditer(text)
    next_emoji = next(emoji, None)
    total = covered = at = 0
    invalid = False
    while at < len(text) and total <= limit:
        if at in links:
            end = links[at]
            total += url_length
            if total <= limit:
                covered += _utf16(text[at:end])
            at = end
            continue
        while next_emoji is not None and next_emoji.start() < at:
            next_emoji = next(emoji, None)
        if next_emoji is not None and next_emoji.start() == at:
            end, total = next_emoji.end(), total + 2
        else:
            end, total = at + 1, total + weight(text[at])
        invalid = invalid or text[at] in "\ufffe\ufeff\uffff"
        if not invalid and total <= limit:
            covered += _utf16(text[at:end])
        at = end
    return covered
