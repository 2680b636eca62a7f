"""counting_x_links finds what twitter-text's extractor finds, and counting_x weighs what its
parseTweet weighs, on many generated texts.

The reference here is twitter-text 3's link pattern restated for the `regex` module (a
backtracking engine like Java's: alternatives in order, atomic groups, the lookbehind for a
scheme), run as its extractor runs it: one match after another, each used up whether kept or
not, then the checks on the scheme, t.co and the host. It is quadratic on a long run of labels,
which is why the hub does not use it; on short texts it is the definition to compare with.
The conformance data (test_counting_x_conformance.py) checks both against twitter-text itself.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
import regex

from hubbub.core import counting_x, counting_x_grammar, counting_x_links, tlds
from hubbub.core.counting_emoji import EMOJI
from hubbub.core.counting_x_links import replace_simple_links, x_links, x_urls


def _either_case(name: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if "a" <= c <= "z" else regex.escape(c) for c in name)


_AFTER_TLD = r"(?=[^a-zA-Z0-9@+\-]|\Z)"
_GENERIC = "(?:" + "|".join(map(_either_case, tlds.GENERIC)) + ")" + _AFTER_TLD
_COUNTRY = "(?:" + "|".join(map(_either_case, tlds.COUNTRY)) + ")" + _AFTER_TLD
_PUNYCODE = r"(?:[xX][nN]--[\-0-9a-zA-Z]+)"
_LATIN = counting_x_grammar.LATIN
_CYRILLIC = counting_x_grammar.CYRILLIC
_C = rf"[a-zA-Z0-9{_LATIN}]"
_SUBDOMAIN = rf"(?>(?:{_C}[a-zA-Z0-9{_LATIN}\-_]*)?{_C}\.)"
_DOMAIN_NAME = rf"(?:(?:{_C}[a-zA-Z0-9{_LATIN}\-]*)?{_C}\.)"
_U = r"[^\-_!\"#$%&'()*+,./:;<=>?@\[\\\]^`{|}~ \t\n\x0b\f\r\p{Z}\u2000-\u206f]"  # Java's \p{Punct}
_UNICODE_NAME = rf"(?:(?:{_U}(?:{_U}|\-)*)?{_U}\.)"
_SCHEME_BEFORE = r"(?<=[hH][tT][tT][pP][sS]?://)"
_DOMAIN = (
    rf"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{_GENERIC}|{_COUNTRY}|{_PUNYCODE}))"
    rf"|(?:{_SCHEME_BEFORE}(?:(?:{_DOMAIN_NAME}{_COUNTRY})|(?:{_UNICODE_NAME}"
    rf"(?:{_GENERIC}|{_COUNTRY}))))"
    rf"|(?:{_DOMAIN_NAME}{_COUNTRY}(?=/))"
)
_PATH_CHAR = rf"[a-zA-Z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{_LATIN}{_CYRILLIC}]"
_PAIR = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"(?:[a-zA-Z0-9=_#/\-+{_LATIN}{_CYRILLIC}]|(?:{_PAIR}))"
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PAIR}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = r"[a-zA-Z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]"
_QUERY_END = r"[a-zA-Z0-9\-_&=#/]"
_BEFORE = (r"(?:[^a-zA-Z0-9@\uff20$#\uff03\ufffe\ufeff\uffff]"
           r"|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|^)")
EXTRACTOR = regex.compile(
    rf"(?P<before>{_BEFORE})(?P<url>(?P<scheme>[hH][tT][tT][pP][sS]?://)?(?P<domain>{_DOMAIN})"
    rf"(?::[0-9]++)?(?:/{_PATH}*+)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?)"
)
_TCO = regex.compile(rf"[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([a-zA-Z0-9]+)"
                     rf"(?:\?{_QUERY_CHAR}*{_QUERY_END})?")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def reference_urls(text: str) -> list[tuple[int, int]]:
    found = []
    for match in EXTRACTOR.finditer(text):
        scheme = match.group("scheme")
        if not scheme and match.group("before") in ("-", "_", ".", "/"):
            continue
        start, end = match.span("url")
        tco = _TCO.match(text, start, end)
        if scheme and tco is not None:
            if len(tco.group(1)) > 40:
                continue
            end = tco.end()
        host = match.group("domain")
        size = counting_x_grammar.idna_length(host)
        if size and _utf16(text[start:end]) + size - len(host) + (0 if scheme else 8) <= 4096:
            found.append((start, end))
    return found


PIECES = [
    "a", "b", "Z", "9", ".", "..", ".io", ".com", "b.io", "http://", "https://", "HTTPS://",
    "://", "example.com/", "a.b.c", "-", "_", "@", "/", "?", "#", ")", "(", " ", "\u00e9",
    "\u00c9", "xn--p1ai", "\u2603", "\u65e5", "\u3042\u3042", ":80", "user:pw@", ".jp", ".co",
    ".\u307f\u3093\u306a", "\u4e2d\u56fd", "t.co/", "abc", "=", "&", "'", ",", "$", "\u202a",
    "\u2066", "\ufeff", ".xn--ls8h", "a_b", "_.", "com", ".com.", "\u0301", "\u2013", "\u042f",
    "\n", "%20", "!", "~", ".ca", "verm\u00f6gensberater", ".\u5609\u91cc\u5927\u9152\u5e97",
    "\u5609\u91cc", "\u3002", "x_", "_y", "\u00e9.", "a-", "-a", "http://\u65e5", "\u00e7",
    ".io_", "co_uk.", "a.com_x", "@a.b", "#x.com", "\u00c9a.com", "\u02bb", ".com\u4e2d",
    "\U0001f600.", "http://\U0001f600", "\u00ad", ".COM", ".Io", "\t",
]


def generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        weights = [rng.random() for _ in PIECES]
        texts.append("".join(rng.choices(PIECES, weights, k=rng.randint(1, 30))))
    return texts


@pytest.mark.parametrize("seed", range(5))
def test_links_are_the_extractors(seed: int) -> None:
    for text in generated(seed, 3_000):
        assert x_urls(text) == reference_urls(text), repr(text)


def test_each_match_is_used_up_whether_kept_or_not() -> None:
    # The path of a link typed without a scheme after '.' holds a link with one: it is not a
    # link (the first was used up with it), though alone it would be.
    text = "see .a.com/https://x.io ok"
    assert [(link.start, link.consumed, link.kept) for link in x_links(text)] == [(5, 23, False)]
    assert x_urls(text) == reference_urls(text) == []
    assert x_urls("https://x.io ok") == [(0, 12)]
    assert x_urls("@a.io,b.io") == [(6, 10)]  # after '@' nothing starts; after ',' it may


# --- the weighted length ------------------------------------------------------------------------


def reference_length(text: str, url_length: int = 23) -> int:
    """parseTweet's count, step by step: each link url_length, each emoji sequence 2, each
    other code point 1 or 2 by its range."""
    text = unicodedata.normalize("NFC", text)
    if not text.strip("".join(map(chr, range(0x21)))):
        return 0
    links = dict(reference_urls(text))
    emoji = {match.start(): match.end() for match in EMOJI.finditer(text)}
    total = at = 0
    while at < len(text):
        if at in links:
            total, at = total + url_length, links[at]
        elif at in emoji:
            total, at = total + 2, emoji[at]
        else:
            total, at = total + counting_x.weight(text[at]), at + 1
    return total


EMOJI_PIECES = [
    "\U0001f44d", "\U0001f3fd", "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "#", "1", "\u2764",
    "\U0001f1e9", "\U0001f1ea", "\U000e0067", "\U000e007f", "\U0001f3f4", "\u0301", "e",
    "\u65e5", "\u2026", "\u2014", "\u1100", "\ufb2c", " ", "  ", "\n",
]


@pytest.mark.parametrize("seed", range(4))
def test_weighted_length_is_parse_tweets(seed: int) -> None:
    """Emoji beside links, links alone between spaces (replaced before the extractor runs)
    and not, every weight range; the reference walks the text as parseTweet does. (It finds
    the emoji in the whole text, links included; counting_x weighs the text between links:
    both agree unless an emoji sequence would start inside a link, which none of these do.)"""
    rng = random.Random(seed)
    pieces = [piece for piece in PIECES if piece not in ("1", "#")] + EMOJI_PIECES
    for _ in range(2_500):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 30)))
        if regex.search(r"[0-9#*]\ufe0f?\u20e3", text):  # a keycap may start inside a link
            continue
        assert counting_x.x_length(text) == reference_length(text), repr(text)


def test_links_alone_between_spaces_are_replaced_exactly_when_they_are_one_link() -> None:
    rng = random.Random(9)
    spaces = [" ", "\n", "\t", "\xa0", "\u3000", "\u2003"]
    tokens = ["b.io", "https://a.io", "http://example.com/x", "a.io/x.", "a.com?q=1", "t.co/x",
              "https://t.co/abc", "x.com:80/p", "a_b.com", "a.com(x)", "a.com/(x)", "nope",
              "a.b", "xn--p1ai.com", "www.example.co.uk/path#frag", "A.COM", "\u00e9.com",
              "https://a.io/x).", "b.io,", "b.io.", "(https://a.io)", "a.io?x=1&y=2).", "a.io:",
              "a.io/x?", "a.io!!", "\u3053\u3061\u3089\u3002example.com/ja/"]
    for _ in range(3_000):
        words = rng.choices(tokens, k=rng.randint(1, 8))
        text = "".join(word + rng.choice(spaces) for word in words)
        links = set(reference_urls(text))
        # (the shortcut runs over the text after a space, so positions here are one further)
        replaced = [(m.start(), m.end() - 1)
                    for m in counting_x_grammar.simple_token().finditer(" " + text)]
        assert set(replaced) <= links, repr(text)  # each replaced run is one whole link
        assert replace_simple_links(text, "x")[1] == len(replaced)
        assert counting_x.x_length(text) == reference_length(text), repr(text)


def test_code_point_weights_are_the_sum_of_each_code_points() -> None:
    rng = random.Random(3)
    chars = ["a", "\u00e9", "\u07ff", "\u0800", "\u10ff", "\u1100", "\u2000", "\u200c", "\u200d",
             "\u200e", "\u2010", "\u201f", "\u2020", "\u2032", "\u2037", "\u2038", "\u65e5",
             "\uffff", "\U0001f600", "\ud800", "\U0010ffff"]
    for _ in range(2_000):
        text = "".join(rng.choices(chars, k=rng.randint(0, 20)))
        assert counting_x.code_point_weights(text) == sum(map(counting_x.weight, text))


# --- links packed without spaces, and texts of many distinct emoji (issue 9) ---------------------

PACKED_LINKS = [
    "x.io", "b.IO", "https://a.io", "http://example.com/x", "a.io/x.", "a.com?q=1", "t.co/x",
    "https://t.co/abc", "x.com:80/p", "x.com:", "a_b.com", "a.com(x)", "a.com/(x)", "nope", "a.b",
    "xn--p1ai.com", "www.example.co.uk/path#frag", "A.COM", "\u00e9.com", "a.io?x=1&y=2",
    "a.io/x?", "a.io/a,b", "-a.io", "a-.io", "co.uk", "x.io.", "x.io:8b.io", "1.2.3.4", "http://",
    "a.community", "a.co", "a.io/p\u00e9",
]
PACKED_SEPARATORS = [*",;!?:()[]{}\"'<>=&%*|~^`\\", "", ".", "/", "-", "_", "@", "#", "$", ",,",
                     ":/", "\u00e9", "\u3002", "\u2026"]


@pytest.mark.parametrize("seed", range(3))
def test_links_packed_with_punctuation_count_as_the_extractor_finds_them(seed: int) -> None:
    """Runs of links joined by punctuation (replaced in C before the extractor runs, when the
    whole run between spaces is such links) and runs that only look like them."""
    rng = random.Random(seed)
    replaced = 0
    for _ in range(4_000):
        run = "".join(rng.choice(PACKED_LINKS) + rng.choice(PACKED_SEPARATORS)
                      for _ in range(rng.randint(1, 6)))
        space = rng.choice([" ", "\n", "\u3000", "\xa0", ""])
        text = (rng.choice(["", "a ", "(", "x "]) + run + space
                + rng.choice(["", "more b.io,c.de text", ".", ")."]))
        replaced += counting_x_links.replace_packed_links(text, "x")[1] > 0
        assert counting_x.x_length(text) == reference_length(text), repr(text)
    assert replaced > 500  # the shortcut was taken often, and agreed each time


def test_a_port_or_query_is_never_given_back_to_what_follows() -> None:
    # The pattern of a link of the common shape could drop a port (or a query) to match the
    # rest; the extractor takes them whenever they are there.
    text = "a.b\u2026x.com:80/p[a.com(x)/ ."
    assert x_urls(text) == reference_urls(text) == [(4, 24)]
    assert counting_x.x_length(text) == reference_length(text) == 30
    text = "x b.io?a.io/p\u00e9~a.b)b.io`a.io/x. more"
    assert counting_x.x_length(text) == reference_length(text)


def test_a_megabyte_of_packed_links_reaches_no_step_per_link(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """x.io, repeated: every link weighs 23 and every comma 1 (200,000 links a megabyte), and
    the extractor's step-by-step search is never entered."""
    steps: list[int] = []
    simple_link = counting_x_links._Scanner.simple_link

    def counted(self: counting_x_links._Scanner, dot: int) -> counting_x_links.XLink | None:
        steps.append(dot)
        return simple_link(self, dot)

    monkeypatch.setattr(counting_x_links._Scanner, "simple_link", counted)
    for unit in ("x.io,", "https://a.io;", "b.de)(", "a.io,b.com;c.co!"):
        text = unit * (1_000_000 // len(unit))
        links = [part for part in re.split(r"[,;)(!]+", text) if part]
        punctuation = len(text) - sum(map(len, links))
        assert counting_x.x_length(text) == 23 * len(links) + punctuation
        assert steps == []
    assert counting_x.x_length("x.io," * 10) == 10 * 23 + 10
    assert counting_x.x_length("a.com/x,b.io," * 3) == 23 + 1  # one path takes all but the end


def test_many_distinct_lone_emoji_weigh_two_each_without_finding_each(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """More distinct characters than an inventory keeps, none that joins an emoji: each
    pictograph is one emoji of weight 2, (c) and (R) included (1 as plain code points)."""
    emoji = [chr(0x1F600 + i) for i in range(80)] + ["\u00a9", "\u00ae", "\u2764", "\u231a"]
    rng = random.Random(4)
    for _ in range(300):
        text = "".join(rng.choice([*emoji, " ", "a", "\u65e5", "\u00e9"])
                       for _ in range(rng.randint(30, 80)))
        assert counting_x.x_length(text) == reference_length(text), repr(text)

    def refused(*args: object) -> None:
        raise AssertionError("each emoji found one by one")

    monkeypatch.setattr(counting_x, "emoji_stats", refused)
    text = "".join(emoji[i % 84] + " " for i in range(500_000))
    plain = sum(1 for c in text if c in " \u00a9\u00ae")  # weigh 1 each as code points
    assert counting_x.x_length(text) == 2 * 500_000 + 500_000 == 2 * (len(text) - plain) + plain + (
        text.count("\u00a9") + text.count("\u00ae"))
