"""Links in a post as X finds them (twitter-text 3's extractor, whose conformance data
tests/unit/data/twitter-text/ holds), in time linear in the text.

The rules, as the extractor applies them left to right (each match, kept or not, is used up
and the search goes on after it):

- A link may start after any character but an ASCII letter or digit, @ $ # (and their
  full-width forms) and U+FFFE/FEFF/FFFF, or at the text's start.
- It is an optional http:// or https://, then a host: labels of ASCII letters, digits and
  Latin letters with accents ('-' and, except in the label before the top-level domain, '_'
  inside them), each followed by '.', then a top-level domain from twitter-text's list (any
  case of its ASCII letters; not followed by an ASCII letter or digit, @ + or -) or punycode
  (xn--...). The host takes as many labels as it can. After http(s):// a host may also be one
  label of almost any characters (ああ.com).
- Then an optional port, path (ending on a letter, digit, one of = _ # / - + or a balanced
  parenthesis pair) and query (ending on a letter, digit or one of - _ & = # /).
- Found without http(s):// after one of - _ . /, it is not a link (but was used up).
- A t.co link keeps only its slug and query (a slug over 40 characters: no link).
- Its host must convert to ASCII (IDNA 2003, labels of 1 to 63 characters), and the link with
  the host so converted (and 8 more without a scheme) must be at most 4,096 characters.

The extractor's one pattern tries every start and, in a long run of labels without a top-level
domain, every label again: a megabyte of "a." takes it quadratic time. Here one C search finds
the next dot before a top-level domain. A link of the common shape through it (most links) is
matched in two C calls (counting_x_grammar.SIMPLE_BEFORE and simple_tail); otherwise the
labels before the dot are read once backwards and the labels after it once per run (the last
usable domain is cached), so each character is read a bounded number of times.
tests/unit/test_counting_x_links.py checks this against twitter-text's pattern, restated for
the `regex` module and run as the extractor runs it, on generated texts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from hubbub.core import counting_x_grammar as g

__all__ = ["XLink", "replace_packed_links", "replace_simple_links", "x_links", "x_urls"]


class XLink(NamedTuple):
    """A match of the extractor: text[start:end] is the link (a t.co link cut after its slug
    and query), text[start:consumed] what the match used up; kept or not."""

    start: int
    end: int
    consumed: int
    kept: bool


def x_links(text: str) -> list[XLink]:
    """Every match of the extractor in text, kept or not, in order."""
    return list(_Scanner(text).matches()) if "." in text else []


def x_urls(text: str) -> list[tuple[int, int]]:
    """Where X sees links in (NFC) text, as (start, end) spans, in order."""
    return [(link.start, link.end) for link in x_links(text) if link.kept]


def replace_simple_links(text: str, placeholder: str) -> tuple[str, int]:
    """The text with each run between spaces that is one link of the common shape replaced by
    placeholder (the space before it, one that weighs 1 for X, by " "), and how many were: one
    `subn` in C. No link, emoji or cluster crosses a space, so nothing else changes."""
    text, count = g.simple_token().subn(" " + placeholder.replace("\\", "\\\\"), " " + text)
    return text[1:], count


def replace_packed_links(text: str, placeholder: str) -> tuple[str, int]:
    """The text with each run between spaces that is links of the common shape packed with
    punctuation ("x.io,b.io;https://c.io/x") replaced by one placeholder per link and its
    punctuation (ASCII, which X weighs 1 each), and how many links were; in C calls whatever
    their number. Its ASCII letters are lowered, which changes no count of X's (links take
    either case, and every ASCII character weighs 1). The runs are found and marked by one
    `subn` (a NUL before and after each; a text that holds a NUL keeps its links for the
    extractor); their links are then counted all at once (below). No placeholder or
    punctuation left in such a run reaches a neighbour: it lies between a space and only
    punctuation and dots before the next."""
    if "\x00" in text:
        return text, 0
    lowered = text.lower() if text.isascii() else (
        text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass"))
    marked, runs = g.packed_token().subn("\\1\x00\\2\x00", " " + lowered)
    if not runs:
        return text, 0
    parts = marked[1:].split("\x00")
    inner = "\x00".join(parts[1::2])
    links, punctuation = _packed_counts(inner, runs)
    if links is None:  # a port, path or query: each link found by a pattern
        replaced, links = g.PACKED_LINK_IN_RUN.subn(placeholder.replace("\\", "\\\\"), inner)
        parts[1::2] = replaced.split("\x00")
    else:
        parts[1::2] = [""] * runs
        parts[1] = placeholder * links + "," * punctuation
    return "".join(parts), links


# Links without a port, path or query are letters, digits, '.', '-' and "http(s)://": mapped to
# "a" (the scheme's '/' kept), the punctuation between them to ',' but ':' (also a scheme's).
_SHAPES = bytes.maketrans(
    b"abcdefghijklmnopqrstuvwxyz0123456789.-" + b"!\"%&'()*,;<=>?[]^`{|}~\\\x00",
    b"a" * 38 + b"," * 24,
)


def _packed_counts(inner: str, runs: int) -> tuple[int | None, int]:
    """How many links and how much punctuation the runs (joined by NULs) hold, when no link in
    them has a port, path or query (else None): then every link starts after punctuation (or
    at a run's start) and nothing else does."""
    if "?" in inner or inner.count("/") != 2 * inner.count("://") or g.PORT_IN_RUN.search(inner):
        return None, 0
    shapes = inner.encode("ascii").translate(_SHAPES)
    links = 1 + shapes.count(b",a") + shapes.count(b":a")  # a run's first, then one a start
    punctuation = shapes.count(b",") - (runs - 1) + shapes.count(b":") - shapes.count(b"://")
    return links, punctuation


class _Scanner:
    """One pass of the extractor over a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0  # text[:at] is used up; a match's preceding character may be text[at]
        self.fresh = True  # nothing tried yet: a match may also start at the text's start
        self.chain: tuple[int, int, int | None] | None = None  # (from, end, last usable TLD)

    def may_start(self, start: int) -> bool:
        if start == 0:
            return self.fresh
        return start > self.at and self.text[start - 1] not in g.NOT_BEFORE

    def matches(self) -> Iterator[XLink]:
        text = self.text
        search_from = 0
        search = g.tld_after_dot().search
        while (hit := search(text, search_from)) is not None:
            dot = hit.start()
            found = self.simple_link(dot) or self.match_reaching(dot)
            self.fresh = False
            if found is None:
                self.at, search_from = dot, dot + 1  # nothing starts at or before this dot
                continue
            self.at = search_from = found.consumed
            yield found

    def simple_link(self, dot: int) -> XLink | None:
        """The match through text[dot] if it is a link of the common shape (two C calls: the
        scheme and labels before the dot, backwards, then the rest)."""
        text = self.text
        before = g.SIMPLE_BEFORE.match(text, 0 if self.fresh else self.at + 1, dot + 1)
        if before is None:
            return None
        start = before.start()
        if start == 0 and not self.fresh:
            return None
        if before.group("scheme") and text[before.end("scheme") : before.end("scheme") + 5].lower(
        ) == "t.co/":
            return None
        if start and self.in_one_label_host(start - 1):
            return None
        after = g.simple_tail().match(text, dot + 1)
        if after is None or after.end() - start > g.MAX_URL_LENGTH - g.SCHEMELESS_ALLOWANCE:
            return None
        return XLink(start, after.end(), after.end(), True)

    def in_one_label_host(self, at: int) -> bool:
        """Whether text[at] may be part of a one-label host right after http(s):// (ああ.com):
        then a match starting before it may hold it."""
        text = self.text
        first = 0 if self.fresh else self.at + 1
        if text.rfind("//", max(first - 2, 0), at) == -1 or not g.U_CHAR.match(text, at):
            return False
        return bool(g.scheme_before(text, g.run_start(g.U_RUN_BEFORE, text, first, at + 1)))

    def match_reaching(self, dot: int) -> XLink | None:
        """The first match that starts at or before text[dot] (a dot before a top-level domain,
        the first after self.at): only one whose host runs through that dot can."""
        text = self.text
        first = 0 if self.fresh else self.at + 1
        if dot < first:
            return None
        chain_start = g.run_start(g.CHAIN_BEFORE, text, first, dot + 1)
        # A one-label host (ああ.com) needs http(s):// right before it.
        label_start = (g.run_start(g.U_RUN_BEFORE, text, first, dot)
                       if text.rfind("//", max(first - 2, 0), dot) != -1 else chain_start)
        for host in sorted({chain_start, label_start}):  # with a scheme right before the host
            scheme = g.scheme_before(text, host)
            if scheme and host < dot and self.may_start(host - scheme):
                found = self.link(host - scheme, host, scheme=True)
                if found is not None:
                    return found
        if label_start < chain_start and self.may_start(label_start):
            found = self.link(label_start, label_start, scheme=False)
            if found is not None:
                return found
        if chain_start == dot + 1:
            return None
        for start in self.starts(chain_start, dot):
            found = self.link(start, start, scheme=False)
            if found is not None:
                return found
        return None

    def starts(self, chain_start: int, dot: int) -> Iterator[int]:
        """Where a scheme-less host may start in the labels before the dot, in the order the
        extractor tries them: the first start that may; failing that, only a start after the
        last '_' of the label before the dot can reach a top-level domain (the others reach
        the same ones as the first)."""
        text = self.text
        first = self.next_start(chain_start, dot)
        if first == 0 and not text[0].isascii() and g.C_CHAR.match(text, 1):
            # At the text's start, a link after the first character (an accented letter, which
            # may also start one) is tried before a link from the first character.
            yield 1
        if first is not None:
            yield first
        label = max(text.rfind(".", chain_start, dot) + 1, chain_start)
        underscore = text.rfind("_", label, dot)
        if underscore != -1:
            after = self.next_start(underscore + 1, dot)
            if after is not None and (first is None or after > first):
                yield after

    def next_start(self, at: int, stop: int) -> int | None:
        """The first place in text[at:stop] (within labels) where a scheme-less host may start:
        a label character after a character a link may follow."""
        if at < stop and self.may_start(at) and g.C_CHAR.match(self.text, at):
            return at
        found = g.START_IN_CHAIN.search(self.text, at + 1, stop)
        return None if found is None else found.start()

    def link(self, start: int, host: int, *, scheme: bool) -> XLink | None:
        """The match starting at text[start] with its host at text[host], if there is one."""
        text = self.text
        host_end = self.host_end(host)
        if host_end is None and (scheme or g.scheme_before(text, host)):
            one_label = g.ONE_LABEL.match(text, host)
            if one_label is not None and text[one_label.end() : one_label.end() + 4].lower() != (
                    "xn--"):  # a listed domain only, no punycode
                host_end = g.tld_end(text, one_label.end())
        if host_end is None:
            return None
        consumed = g.after_host(text, host_end)
        end = consumed
        kept = scheme or start == 0 or text[start - 1] not in g.NOT_BEFORE_SCHEMELESS
        if kept and scheme:
            tco = g.TCO.match(text, start, consumed)
            if tco is not None:
                kept = len(tco.group(1)) <= g.MAX_TCO_SLUG
                end = tco.end()
        if kept:
            size = g.idna_length(text[host:host_end])
            link = text[start:end]
            utf16 = len(link) + sum(c > "\uffff" for c in link) if not link.isascii() else len(link)
            kept = bool(size) and utf16 + size - (host_end - host) + (
                0 if scheme else g.SCHEMELESS_ALLOWANCE) <= g.MAX_URL_LENGTH
        return XLink(start, end, consumed, kept)

    def host_end(self, at: int) -> int | None:
        """Where the labels from text[at] end with the last top-level domain they reach
        (the label before it without '_'), or None."""
        text = self.text
        own = g.FIRST_LABEL.match(text, at)
        if own is None:
            return None
        later = self.last_usable(own.end())
        if later is not None:
            return g.tld_end(text, later)
        if "_" not in text[at : own.end()]:
            return g.tld_end(text, own.end())
        return None

    def last_usable(self, at: int) -> int | None:
        """Where the last top-level domain starts that the labels from text[at] (a label's
        start) reach with a label without '_' right before it; cached for the run of labels."""
        cached = self.chain
        if cached is None or not cached[0] <= at < cached[1]:
            end = g.run_end(g.CHAIN, self.text, at)
            found = g.last_tld().match(self.text, at)
            cached = self.chain = (at, max(end, at + 1), None if found is None else found.end())
        return cached[2] if cached[2] is not None and cached[2] > at else None
