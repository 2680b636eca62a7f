"""Grapheme clusters: what a person takes for one character (an emoji with a skin tone, a ZWJ
family, a flag, a letter with its accents), as the `regex` module's `\\X` finds them (UAX #29).

The count is the text's length less the boundaries where two code points join. Each rule of
UAX #29 that joins is counted apart, from the text's inventory (counting_unicode):

- a mark, ZWJ or spacing mark joins what precedes it unless that is a control (GB4, GB9,
  GB9a): the sum of their `str.count`s, less each control followed by one;
- the rarer rules (Prepend GB9b, Hangul jamo GB6-GB8, Indic conjuncts GB9c, emoji ZWJ
  sequences GB11, regional indicator pairs GB12/GB13) by one search each, only when the
  characters they need occur, written so that their matches are the joins themselves (or, for
  flags, the rare odd run), never one per character;
- CR LF (GB3).

A megabyte of emoji with skin tones costs a few milliseconds this way; \\X takes ~110 ms. A text
with more distinct joining characters than the inventory keeps goes through \\X, but only its
non-ASCII runs (an ASCII character is a cluster of its own, CR LF aside, and joins a run only
through a mark after it or a Prepend before it).
"""

from __future__ import annotations

import functools
import re

import regex

from hubbub.core.counting_unicode import (
    PLANES_WITH_MARKS,
    code_points_matching,
    inventory,
    odd_regional_runs,
    sets,
)

__all__ = ["JOINING", "PLANES_WITH_MARKS", "cluster_ends", "code_points_matching", "graphemes",
           "joins_previous"]

_CLUSTER = regex.compile(r"\X")
# The only code points that can join a neighbour into one cluster (UAX #29 GB6-GB9c, GB11-GB13):
# without any of them (and apart from CR LF) every code point is a cluster of its own.
JOINING = (
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}\p{InCB=Linker}]"
)


def joins_previous(char: str) -> bool:
    """Whether a code point can join the one before it into a cluster (a combining mark, ZWJ,
    a second regional indicator, Hangul jamo...): no cut may go right before it."""
    return not char.isascii() and char in sets().joining


def cluster_ends(text: str, start: int = 0, stop: int | None = None) -> list[int]:
    """Where each grapheme cluster of text[start:stop] ends (absolute positions)."""
    return [m.end() for m in _CLUSTER.finditer(text, start, len(text) if stop is None else stop)]


# The rarer joins, each match one join. Control here is GCB Control, CR or LF.
_CONTROL = r"[\p{Grapheme_Cluster_Break=Control}\r\n]"
_ATTACHING = (r"\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
              r"\p{Grapheme_Cluster_Break=SpacingMark}")
# GB9b: a Prepend joins what follows unless it is a control (what attaches counts already).
_PREPEND_JOINS = regex.compile(
    rf"\p{{Grapheme_Cluster_Break=Prepend}}(?=[^{_ATTACHING}\p{{Grapheme_Cluster_Break=Control}}"
    r"\r\n])"
)
# GB6-GB8: L x (L|V|LV|LVT), (LV|V) x (V|T), (LVT|T) x T.
_HANGUL_JOINS = regex.compile(
    r"(?<=\p{Grapheme_Cluster_Break=L})[\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=LV}\p{Grapheme_Cluster_Break=LVT}]"
    r"|(?<=[\p{Grapheme_Cluster_Break=LV}\p{Grapheme_Cluster_Break=V}])"
    r"[\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}]"
    r"|(?<=[\p{Grapheme_Cluster_Break=LVT}\p{Grapheme_Cluster_Break=T}])"
    r"\p{Grapheme_Cluster_Break=T}"
)
# GB9c: [Extend Linker]* Linker [Extend Linker]* x Consonant. UAX #29 also wants a consonant
# before the run; the regex module's \X does not ask for one (it joins "a" + virama + "ka"),
# and \X is what these counts agree with. The match ends before the consonant that joins.
_RUN = r"[\p{InCB=Extend}\p{InCB=Linker}]"
_CONJUNCT_JOINS = regex.compile(rf"(?={_RUN}*?\p{{InCB=Linker}}){_RUN}++(?=\p{{InCB=Consonant}})")
# GB11: ExtPict Extend* ZWJ x ExtPict (the ZWJ itself joins by GB9). Counted as every ZWJ
# before a pictograph (str.count) less the rare ones that do not follow one.
_LONE_ZWJ = regex.compile(
    r"\u200d(?=\p{Extended_Pictographic})"
    r"(?<!\p{Extended_Pictographic}\p{Grapheme_Cluster_Break=Extend}*+\u200d)"
)


def graphemes(text: str, found: dict[str, int] | None = None) -> int:
    """User-perceived characters: an emoji with skin tone or a ZWJ family, a flag, a letter
    with combining accents each count as one. `found` is the text's inventory, when the
    caller has it."""
    total = len(text) - text.count("\r\n")  # the answer when nothing joins (CR LF is one)
    if text.isascii():
        return total
    if found is None:
        found = inventory(text)
    if found is None:  # too many distinct characters to keep
        return total if sets().joining.isdisjoint(text) else _graphemes_by_runs(text)
    chars = sets()
    if chars.joining.isdisjoint(found):
        return total
    attaching = [c for c in found if c in chars.attaching]
    joins = sum(found[c] for c in attaching)
    if attaching:
        joins -= text[0] in chars.attaching  # nothing before it to join
        controls = [c for c in found if c in chars.control]
        joins -= sum(text.count(control + c) for control in controls for c in attaching)
    if not chars.prepend.isdisjoint(found):
        joins += _count(_PREPEND_JOINS, text)
    if not chars.hangul_jamo.isdisjoint(found):
        joins += _count(_HANGUL_JOINS, text)
    if not chars.linker.isdisjoint(found):
        joins += _count(_CONJUNCT_JOINS, text)
    if "\u200d" in found:
        pictographs = [c for c in found if c in chars.pictographic]
        joins += sum(text.count("\u200d" + c) for c in pictographs)
        if pictographs:
            joins -= _count(_LONE_ZWJ, text)
    regional = sum(n for c, n in found.items() if c in chars.regional)
    if regional:
        joins += (regional - odd_regional_runs(text)) // 2
    return total - joins




def _count(pattern: regex.Pattern[str] | re.Pattern[str], text: str) -> int:
    return pattern.subn("", text)[1] if pattern.search(text) is not None else 0


_NON_ASCII_RUN = regex.compile(r"[^\x00-\x7f]++")
_ASCII_CONTROLS = frozenset("".join(map(chr, range(0x20))) + "\x7f")
# Fewer characters than this per run with a joining code point: \X over the rest is cheaper.
_DENSE_RUNS = 12


@functools.cache
def _joining_sets() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    chars = sets()
    return chars.joining, chars.attaching, chars.prepend


def _graphemes_by_runs(text: str) -> int:
    """The count by \\X over the non-ASCII runs that hold a joining code point (for texts with
    more distinct joining characters than an inventory keeps). No cluster joins two ASCII
    characters but CR LF, and an ASCII character joins the non-ASCII text beside it only
    through a mark after it or a Prepend before it (not a control: GB4, GB5)."""
    joining, attaching, prepend = _joining_sets()
    total = len(text) - text.count("\r\n")
    joined_runs = 0
    for run in _NON_ASCII_RUN.finditer(text):
        chunk = run.group()
        if joining.isdisjoint(chunk):
            continue
        start, end = run.span()
        joined_runs += 1
        if joined_runs % 64 == 0 and joined_runs * _DENSE_RUNS > start:
            # Runs this dense (emoji and spaces, letters and marks) cost more a step each than
            # \X over all the rest in one call, from a cluster break: before this run unless
            # it starts with a mark joining the ASCII character before it, else before that
            # character unless a Prepend or CR joins it to what precedes.
            cut = start
            if chunk[0] in attaching and text[start - 1] not in _ASCII_CONTROLS:
                cut = start - 1
                if cut and (text[cut - 1] in prepend or text[cut - 1 : cut + 1] == "\r\n"):
                    cut = -1
            if cut >= 0:
                rest = text[cut:]
                return total - len(rest) + rest.count("\r\n") + _CLUSTER.subn("", rest)[1]
        total -= len(chunk) - len(_CLUSTER.findall(chunk))
        if start and chunk[0] in attaching and text[start - 1] not in _ASCII_CONTROLS:
            total -= 1
        if end < len(text) and chunk[-1] in prepend and text[end] not in _ASCII_CONTROLS:
            total -= 1
    return total
