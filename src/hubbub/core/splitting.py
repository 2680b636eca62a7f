"""Cutting a text that is too long for one post into a thread, for any network's count.

`split_for_limit(text, limit, count)` gives parts that each satisfy count(part) <= limit.
Where it cuts, best first: between paragraphs, between lines, after a sentence (. ! ? … and
CJK 。 and fullwidth ! ?), after a clause (, ; : dashes, CJK 、 and fullwidth , ; :), between
words. A better kind of cut wins when its part is at least MIN_FILL as long (in characters) as
the longest part that would fit. Only a piece with no such cut that is itself too long is cut
between CJK characters, else between grapheme clusters outside links, mentions and hashtags,
else (a link longer than the limit) between any grapheme clusters. No cut splits a cluster.

Parts are the text between cuts, without the whitespace at the cuts: joining them with that
whitespace gives back the text. With numbering=True each part ends in " i/n", counted in the
limit, n being the number of parts (see _numbered). With first_count, the first part is
measured by it instead (what goes with the first part only, e.g. a quoted post's link added
after its words): the other parts keep `count`, and every rule above holds for each.

`count` is only called on part-sized texts, a few times per part (the search interpolates on
the counts it has seen), so a 5,000-character text splits in a few milliseconds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import regex

from hubbub.core.counting import cluster_ends, joins_previous, link_spans

Count = Callable[[str], int]

# Kinds of cut, best first (higher is better).
PARAGRAPH, LINE, SENTENCE, CLAUSE, WORD = 5, 4, 3, 2, 1
# A better kind of cut is taken when its part is at least this share of the longest fitting one.
MIN_FILL = 0.5

_SPACE = re.compile(r"\s+")
# Fullwidth forms are written as escapes: FF01 ! FF0C , FF0E . FF09 ) FF1A : FF1B ; FF1F ?
_CJK_SENTENCE = "。\uff01\uff1f\uff0e"
_CJK_CLAUSE = "、\uff0c\uff1b\uff1a"
_CJK_CLOSERS = "」』\uff09】"
_SENTENCE_END = frozenset(".!?…‼⁉" + _CJK_SENTENCE)
_CLOSERS = frozenset("\"')]}»\u201d\u2019\u203a" + _CJK_CLOSERS)
_CLAUSE_END = frozenset(",;:\u2014\u2013" + _CJK_CLAUSE)  # with em and en dashes
# CJK punctuation ends a sentence or a clause without a space after it.
_CJK_STOP = re.compile(f"[{_CJK_SENTENCE}][{_CJK_CLOSERS}\u201d\u2019]*|[{_CJK_CLAUSE}]")
# Lines may break between two Han or kana characters (blocks: CJK ideographs with extensions A
# to G and compatibility forms, hiragana, katakana, halfwidth katakana, U+3005-3007), but not before
# a small kana or the long-vowel mark (Japanese line breaking, simplified).
_CJK = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK += "\uff66-\uff9f\U00020000-\U0003ffff"
_NO_LINE_START = "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶー"
_CJK_PAIR = re.compile(f"(?<=[{_CJK}])(?=[{_CJK}])(?![{_NO_LINE_START}])")
_MENTION = regex.compile(r"(?<![\w@])@\w[\w.-]*(?:@\w[\w.-]*)*")
_HASHTAG = regex.compile(r"(?<![\w#&])#\w+")


class Cut(NamedTuple):
    end: int  # the part before the cut ends here
    start: int  # the next part starts here (text[end:start] is whitespace, dropped)
    kind: int


class _Protected:
    """Links, mentions and hashtags (merged into disjoint spans): never cut inside one."""

    def __init__(self, text: str) -> None:
        spans = link_spans(text)
        spans += [m.span() for m in _MENTION.finditer(text)]
        spans += [m.span() for m in _HASHTAG.finditer(text)]
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def inside(self, pos: int) -> bool:
        index = bisect.bisect_left(self.starts, pos) - 1
        return index >= 0 and pos < self.ends[index]


def _space_kind(text: str, start: int, end: int) -> int:
    space = text[start:end]
    if space.count("\n") >= 2 or "\u2029" in space:
        return PARAGRAPH
    if "\n" in space or "\r" in space or "\u2028" in space:
        return LINE
    before = start - 1
    while before > 0 and text[before] in _CLOSERS:
        before -= 1
    if text[before] in _SENTENCE_END:
        return SENTENCE
    return CLAUSE if text[start - 1] in _CLAUSE_END else WORD


class Cuts:
    """Every place in text[:finish] a part may end (but the last resorts), in order, the end of
    the text last. A cut's kind is worked out when first asked for: most are never asked."""

    def __init__(self, text: str, finish: int) -> None:
        self.text = text
        spans = [m.span() for m in _SPACE.finditer(text, 0, finish) if m.start() > 0]
        if not text.isascii():  # a space carrying a combining mark: keep them together
            spans = [(a, b - 1) if joins_previous(text[b]) else (a, b) for a, b in spans]
            spans = [(a, b) for a, b in spans if a < b]
        kinds = [0] * len(spans)
        stops = [m for m in _CJK_STOP.finditer(text, 0, finish) if m.end() < finish]
        if stops:
            protected = _Protected(text)
            for match in stops:
                pos = match.end()
                if text[pos].isspace() or joins_previous(text[pos]) or protected.inside(pos):
                    continue  # a space after it is a cut already
                spans.append((pos, pos))
                kinds.append(SENTENCE if match.group(0)[0] in _SENTENCE_END else CLAUSE)
            order = sorted(range(len(spans)), key=lambda index: spans[index])
            spans = [spans[index] for index in order]
            kinds = [kinds[index] for index in order]
        self.ends = [end for end, _ in spans] + [finish]
        self.starts = [start for _, start in spans] + [finish]
        self.kinds = [*kinds, PARAGRAPH]

    def kind(self, index: int) -> int:
        if not self.kinds[index]:
            self.kinds[index] = _space_kind(self.text, self.ends[index], self.starts[index])
        return self.kinds[index]

    def __getitem__(self, index: int) -> Cut:
        return Cut(self.ends[index], self.starts[index], self.kind(index))

    def __len__(self) -> int:
        return len(self.ends)


def _last_resorts(text: str, start: int, stop: int) -> Iterator[list[int]]:
    """Positions inside one piece without a better cut, in groups to try in order: between CJK
    characters, between clusters outside links, mentions and hashtags, between any clusters."""
    protected = _Protected(text[start:stop])
    between = [match.start() for match in _CJK_PAIR.finditer(text, start + 1, stop)]
    if protected.starts:
        between = [pos for pos in between if not protected.inside(pos - start)]
    yield between
    clusters = cluster_ends(text, start, stop)[:-1]  # the last one may be cut by `stop`
    if protected.starts:
        yield [pos for pos in clusters if not protected.inside(pos - start)]
    yield clusters


class _Splitter:
    def __init__(
        self, text: str, finish: int, limit: int, count: Count, first_count: Count | None = None
    ) -> None:
        self.text = text
        self.limit = limit
        self.count = count
        self.first_count = first_count or count
        self.measure = self.first_count  # the count of the part being cut
        self.cuts = Cuts(text, finish)
        self.ends = self.cuts.ends

    def fits(self, index: int, part: str) -> bool:
        """Whether the part at `index` (0: the first) is within the limit by its count."""
        return (self.count if index else self.first_count)(part) <= self.limit

    def split(self, begin: int, total: int | None) -> list[str]:
        """The parts from `begin` on; with `total`, each ends in " i/total"."""
        parts: list[str] = []
        pos = begin
        ratio = 1.0  # characters per counted unit, learned as we go
        while pos < self.ends[-1]:
            suffix = f" {len(parts) + 1}/{total}" if total else ""
            self.measure = self.count if parts else self.first_count
            end, after, ratio = self._next(pos, suffix, ratio)
            parts.append(self.text[pos:end] + suffix)
            pos = after
        return parts

    def _units(self, begin: int, end: int, suffix: str) -> int:
        return self.measure(self.text[begin:end] + suffix)

    def _next(self, begin: int, suffix: str, ratio: float) -> tuple[int, int, float]:
        """Where the part starting at `begin` ends, where the next one starts, the new ratio."""
        first = bisect.bisect_right(self.ends, begin)
        # Far beyond where the limit is expected (a long piece, or the rest of a text with no
        # spaces)? If the text up to there already fails, the first cut cannot fit either.
        best, units = None, 0
        horizon = begin + int(1.25 * ratio * self.limit) + 16
        while self.ends[first] > horizon and units <= self.limit:
            units = self._units(begin, horizon, suffix)
            ratio = max((horizon - begin) / max(units, 1), 0.01)  # a better guess, anyway
            horizon = begin + int(1.25 * ratio * self.limit) + 16  # at least 1.25 times as far
        if units <= self.limit:
            best, units = self._furthest(begin, self.ends, first, len(self.ends), suffix, ratio)
        if best is None:
            end, units = self._last_resort(begin, self.ends[first], suffix, ratio)
            return end, end, max((end - begin) / max(units, 1), 0.01)
        ratio = max((self.ends[best] - begin) / max(units, 1), 0.01)
        chosen = self._preferred(begin, first, best, suffix)
        return self.ends[chosen], self.cuts.starts[chosen], ratio

    def _last_resort(
        self, begin: int, stop: int, suffix: str, ratio: float
    ) -> tuple[int, int]:
        """Where to cut text[begin:stop], a piece too long for one part, looking at a window
        that widens while everything in it fits (the piece may be the rest of a long text)."""
        window = int(1.25 * ratio * self.limit) + 16
        while True:
            end = min(stop, begin + window)
            for group in _last_resorts(self.text, begin, end):
                if not group:
                    continue
                found, units = self._furthest(begin, group, 0, len(group), suffix, ratio)
                if found is not None and (found < len(group) - 1 or end == stop):
                    return group[found], units
                if found is not None:
                    break  # all of the window fits: look further
            else:
                raise ValueError(
                    f"No part can fit in {self.limit}: even the first character of "
                    f"{self.text[begin:stop][:20]!r} is too long"
                )
            window *= 2

    def _furthest(
        self, begin: int, ends: list[int], lo: int, hi: int, suffix: str, ratio: float
    ) -> tuple[int | None, int]:
        """Index (in lo..hi-1) of the furthest end whose part fits, taking the count to grow
        with the text: regula falsi between the furthest fit and the nearest failure (or the
        characters per unit seen so far), bisection once that is slow."""
        fit, fit_units, fail, fail_units = lo - 1, 0, hi, 0
        target = begin + ratio * self.limit
        probes = 0
        while fail - fit > 1:
            if probes < 4:
                probe = bisect.bisect_right(ends, target, fit + 1, fail) - 1
                probe = min(max(probe, fit + 1), fail - 1)
            else:
                probe = (fit + fail) // 2
            probes += 1
            units = self._units(begin, ends[probe], suffix)
            if units <= self.limit:
                fit, fit_units = probe, units
            else:
                fail, fail_units = probe, units
            if fit >= lo and fail < hi and fail_units > fit_units:
                share = (self.limit - fit_units) / (fail_units - fit_units)
                target = ends[fit] + (ends[fail] - ends[fit]) * share
            else:
                target = begin + max(ends[probe] - begin, 1) * self.limit / max(units, 1)
        return (fit if fit >= lo else None), fit_units

    def _preferred(self, begin: int, first: int, best: int, suffix: str) -> int:
        """The best kind of cut at or before `best` that keeps the part long enough."""
        floor = begin + MIN_FILL * (self.ends[best] - begin)
        chosen = best
        for index in range(best, first - 1, -1):
            if self.ends[index] < floor:
                break
            if self.cuts.kind(index) > self.cuts.kind(chosen):
                chosen = index
        if chosen != best and self._units(begin, self.ends[chosen], suffix) > self.limit:
            return best  # the count did not grow with the text after all
        return chosen


def split_for_limit(
    text: str, limit: int, count: Count, *, numbering: bool = False,
    first_count: Count | None = None,
) -> list[str]:
    """The parts of a thread for `text`, each with count(part) <= limit (see the module doc),
    the first with first_count(part) <= limit when it is given. A blank text gives no parts;
    a text that fits gives itself (stripped), never "1/1"."""
    if limit < 1:
        raise ValueError("The limit must be at least 1.")
    begin = len(text) - len(text.lstrip())
    finish = len(text.rstrip())
    if begin >= finish:
        return []
    if begin and joins_previous(text[begin]):
        begin -= 1  # a leading space carries a combining mark
    splitter = _Splitter(text, finish, limit, count, first_count)
    if not numbering:
        return splitter.split(begin, None)  # one part, the text, when it fits
    units = splitter.first_count(text[begin:finish])  # as one post, it is the first part
    if units <= limit:
        return [text[begin:finish]]
    return _numbered(splitter, begin, max(2, -(-units // limit)))


def _relabel(parts: list[str]) -> list[str]:
    return [f"{part[: part.rindex(' ')]} {i}/{len(parts)}" for i, part in enumerate(parts, 1)]


def _numbered(splitter: _Splitter, begin: int, total: int) -> list[str]:
    """Parts ending in " i/n" where n is their number, from a guess of n (the whole count over
    the limit: a lower bound). Parts made for a guessed n with as many digits as the real one
    are the parts for the real n (digits count alike in every rule), so they are relabelled,
    checked, and usually one pass is enough."""
    tried = [total]
    for _ in range(6):
        parts = splitter.split(begin, total)
        if len(parts) == total:
            return parts
        if len(str(len(parts))) == len(str(total)):
            relabelled = _relabel(parts)
            if all(splitter.fits(i, part) for i, part in enumerate(relabelled)):
                return relabelled
        total = len(parts)
        tried.append(total)
    total = max(tried)  # the guesses did not settle: only ever grow n, then relabel
    while len(parts := splitter.split(begin, total)) > total:
        total = len(parts)
    return _relabel(parts)  # fewer parts than n: fewer digits, shorter labels


def fold_limits(limit: int, *limits: tuple[Count, int]) -> Count:
    """One count to compare with `limit` that holds several limits at once, e.g. Bluesky's
    fold_limits(300, (graphemes, 300), (utf8_length, 3000)). Exact: the folded count is
    <= limit exactly when each count is <= its own limit."""

    def folded(text: str) -> int:
        return max(-(-count(text) * limit // own) for count, own in limits)

    return folded
