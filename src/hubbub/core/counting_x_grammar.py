"""The pieces of twitter-text's link grammar that counting_x_links puts together: character
classes, top-level domains, the patterns over them, and the host's IDNA check.

Written from twitter-text 3's behaviour (its conformance data in tests/unit/data/twitter-text/
is the test): ASCII letters match in either case and nothing else folds, so every pattern with
letters is compiled with IGNORECASE and ASCII. The standard library's `re` runs these (classes
of BMP characters go through a bitmap); the `regex` module only where a pattern needs Unicode
properties or must match backwards.
"""

from __future__ import annotations

import functools
import re
import stringprep
import unicodedata

import regex

from hubbub.core import tlds

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG = 40
SCHEMELESS_ALLOWANCE = len("https://")  # counted for a link typed without a scheme
CI = re.IGNORECASE | re.ASCII

LATIN = (r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
         r"\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
CYRILLIC = r"\u0400-\u04ff"
C = rf"[a-zA-Z0-9{LATIN}]"  # what host labels are made of ('-' and '_' inside)
LABEL = rf"{C}(?:[a-zA-Z0-9{LATIN}\-_]*{C})?\."  # a label with its dot
DNAME = rf"{C}(?:[a-zA-Z0-9{LATIN}\-]*{C})?\."  # the label before the top-level domain: no '_'
# A one-label host after http(s):// (ああ.com): anything but ASCII punctuation, Java's \s, the
# Unicode separators and U+2000-U+206F; '-' inside.
U = r"[^!-/:-@\[-`{-~\t\n\x0b\f\r\p{Z}\u2000-\u206f]"
AFTER_TLD = r"(?=[^a-zA-Z0-9@+\-]|\Z)"
# Not before a link: ASCII letters and digits, @ $ # (and full-width @ #), U+FFFE, FEFF, FFFF.
NOT_BEFORE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@$#\uff20\uff03"
    "\ufffe\ufeff\uffff"
)
NOT_BEFORE_SCHEMELESS = frozenset("-_./")
SPACE = r"\t\n\x0b\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # in no link


def trie_pattern(names: list[str]) -> str:
    """An alternation of names as a trie (for a pattern compiled with CI), longer names first
    (as twitter-text's list puts the two names that are prefixes of others), each followed by
    AFTER_TLD."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:  # type: ignore[type-arg]
        branches = [AFTER_TLD if char == "" else re.escape(char) + pattern(node[char])
                    for char in sorted(node, key=lambda c: (c == "", c))]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(trie)


ASCII_NAMES = [name for name in (*tlds.GENERIC, *tlds.COUNTRY) if name[0].isascii()]
_OTHER_NAMES = [name for name in (*tlds.GENERIC, *tlds.COUNTRY) if not name[0].isascii()]
# Two letters or a non-ASCII character must follow the dot before the trie is tried: most
# dots in prose fail there, in one step.
# The trie strings are built when a pattern holding them is first compiled, not at import
# (about 30 ms of each start of the hub).
@functools.cache
def _ascii_names() -> str:
    return trie_pattern(ASCII_NAMES)


@functools.cache
def names() -> str:
    return (rf"(?:(?=[a-z]{{2}}){_ascii_names()}"
            rf"|(?=[^\x00-\x7f]){trie_pattern(_OTHER_NAMES)})")
PUNYCODE = r"xn--[\-0-9a-z]+"


# The patterns that hold the list of top-level domains take ~0.2 s each to compile: compiled
# when first used, not when the hub imports this module.
@functools.cache
def tld_after_dot() -> re.Pattern[str]:
    """A dot and a top-level domain after it (a listed one, or punycode)."""
    return re.compile(rf"\.(?:{names()}|{PUNYCODE})", CI)


def tld_end(text: str, at: int) -> int | None:
    """Where the top-level domain starting at text[at] (after a dot) ends, if one does."""
    found = tld_after_dot().match(text, at - 1)
    return None if found is None else found.end()


@functools.cache
def last_tld() -> re.Pattern[str]:
    """Labels, the last without '_', then a top-level domain: backtracking finds the last one
    the labels reach, as twitter-text's pattern does."""
    return re.compile(rf"(?:{LABEL})*{DNAME}(?={names()}|{PUNYCODE})", CI)


CHAIN = re.compile(rf"(?:{LABEL})*+")
CHAIN_BEFORE = regex.compile(rf"(?r)(?:{LABEL})*+")
FIRST_LABEL = re.compile(LABEL)
U_RUN_BEFORE = regex.compile(rf"(?r)(?:{U}|-)*+")
ONE_LABEL = regex.compile(rf"{U}(?:(?:{U}|-)*{U})?\.")  # then a listed domain (no punycode)
START_IN_CHAIN = re.compile(rf"(?<=[\-_.{LATIN}]){C}")
C_CHAR = re.compile(C)
U_CHAR = regex.compile(U)

PATH_CHAR = rf"[a-zA-Z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{LATIN}{CYRILLIC}]"
PATH_END = rf"[a-zA-Z0-9=_#/\-+{LATIN}{CYRILLIC}]"
_PAIR = rf"\((?:{PATH_CHAR}++\)|{PATH_CHAR}*+\({PATH_CHAR}++\){PATH_CHAR}*+\))"
QUERY_CHAR = r"[a-zA-Z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]"
QUERY_END = r"[a-zA-Z0-9\-_&=#/]"
_PORT = re.compile(r":[0-9]++")
# A path is the longest run of path characters and balanced pairs (two levels deep) that ends
# on a path end character or a pair: the whole run, then back to its last such character or
# ')' (after the last pair only path characters follow, so the last ')' closes it). A query
# ends likewise on its last query end character.
_PATH_RUN = re.compile(rf"(?:{PATH_CHAR}++|{_PAIR})*+")
_PATH_LAST = regex.compile(rf"(?r)[a-zA-Z0-9=_#/\-+{LATIN}{CYRILLIC})]")
_QUERY_RUN = re.compile(rf"{QUERY_CHAR}*+")
_QUERY_LAST = regex.compile(rf"(?r){QUERY_END}")
TCO = re.compile(rf"https?://t\.co/([a-z0-9]+)(?:\?{QUERY_CHAR}*{QUERY_END})?", CI)


def run_end(pattern: re.Pattern[str], text: str, at: int) -> int:
    """Where a pattern that always matches (a possessive run) ends, matched at text[at]."""
    found = pattern.match(text, at)
    return at if found is None else found.end()


def run_start(pattern: regex.Pattern[str], text: str, first: int, end: int) -> int:
    """Where a backward pattern that always matches, matched back from text[end], starts (not
    before text[first])."""
    found = pattern.match(text, first, end)
    return end if found is None else found.start()


def after_host(text: str, at: int) -> int:
    """Where the port, path and query after a host ending at text[at] end."""
    port = _PORT.match(text, at)
    if port is not None:
        at = port.end()
    if text.startswith("/", at):
        run = run_end(_PATH_RUN, text, at + 1)
        last = _PATH_LAST.search(text, at + 1, run)
        at = at + 1 if last is None else last.end()
    if text.startswith("?", at):
        run = run_end(_QUERY_RUN, text, at + 1)
        last = _QUERY_LAST.search(text, at + 1, run)
        if last is not None:
            at = last.end()
    return at


def scheme_before(text: str, at: int) -> int:
    """The length of "http://" or "https://" (any case) right before text[at], else 0."""
    if at >= 8 and text[at - 8 : at].lower() == "https://":
        return 8
    return 7 if at >= 7 and text[at - 7 : at].lower() == "http://" else 0


# --- links of the common shape, matched whole in C -------------------------------------------
# http(s):// or none, ASCII labels of at most 63 characters without '_', a top-level domain
# that ends the labels, then port, path (no parenthesis after its run) and query: what the
# extractor makes of such a start, no more and no less (a longer label, a pair, '_'... and the
# pattern fails, and the step by step search takes over).
_LABELS = r"(?:(?=[a-z0-9])[a-z0-9\-]{1,63}+(?<!-)\.)+"  # possessive: no backtracking in words


def _simple_tld() -> str:
    return rf"(?=[a-z]{{2}}){_ascii_names()}"

_SIMPLE_AFTER_TLD = (
    rf"(?![a-z0-9{LATIN}\-_.@+])(?::[0-9]++)?+"
    rf"(?:/(?>(?:{PATH_CHAR}*{PATH_END})?)(?!{PATH_CHAR}*+\()|(?!/))"
    rf"(?:\?{QUERY_CHAR}*{QUERY_END})?"
)
# Before it, a character that no host label, scheme or path holds and a link may follow (not a
# letter, digit, - _ . / @ $ #): a match starting earlier would have to run through it. Only a
# one-label host after http(s):// may hold it (ああ.com), which the caller checks. Matched
# backwards from the dot before the top-level domain.
SAFE_BEFORE = rf"[^a-zA-Z0-9{LATIN}\-_./@$#\uff20\uff03\ufffe\ufeff\uffff]"
SIMPLE_BEFORE = regex.compile(
    rf"(?r)(?:(?<={SAFE_BEFORE})|(?<![\s\S]))(?P<scheme>https?://)?"
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+",
    regex.IGNORECASE | regex.ASCII,
)


@functools.cache
def simple_tail() -> re.Pattern[str]:
    """The rest of such a link from its top-level domain on."""
    return re.compile(_simple_tld() + _SIMPLE_AFTER_TLD, CI)


# A whole run between spaces (no link holds one) that is one such link, but for punctuation
# ending a sentence after it (which no link or match can start with, and stays). The space
# before it is one that weighs 1 with X, replaced by " " (the same weight) with the link; the
# caller puts a space before the text for a run at its start.
_END = rf"(?=[.,;:!?)\]'\"]*+(?:[{SPACE}]|\Z))"


@functools.cache
def simple_token() -> re.Pattern[str]:
    return re.compile(
        rf"[\t\n\x0b\f\r \xa0\u2000-\u200a](?=[a-z0-9])(?![^{SPACE}]{{4089}})"
        rf"(?:https?://(?!t\.co/))?{_LABELS}{_simple_tld()}(?:{_END}|{_SIMPLE_AFTER_TLD}{_END})", CI
    )


# --- runs of such links packed without spaces ("x.io,b.io,...") -------------------------------
# A link's start is known once the one before it is: it ends where the pattern above says, and
# the next starts right after the ASCII punctuation that follows (a character a link may follow,
# that no label, scheme or one-label host holds, and not '.', '/', '-' or '_', after which a link
# typed without a scheme is not kept). So a whole run between spaces that is such links and such
# punctuation is those links, each matched in turn. Each link is bounded (at most 8 labels of
# at most 63 characters, a port, path and query of at most 3,500) so that none passes X's 4,096.
# These run over text whose ASCII letters were lowered (X's links take either case): without
# IGNORECASE the patterns run twice as fast.
_SEP_CHARS = r"""!"%&'()*,:;<=>?\[\]^`{|}~\\"""
_SEP = f"[{_SEP_CHARS}]"
# After a run's last link, only such punctuation and dots (no letter after a dot: no top-level
# domain) up to the next space.
_RUN_END = rf"(?=[{_SEP_CHARS}.]*+(?:[{SPACE}]|\Z))"
_SEP_ENDING = r"""[!"%&'()*,;<=>\[\]^`{|}~\\]"""  # after a top-level domain, ends the link
_REST = rf"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@?(){LATIN}{CYRILLIC}]"
# (Each part, once matched, is kept: the punctuation after a link must not make the pattern
# give back its port or query, as the extractor never does.)
_PACKED_TAIL = rf"(?::[0-9]++)?+(?:/(?>(?:{PATH_CHAR}*{PATH_END})?)(?!{PATH_CHAR}*+\()|(?!/))" \
    rf"(?:\?(?>{QUERY_CHAR}*{QUERY_END}))?+"


def _packed_link() -> str:
    return (
        rf"(?:https?://(?!t\.co/))?(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}+(?<!-))?\.){{1,8}}+"
        rf"(?=[a-z]{{2}}){_ascii_names()}"
        rf"(?:(?={_SEP_ENDING})|(?![:/?]{_REST}{{3500}})(?![a-z0-9{LATIN}\-_.@+]){_PACKED_TAIL}"
        rf"|(?=\.{_RUN_END}))"
    )


@functools.cache
def packed_token() -> re.Pattern[str]:
    """A space (group 1), then a run of two or more such links (group 2), then only their
    punctuation and dots before the next space (in text whose ASCII letters were lowered)."""
    link = _packed_link()
    return re.compile(rf"([{SPACE}])((?=[a-z0-9]){link}(?:{_SEP}++{link})++){_RUN_END}")


# In such a run, each link starts after its punctuation and its host is the run of letters,
# digits, '-' and '.' from there; a port, path or query after it ends as above.
PACKED_LINK_IN_RUN = re.compile(rf"(?:https?://)?[a-z0-9.\-]++(?:(?=[:/?]){_PACKED_TAIL})?")
PORT_IN_RUN = re.compile(":[0-9]")


# --- IDNA 2003 ToASCII (RFC 3490), as twitter-text's Java IDN.toASCII(ALLOW_UNASSIGNED) -------

_LABEL_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_UCD_3_2 = unicodedata.ucd_3_2_0
_PROHIBITED = (stringprep.in_table_c12, stringprep.in_table_c22, stringprep.in_table_c3,
               stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6,
               stringprep.in_table_c7, stringprep.in_table_c8, stringprep.in_table_c9)


def idna_length(host: str) -> int:
    """The length of the host converted to ASCII, or 0 when it cannot be (a label empty or
    over 63 characters, a character nameprep prohibits, mixed directions...)."""
    if host.isascii():
        return len(host) if all(0 < len(label) <= 63 for label in host.split(".")) else 0
    size = 0
    for label in _LABEL_DOTS.split(host):
        converted = _to_ascii(label)
        if converted is None:
            return 0
        size += len(converted) + 1
    return size - 1


def _to_ascii(label: str) -> str | None:
    if not label.isascii():
        prepared = _nameprep(label)
        if prepared is None:
            return None
        label = prepared
        if not label.isascii():
            if label[:4].lower() == "xn--":
                return None
            try:
                label = "xn--" + label.encode("punycode").decode("ascii")
            except UnicodeError:
                return None
    return label if 0 < len(label) <= 63 else None


def _nameprep(label: str) -> str | None:
    """RFC 3491 with unassigned code points allowed: map, NFKC (Unicode 3.2), prohibit, and
    the bidirectional rule; None where it fails."""
    mapped = "".join(stringprep.map_table_b2(c) for c in label if not stringprep.in_table_b1(c))
    prepared = _UCD_3_2.normalize("NFKC", mapped)
    if any(test(c) for c in prepared for test in _PROHIBITED):
        return None
    right_to_left = [stringprep.in_table_d1(c) for c in prepared]
    if any(right_to_left) and (any(stringprep.in_table_d2(c) for c in prepared)
                               or not (right_to_left[0] and right_to_left[-1])):
        return None
    return prepared
