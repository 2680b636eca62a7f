"""Links and mentions as a Mastodon server finds them when it counts a post, in one pass.

Mastodon (app/validators/status_length_validator.rb) counts content warning + text in grapheme
clusters, where each link it finds counts as 23 characters and `@user@domain` as `@user`. It
finds links with twitter-text 3.1.0's extractor as Mastodon's config/initializers/twitter_regex.rb
changes it, and mentions with its own pattern (Account::MENTION_RE); docs/composer.md states the
rules in words. Here they are applied left to right, each character looked at a bounded number
of times, so a megabyte of hostile text costs milliseconds, not minutes.

Where we cannot be sure what the server decides, a link counts the larger of 23 and its length:
never less than the server counts, so a post we accept is not refused at send time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import regex

from hubbub.core import tlds

SCHEMES = frozenset({"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "gemini"})
MAX_URL_LENGTH = 4096  # twitter-text: longer links are not links
MAX_TCO_SLUG = 40

# Characters that may not come right before a link: ASCII letters and digits (and the two
# non-ASCII letters that fold to k and s), @ $ # and their full-width forms, U+FFFE/FEFF/FFFF.
_NOT_BEFORE_LINK = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@$#\uff20\uff03"
    "\ufffe\ufeff\uffff\u212a\u017f"
)
_SPACE = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# A host character: anything but ASCII punctuation, controls and spaces, other spaces, bidi
# controls and U+FFFE/FEFF/FFFF. Labels hold these, '-' inside, '_' inside a subdomain.
_H = rf"[^\x00-\x20\x7f!-/:-@\[-`{{-~{_SPACE}{_BIDI}\ufffe\ufeff\uffff]"
# Patterns without Unicode properties use the standard library's re: it matches a class of
# plain ranges character by character several times faster than the regex module (a host's
# labels: 0.3 against 2.6 us).
_CHAIN = re.compile(rf"(?:{_H}++(?:[-_]++{_H}++)*+\.)*+")  # labels, each followed by '.'
_LETTERS = re.compile(r"[A-Za-z]++")
_ALNUM = re.compile(r"[0-9A-Za-z]++")
# After a top-level domain: not an ASCII letter or digit, @ + or - (so "example.comma" ends in
# no top-level domain).
_NOT_AFTER_TLD = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@+-\u212a\u017f"
)
_ASCII_TLDS = frozenset(name for name in (*tlds.GENERIC, *tlds.COUNTRY) if name.isascii())
_OTHER_TLDS: dict[str, list[str]] = {}  # by first character, in the list's order
for _name in (*tlds.GENERIC, *tlds.COUNTRY):
    if not _name.isascii():
        _OTHER_TLDS.setdefault(_name[0], []).append(_name.lower())

# Path: '/' then characters other than spaces, < > ( ) ?, with parentheses in balanced pairs
# (two levels at most); it ends on a character that is not punctuation ending a sentence
# (_END), or on a balanced pair whose inside is twitter-text's narrower URL alphabet (_NARROW).
_P = r"[^\p{White_Space}<>()?]"
_PAIR = rf"(?>\((?:{_P}++\)|{_P}*+\({_P}++\){_P}*+\)))"
_LATIN_ACCENTS = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    r"\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_NARROW = rf"[A-Za-z\u212a\p{{Cyrillic}}0-9!*';:=+,.$/%#\[\]\p{{Pd}}_~&|@{_LATIN_ACCENTS}]"
_NARROW_PAIR = rf"(?>\((?:{_NARROW}++\)|{_NARROW}*+\({_NARROW}++\){_NARROW}*+\)))"
_END = rf"(?:[^\p{{White_Space}}()?!*\"'「」<>;:=,.$%\[\]~&|@]|{_NARROW_PAIR})"
_UNIT = rf"{_P}*(?:{_PAIR}{_P}*)*{_END}"
# Query: '?' then URL characters, ending on a letter, digit or _ & = # / -.
_U = (
    r"\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    r"\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    r"\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    r"\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    r"\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY = rf"\?[A-Za-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_U}]*[A-Za-z0-9_&=#/\-{_U}]"

# After the host: optional port, path and query. Backtracking happens only at the path's and
# the query's last character, a single pass back over a run without spaces.
_AFTER_HOST = regex.compile(rf"(?::[0-9]++)?(?:/(?:{_UNIT})*)?(?:{_QUERY})?")
# The same in parts: a path is the longest run of path characters and pairs that ends on an end
# character or a narrow pair; without a pair in the run, the run then back to its last end
# character (one C pass each way: the backtracking pattern took 160 ms over a megabyte of dots).
_PORT = re.compile(r":[0-9]++")
_SPACES = r"\t\n\x0b\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PATH_RUN = regex.compile(rf"(?:{_P}++|{_PAIR})*+")
_PATH_LAST_END = regex.compile(rf"(?r)[^{_SPACES}()?!*\"'「」<>;:=,.$%\[\]~&|@]")
_PATH = regex.compile(rf"(?:{_UNIT})*")
_QUERY_RE = regex.compile(_QUERY)


def _after_host(text: str, at: int) -> int:
    """Where the port, path and query after a host ending at text[at] end (as _AFTER_HOST)."""
    at = _end(_PORT, text, at)
    if text.startswith("/", at):
        run = _end(_PATH_RUN, text, at + 1)
        if text.find("(", at + 1, run) == -1:
            last = _PATH_LAST_END.search(text, at + 1, run)
            at = at + 1 if last is None else last.end()
        else:
            at = _end(_PATH, text, at + 1)
    return _end(_QUERY_RE, text, at)
# A scheme of ours and "://", not right after another ASCII letter (then it is no scheme).
_SCHEME_NAMES = r"(?<![A-Za-z])(?i:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
_SCHEME = regex.compile(_SCHEME_NAMES)


_AFTER = "(?-i:(?![0-9A-Za-z@+\\-\u212a\u017f]))"  # what may not follow a top-level domain


def _trie(names: list[str]) -> str:
    """An alternation of names as a trie (names in lower case, matched ignoring case), each
    followed by _AFTER."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:  # type: ignore[type-arg]
        branches = [_AFTER if c == "" else re.escape(c) + pattern(node[c])
                    for c in sorted(node, key=lambda c: (c == "", c))]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(trie)


# Only a "://" whose labels reach a listed top-level domain can start a link: the others are
# passed over in C (a megabyte of "http://a." is 111,111 schemes and no link); find_links then
# looks for the scheme before it. A superset of what _host_end takes, which decides. Run on
# the text in lower case when that keeps every position (one C call), else ignoring case.
# Patterns holding the list of top-level domains take ~0.3 s each to compile: compiled when
# first used, not when the hub imports this module (nor their tries built: ~25 ms of a start).
@functools.cache
def _candidate(flags: int) -> re.Pattern[str]:
    listed = _trie(sorted({name.lower() for name in (*tlds.GENERIC, *tlds.COUNTRY)}))
    return re.compile(rf"://(?=(?:{_H}++(?:[-_]++{_H}++)*+\.)+"
                      rf"(?:(?=[a-z]{{2}}|[^\x00-\x7f]){listed}|xn--[0-9a-z]))", flags)


def _hosts_after_schemes(text: str) -> Iterator[int]:
    """Where a host may start after "://" (a superset of where one does)."""
    lowered = text.lower()
    if len(lowered) == len(text):  # every character lowered to one: positions kept
        return (found.end() for found in _candidate(0).finditer(lowered))
    return (found.end() for found in _candidate(re.IGNORECASE).finditer(text))


_TCO = regex.compile(r"(?i:https?://t\.co/)([A-Za-z0-9\u212a\u017f]++)")
# A link without a scheme that Mastodon finds (and ignores) would hide a scheme inside its
# path or query: a '.' and later a '/' or '?' in the same run of non-space text.
_SPACE_RE = regex.compile(r"\p{White_Space}", regex.REVERSE)

# Mentions (Account::MENTION_RE): '@' not after '=', '/' or a word character; a user name of
# ASCII letters, digits and '_', with '.' or '-' runs inside; optionally '@' and a domain of word
# characters with '.' or '-' runs inside. Not a mention when '@', a Latin accented letter or
# "://" follows (the server then skips the match, and no shorter one is tried: the user name and
# domain are taken whole, and without its domain a mention is followed by '@').
_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
_USER = r"[A-Za-z0-9_\u212a\u017f]"
_MENTION_AT = rf"(?<![=/]|{_WORD})@({_USER}++(?:[.\-]++{_USER}++)*+)"
_MENTION_DOMAIN = rf"@{_WORD}++(?:[.\-]++{_WORD}++)*+"
_MENTION_END = rf"(?![@\uff20{_LATIN_ACCENTS}]|://)"
_MENTION = regex.compile(rf"{_MENTION_AT}(?:{_MENTION_DOMAIN})?{_MENTION_END}")
# The same with the domain required: it finds exactly the mentions of _MENTION that have one (a
# user name followed by '@' is no mention without its domain, and a match holds no '@' where
# another could start). Only these count other than as written, and a mention never holds the
# start of a link, so the others cannot change a count.
_MENTION_ELSEWHERE = regex.compile(rf"{_MENTION_AT}{_MENTION_DOMAIN}{_MENTION_END}")
# What every such mention holds: a quick test (re, 20 ms a megabyte) before the slower pattern.
_USER_THEN_AT = re.compile(r"@[A-Za-z0-9_\u212a\u017f]+(?:[.\-]+[A-Za-z0-9_\u212a\u017f]+)*@")
# The same for ASCII text, where a word character is a letter, digit or '_': re runs it about
# three times faster (a megabyte of "@a@b.c " 125 -> 40 ms).
_ASCII_WORD = "[A-Za-z0-9_]"
_ASCII_MENTION_ELSEWHERE = re.compile(
    rf"(?<![=/])(?<!{_ASCII_WORD})@([A-Za-z0-9_]++(?:[.\-]++[A-Za-z0-9_]++)*+)"
    rf"@{_ASCII_WORD}++(?:[.\-]++{_ASCII_WORD}++)*+(?!@|://)"
)

# An entity: (start, end, what text[start:end] counts as). A link's placeholder is LINK (or
# MAYBE_LINK where the server might not take it for one); a mention's is "@user".
LINK = "\x00link"
MAYBE_LINK = "\x00maybe"
Entity = tuple[int, int, str]


def _end(pattern: re.Pattern[str] | regex.Pattern[str], text: str, at: int) -> int:
    """Where a pattern that always matches (a possessive run) ends, matched at text[at]."""
    found = pattern.match(text, at)
    return at if found is None else found.end()


def _may_start(text: str, start: int, consumed: int) -> bool:
    """A link may start here: after a character allowed before one that no earlier match
    took, or at the start of a line."""
    if start == 0 or text[start - 1] == "\n":
        return True
    return start > consumed and text[start - 1] not in _NOT_BEFORE_LINK


def _tld_end(text: str, at: int) -> int | None:
    """Where a top-level domain starting at text[at] ends, if one does."""
    letters = _LETTERS.match(text, at)
    if letters is not None:
        end = letters.end()
        if letters.group().lower() in _ASCII_TLDS and (
            end == len(text) or text[end] not in _NOT_AFTER_TLD
        ):
            return end
        if letters.group().lower() == "xn" and text.startswith("--", end):
            code = _ALNUM.match(text, end + 2)
            return None if code is None else code.end()
        return None
    for name in _OTHER_TLDS.get(text[at : at + 1].lower(), ()):
        end = at + len(name)
        if text[at:end].lower() == name and (end == len(text) or text[end] not in _NOT_AFTER_TLD):
            return end
    return None


def _host_end(text: str, at: int) -> int | None:
    """Where the host starting at text[at] ends: labels then a top-level domain, as many labels
    as can be (the server's pattern takes all it can, then gives back one at a time until a
    top-level domain follows). The label right before the top-level domain holds no '_'."""
    chain_end = _end(_CHAIN, text, at)
    if chain_end == at:
        return None
    chain = text[at:chain_end]
    labels = chain[:-1].split(".")
    tld_at = chain_end
    if (
        chain.isascii()
        and "_" not in chain
        and "xn--" not in chain.lower()
        and _ASCII_TLDS.isdisjoint(chain[:-1].lower().split(".")[1:])
    ):
        return _tld_end(text, tld_at)  # no label is a top-level domain: only the end can be
    if "_" not in labels[-1]:
        end = _tld_end(text, tld_at)
        if end is not None:
            return end
    for index in range(len(labels) - 1, 0, -1):
        tld_label = labels[index]
        tld_at -= len(tld_label) + 1
        if "_" in labels[index - 1]:
            continue
        if tld_label.isascii() and "_" not in tld_label:
            # All letters: the label is the top-level domain or none; mixed: never one.
            if tld_label.isalpha() and tld_label.lower() in _ASCII_TLDS:
                return tld_at + len(tld_label)
            if not tld_label.lower().startswith("xn--"):
                continue
        end = _tld_end(text, tld_at)
        if end is not None:
            return end
    return None


def _domain_ok(url: str, host: str) -> bool | None:
    """twitter-text's domain check: the host converts to ASCII (IDNA) and the link, with the
    host so converted, is at most MAX_URL_LENGTH long. None when the conversion fails here:
    the server's converter may still take it."""
    if host.isascii():
        encoded = host
        if max(map(len, host.split("."))) > 63:
            return False  # IDNA refuses a label that long
    else:
        try:
            encoded = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return len(url) + max(0, len(encoded) - len(host)) <= MAX_URL_LENGTH


class _Hidden:
    """Tells whether a scheme may lie inside a scheme-less link Mastodon found and dropped
    (whose characters then count in full): after the last space and the last match, a '.'
    and then a '/' or '?' came before it. Reads each character once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.seen = 0  # text[:seen] has been read
        self.dot = False
        self.hidden = False

    def before(self, start: int, consumed: int) -> bool:
        text = self.text
        if consumed > self.seen:
            self.seen, self.dot, self.hidden = consumed, False, False
        space = _SPACE_RE.search(text, self.seen, start)
        if space is not None:
            self.seen, self.dot, self.hidden = space.end(), False, False
        if not self.dot:
            dot = text.find(".", self.seen, start)
            if dot == -1:
                self.seen = start
                return False
            self.dot, self.seen = True, dot + 1
        if not self.hidden:
            self.hidden = any(text.find(c, self.seen, start) != -1 for c in "/?")
        self.seen = start
        return self.hidden


def find_links(text: str) -> list[Entity]:
    """Links Mastodon shortens to 23 characters, in order, without overlaps."""
    links: list[Entity] = []
    if "://" not in text:
        return links
    consumed = 0  # the server's scan has used text[:consumed]
    hidden = _Hidden(text)
    for host_at in _hosts_after_schemes(text):
        scheme = _SCHEME.search(text, max(host_at - 9, 0), host_at)
        if scheme is None or scheme.end() != host_at:
            continue
        start = scheme.start()
        if start < consumed or not _may_start(text, start, consumed):
            continue
        host_end = _host_end(text, host_at)
        if host_end is None:
            continue
        end = _after_host(text, host_end)
        url_end = end
        drop = False
        if text[host_at : host_at + 5].lower() == "t.co/":
            tco = _TCO.match(text, start, end)
            if tco is not None:
                drop = len(tco.group(1)) > MAX_TCO_SLUG
                url_end = tco.end()
        valid = _domain_ok(text[start:url_end], text[host_at:host_end])
        sure = valid is not None and not hidden.before(start, consumed)
        if not drop and valid is not False:
            links.append((start, url_end, LINK if sure else MAYBE_LINK))
        consumed = end
    return links


# A whole run between spaces that is an http(s) link of the common shape: ASCII labels of at most
# 63 characters without '_', a listed top-level domain ending them, a path of letters, digits
# and / _ - . # + = % ~ ending on one that may end it (not . = % ~), a query of letters, digits
# and & = _ - . % + ending on one that may end it (not . % +), and no more; not t.co, at most
# 4,096 characters. The server counts such a run as one link (the run starts with the scheme:
# nothing before it in the run can hide it), and nothing in it can be part of anything else.
# The runs are between ASCII spaces and U+0085 only: a query may hold the other spaces.
_RUN_SPACES = r"\t\n\x0b\f\r \x85"


@functools.cache
def _simple_token() -> re.Pattern[str]:
    body = (
        rf"https?://(?!t\.co/)(?![^{_RUN_SPACES}]{{4097}})"
        rf"(?:(?=[a-z0-9])[a-z0-9\-]{{1,63}}+(?<!-)\.)+(?=[a-z]{{2}}){_trie(sorted(_ASCII_TLDS))}"
        rf"(?:/(?:[a-z0-9/_\-.#+=%~]*[a-z0-9/_\-#+])?)?(?:\?[a-z0-9&=_\-.%+]*[a-z0-9&=_\-])?"
        rf"(?=[{_RUN_SPACES}]|\Z)"
    )
    return re.compile(rf"([{_RUN_SPACES}]){body}", re.IGNORECASE | re.ASCII)


def replace_simple_links(text: str, placeholder: str) -> str:
    """The text with each run between spaces that is one link of the common shape replaced by
    placeholder (one `sub` in C, over the text after a space that is then dropped; the spaces
    stay as they were, so no cluster, link or mention around it changes)."""
    return _simple_token().sub("\\g<1>" + placeholder.replace("\\", "\\\\"), " " + text)[1:]


def find_mentions(text: str, *, with_domain_only: bool = False) -> list[Entity]:
    """Mentions as Mastodon finds them, in order (only those naming a domain, if asked: the
    others count as written)."""
    if "@" not in text or (with_domain_only and _USER_THEN_AT.search(text) is None):
        return []
    pattern = _MENTION_ELSEWHERE if with_domain_only else _MENTION
    return [(m.start(), m.end(), "@" + m.group(1)) for m in pattern.finditer(text)]


def shorten_mentions(text: str) -> str:
    """The text with each mention that names a domain cut to "@user", as the server counts a
    text in which it finds no link (one pass in C, not a Python step per mention)."""
    if "@" not in text or _USER_THEN_AT.search(text) is None:
        return text
    if text.isascii():
        return _ASCII_MENTION_ELSEWHERE.sub(r"@\1", text)
    return _MENTION_ELSEWHERE.sub(r"@\1", text)


def entities(text: str, *, counted_only: bool = False) -> list[Entity]:
    """Links and mentions by position; of two that overlap the earlier one stays (as the
    server's remove_overlapping_entities keeps it). counted_only leaves out the mentions
    that count as written (without a domain)."""
    links = find_links(text)
    mentions = find_mentions(text, with_domain_only=counted_only)
    if not links or not mentions:
        return links or mentions  # each list is in order and without overlaps
    kept: list[Entity] = []
    end = 0
    for entity in sorted(links + mentions):
        if entity[0] >= end:
            kept.append(entity)
            end = entity[1]
    return kept
