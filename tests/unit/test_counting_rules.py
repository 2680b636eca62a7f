"""core/counting.py, rule by rule and at each limit: X (twitter-text v3 weights), Threads,
LinkedIn, Nostr (graphemes against a relay's NIP-11 limit), Mastodon and Bluesky at their
limits, with emoji sequences, flags, skin tones, keycaps, combining marks, CJK and RTL text.

The X expectations marked "conformance" restate facts from twitter-text's published v3
conformance data (lengths of given inputs); the tables and the code are our own."""

from __future__ import annotations

import random
import unicodedata

import pytest
import regex

from hubbub.core.counting import (
    JOINING,
    LINKEDIN_MAX_LENGTH,
    LINKEDIN_RESERVED,
    PLANES_WITH_MARKS,
    RULES,
    THREADS_MAX_LENGTH,
    X_MAX_WEIGHTED_LENGTH,
    code_points_matching,
    count_text,
    graphemes,
    inline_warning,
    linkedin_escape,
    linkedin_length,
    threads_length,
    utf8_length,
    x_length,
    x_urls,
)
from hubbub.networks.base import Draft
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.networks.nostr.mapping import capabilities_from_documents

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 25 B
THUMBS_UP = "\U0001f44d"  # 👍 4 bytes
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽 emoji + skin tone, 8 bytes
FLAG_DE = "\U0001f1e9\U0001f1ea"  # 🇩🇪 two regional indicators, 8 bytes
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈 14 bytes
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tag sequence
KEYCAP_ONE = "1\ufe0f\u20e3"  # 1️⃣ 7 bytes
E_ACUTE_DECOMPOSED = "e\u0301"  # NFC makes it é (U+00E9)
HANGUL_JAMO = "\u1100\u1161\u11a8"  # 각 spelled in conjoining jamo; NFC composes U+AC01
ARABIC = "مَرْحَبًا"  # 5 letters, 4 harakat: 9 code points, 5 graphemes
HEBREW = "שָׁלוֹם"  # 4 letters, 3 points: 7 code points, 4 graphemes
SHIN_DAGESH_SHIN_DOT = "\ufb2c"  # NFC decomposes it into 3 code points
URL = "https://example.com/a/very/long/path/that/goes/on?and=on&on=on"


def x(text: str, warning: str = "") -> int:
    return count_text("x", text, content_warning=warning)


# --- X: what each code point weighs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "weight"),
    [
        ("a", 1),
        ("\u00e9", 1),
        ("\u05d0", 1),  # Hebrew
        ("\u0628", 1),  # Arabic
        ("\u0915", 1),  # Devanagari
        ("\u10ff", 1),  # last of the first weight-1 range
        ("\u1100", 2),  # first past it: Hangul jamo
        ("\u1fff", 2),
        ("\u2000", 1),  # en quad
        ("\u200d", 1),  # ZWJ, last of the second range
        ("\u200e", 2),  # left-to-right mark
        ("\u200f", 2),
        ("\u2010", 1),  # hyphen
        ("\u2014", 1),  # em dash
        ("\u201f", 1),
        ("\u2020", 2),  # dagger
        ("\u2026", 2),  # … ellipsis
        ("\u2031", 2),
        ("\u2032", 1),  # prime
        ("\u2037", 1),
        ("\u2038", 2),
        ("\u3002", 2),  # 。
        ("\u65e5", 2),  # 日
        ("\uac01", 2),  # 각
        ("\U00010000", 2),
        ("\U0010ffff", 2),
        ("\ufe0f", 2),  # a variation selector alone
    ],
)
def test_x_code_point_weights(char: str, weight: int) -> None:
    assert x(char) == weight


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FAMILY, 2),
        (THUMBS_UP, 2),
        (THUMBS_UP_MEDIUM, 2),
        (FLAG_DE, 2),
        (FLAG_DE * 2, 4),  # two flags
        (RAINBOW_FLAG, 2),
        (ENGLAND, 2),
        (KEYCAP_ONE, 2),
        ("#\u20e3", 2),  # keycap without FE0F
        ("1", 1),  # a digit alone is not an emoji
        ("\u00a9", 2),  # © is an emoji (text style by default, but still one)
        ("\u00a9\ufe0f", 2),
        ("\u00a9\ufe0e", 3),  # asked for its text look: © 1 + FE0E 2
        ("\U0001f3fd", 2),  # a skin tone alone
        ("\U0001f44b\U0001f3fd\U0001f44b", 4),  # 👋🏽👋
        # conformance: v3 counts each emoji sequence as 2
        ("H\U0001f431\u263a" + FAMILY, 7),
        ("\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9", 10),
        ("\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", 4),
        ("Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; " + ENGLAND, 34),
        ("Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe", 29),
    ],
)
def test_x_emoji_sequences_weigh_two(text: str, expected: int) -> None:
    assert x(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (E_ACUTE_DECOMPOSED, 1),  # NFC first: é
        ("A\u0301B", 2),  # conformance: Á is normalized into 1 char
        ("a\u0300\u0301\u0302", 3),  # à + two marks NFC cannot compose: code points, not graphemes
        (HANGUL_JAMO, 2),  # NFC composes one syllable, which weighs 2
        ("\u1100\u1100", 4),  # jamo that do not compose weigh 2 each
        (ARABIC, 9),  # every letter and mark in U+0600-06FF weighs 1
        (HEBREW, 7),
        ("A" + SHIN_DAGESH_SHIN_DOT, 4),  # conformance: NFC gives 3 code points of weight 1
        ("日本語", 6),
        ("저찀쯿쿿", 8),
        ("\u0915\u094d\u0937", 3),  # क्ष: one grapheme, three code points
        ("ABC\u202a\uffffABC\ufffe", 12),  # conformance (the text is invalid, the count holds)
    ],
)
def test_x_combining_marks_cjk_and_rtl(text: str, expected: int) -> None:
    assert x(text) == expected


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("http://test.com", ["http://test.com"]),
        ("test.com", ["test.com"]),  # without a scheme: a known TLD makes a link
        ("t.co", ["t.co"]),
        ("foo.co.jp www.foo.co.uk foo.jp", ["foo.co.jp", "www.foo.co.uk", "foo.jp"]),
        ("MLB.tv vine.co", ["MLB.tv", "vine.co"]),
        ("example.com/path/to/resource?search=foo&lang=en", None),
        ("HTTPS://www.ExaMPLE.COM/index.html", None),
        # twitter-text's validate.yml calls these valid URLs (isValidUrl checks a URL's syntax);
        # its extractor, which is what X counts with, finds no link in the first three (user
        # info, IP addresses) and ends a query on a letter, digit or one of - _ & = # /.
        ("http://user:PASSW0RD@example.com:8080/login.php", []),
        ("http://192.168.0.1/index.html?src=asdf", []),
        ("http://[3ffe:1900:4545:3:200:f8ff:fe21:67cf]:80/index.html", []),
        ("http://test_underscore.twitter.com", None),
        ("http://example.com?foo=$bar.;baz?BAZ&c=d-#top/?stories+",
         ["http://example.com?foo=$bar.;baz?BAZ&c=d-#top/?stories"]),
        ("http://\u2603.net/", None),  # a Unicode domain
        ("http://example.com/Русские_слова", None),
        ("http://foobar.پاکستان/", None),  # an IDN top-level domain
        ("https://www.youtube.com/playlist?list=PL0ZPu8XSRTB7wZzn0mLHMvyzVFeRxbWn-", None),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", None),  # balanced parentheses stay
        ("see https://example.com.", ["https://example.com"]),  # the full stop ends a sentence
        ("(https://example.com/x)", ["https://example.com/x"]),
        (
            "http://twitter.com/これは日本語です。example.com中国語",
            ["http://twitter.com/", "example.com"],
        ),
        ("これは日本語です。example.com/path/index.html中国語", ["example.com/path/index.html"]),
        ("@user Try http:// example.com/path", ["example.com/path"]),
        ("foo.baz www.xxxxxxx.baz foo.comm foo.somecom", []),  # unknown TLDs
        ("bob@example.com john.doe.jp@mail.com", []),  # e-mail addresses
        ("ftp://www.example.com/ xhttps://example.com", []),  # other schemes, glued
        ("http://256.1.2.3/ http://www.-domain4352.com/ http://test.-twitter.com", []),
        ("http://domain-dash_2314352345_dfasd.foo-cow_4352.com", []),  # _ in the domain
        ("http://xn--\u306f\u3058\u3081\u3088\u3046.com/index.html", []),  # bad punycode
        ("randomurl" * 7 + "s.com", []),  # a 64-character label
        ("$example.com #example.com", []),
    ],
)
def test_x_finds_links(text: str, links: list[str] | None) -> None:
    found = [text[a:b] for a, b in x_urls(unicodedata.normalize("NFC", text))]
    assert found == ([text] if links is None else links)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://test.com", 23),
        ("Test https://test.com test https://test.com test.com test", 86),  # conformance
        ("Hi http://test.co", 26),
        ("x" + URL, 1 + len(URL)),  # glued to a word: not a link
        (URL + " " + URL, 47),
        ("example.com. " + FAMILY, 23 + 1 + 1 + 2),
        ("\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),  # conformance
        ("randomurl" * 7 + "s.com", 68),  # conformance: no link, counted as typed
        ("http://" + "あいうえおかきくけこ" * 5 + "あい.com", 23),  # host of 63 in punycode
        ("http://" + "あいうえおかきくけこ" * 5 + "あいう.com", 7 + 53 * 2 + 4),  # 64: no link
    ],
)
def test_x_links_count_23(text: str, expected: int) -> None:
    assert x(text) == expected


def test_x_url_length_is_a_parameter() -> None:
    assert count_text("x", "a https://example.com", url_length=30) == 32
    assert x_length("example.com", url_length=0) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("日" * 140, 280),
        ("日" * 140 + "a", 281),
        ("日" * 139 + "ab", 280),
        (FAMILY * 140, 280),  # conformance: 140 family emoji are valid
        (FAMILY * 140 + "a", 281),
        (FLAG_DE * 139 + "ab", 280),
        (THUMBS_UP_MEDIUM * 140, 280),
        (KEYCAP_ONE * 140, 280),
        (E_ACUTE_DECOMPOSED * 280, 280),  # 560 code points typed, 280 after NFC
        (E_ACUTE_DECOMPOSED * 281, 281),
        (ARABIC * 31 + "a", 280),
        (HEBREW * 40, 280),
        ("\u2026" * 140, 280),  # the ellipsis weighs 2
        ("a" * 256 + " " + URL, 280),
        ("a" * 257 + " " + URL, 281),
        ("日" * 128 + " " + URL, 280),
        ("example.com " * 11 + "a" * 16, 280),  # 11 scheme-less links of 23 and their spaces
    ],
)
def test_x_at_the_limit(text: str, expected: int) -> None:
    assert x(text) == expected
    assert (x(text) <= X_MAX_WEIGHTED_LENGTH) == (expected <= 280)


def test_x_has_no_warning_field_so_the_warning_leads_the_text() -> None:
    assert inline_warning("body", "spoilers") == "CW: spoilers\n\nbody"
    assert x("a" * 266, "spoilers") == 280  # "CW: spoilers\n\n" is 14
    assert x("a" * 267, "spoilers") == 281
    assert x("a" * 280, "   ") == 280  # a blank warning is no warning


# --- Threads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        (THUMBS_UP, 4),  # an emoji counts its UTF-8 bytes
        (THUMBS_UP_MEDIUM, 8),
        (FLAG_DE, 8),
        (RAINBOW_FLAG, 14),
        (FAMILY, 25),
        (KEYCAP_ONE, 7),
        ("\u2764\ufe0f", 6),  # ❤️
        ("1", 1),
        (E_ACUTE_DECOMPOSED, 1),  # everything else counts graphemes
        ("a\u0300\u0301\u0302", 1),
        (HANGUL_JAMO, 1),
        ("日本語", 3),
        (ARABIC, 5),
        (HEBREW, 4),
        (URL, len(URL)),  # links count as typed
        ("hi " + THUMBS_UP + " " + FAMILY, 3 + 4 + 1 + 25),
    ],
)
def test_threads_counts(text: str, expected: int) -> None:
    assert threads_length(text) == expected
    assert count_text("threads", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 500, 500),
        ("a" * 501, 501),
        (THUMBS_UP * 125, 500),
        (THUMBS_UP * 125 + "a", 501),
        (FAMILY * 20, 500),
        (FAMILY * 20 + "a", 501),
        (FLAG_DE * 62 + "abcd", 500),
        ("日" * 500, 500),
        ("日" * 501, 501),
        (E_ACUTE_DECOMPOSED * 500, 500),
        (ARABIC * 100, 500),
        (HEBREW * 125, 500),
        (HEBREW * 125 + "\u05d0", 501),
    ],
)
def test_threads_at_the_limit(text: str, expected: int) -> None:
    assert threads_length(text) == expected
    assert (expected <= THREADS_MAX_LENGTH) == (threads_length(text) <= 500)


def test_threads_warning_leads_the_text() -> None:
    assert count_text("threads", "a" * 486, content_warning="spoilers") == 500
    assert count_text("threads", "a" * 487, content_warning="spoilers") == 501


# --- LinkedIn --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "posted"),
    [
        ("plain text", "plain text"),
        ("a_b", "a\\_b"),
        ("(see) [this] {now}", "\\(see\\) \\[this\\] \\{now\\}"),
        ("@alice #tag", "\\@alice \\#tag"),
        ("<b>*x*</b> ~y~ a|b", "\\<b\\>\\*x\\*\\</b\\> \\~y\\~ a\\|b"),
        ("C:\\path", "C:\\\\path"),  # the backslash itself first
        ("100% & $5, 'quoted' \"x\"", "100% & $5, 'quoted' \"x\""),  # not reserved
        ("日本語 " + FAMILY, "日本語 " + FAMILY),
    ],
)
def test_linkedin_escape(text: str, posted: str) -> None:
    assert linkedin_escape(text) == posted


def test_linkedin_reserved_characters_are_the_documented_fifteen() -> None:
    assert sorted(LINKEDIN_RESERVED) == sorted("\\|{}@[]()<>#*_~")
    for char in LINKEDIN_RESERVED:
        assert linkedin_escape(char) == "\\" + char
        assert linkedin_length(char) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 3000, 3000),
        ("a" * 3001, 3001),
        ("(" * 1500, 3000),  # each escaped: two characters as posted
        ("(" * 1500 + "a", 3001),
        ("a_" * 1000, 3000),
        ("\U0001f600" * 1500, 3000),  # outside the BMP: two UTF-16 units
        ("\U0001f600" * 1500 + "a", 3001),
        (FAMILY * 272 + "abcdefgh", 3000),  # 11 units a family
        ("日" * 3000, 3000),
        (E_ACUTE_DECOMPOSED * 1500, 3000),  # code units, not graphemes
        (ARABIC * 333 + "abc", 3000),
        (URL + "a" * (3000 - len(URL)), 3000),  # links count as typed
    ],
)
def test_linkedin_at_the_limit(text: str, expected: int) -> None:
    assert linkedin_length(text) == expected
    assert linkedin_length(text) == len(linkedin_escape(text).encode("utf-16-le")) // 2
    assert (expected <= LINKEDIN_MAX_LENGTH) == (count_text("linkedin", text) <= 3000)


def test_linkedin_warning_is_escaped_and_counted() -> None:
    posted = "CW: \\(spoilers\\)\n\na"
    assert count_text("linkedin", "a", content_warning="(spoilers)") == len(posted)


# --- Nostr: graphemes against the relay's NIP-11 max_content_length ---------------------------


def nostr_problems(text: str, limit: int, warning: str = "") -> list[str]:
    caps = capabilities_from_documents([{"limitation": {"max_content_length": limit}}])
    assert (caps.text_limit, caps.counting) == (limit, "graphemes")
    result = NostrConnector().validate(Draft(text, content_warning=warning), caps)
    return [problem.message for problem in result.problems]


@pytest.mark.parametrize(
    "unit",
    ["a", FAMILY, FLAG_DE, THUMBS_UP_MEDIUM, KEYCAP_ONE, E_ACUTE_DECOMPOSED, "日", "ש\u05b8"],
)
@pytest.mark.parametrize("limit", [280, 1000])
def test_nostr_relay_limit_exactly_at_and_one_over(unit: str, limit: int) -> None:
    assert nostr_problems(unit * limit, limit) == []
    assert nostr_problems(unit * (limit + 1), limit) == [
        f"1 character over the limit of {limit}"
    ]


def test_nostr_strictest_relay_wins_and_links_count_in_full() -> None:
    caps = capabilities_from_documents(
        [{"limitation": {"max_content_length": 500}}, {"limitation": {"max_content_length": 300}}]
    )
    assert caps.text_limit == 300
    assert count_text("graphemes", URL) == len(URL)
    assert nostr_problems("a" * 297, 300, warning="cw") == []  # the warning counts here
    assert nostr_problems("a" * 299, 300, warning="cw") == ["1 character over the limit of 300"]


# --- Mastodon and Bluesky at their limits ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "warning", "expected"),
    [
        ("a" * 500, "", 500),
        ("a" * 501, "", 501),
        ("@alice@example.social " + "a" * 493, "", 500),  # the domain is free
        ("@alice@example.social " + "a" * 494, "", 501),
        (URL + " " + "b" * 476, "", 500),
        ("a" * 400, "w" * 100, 500),  # the warning counts
        ("a" * 400, "w" * 101, 501),
        (FAMILY * 250, FLAG_DE * 250, 500),
        ("日" * 499 + E_ACUTE_DECOMPOSED, "", 500),
        (ARABIC * 100, "", 500),
        (HEBREW * 125 + "\u05d0", "", 501),
        (HANGUL_JAMO * 500, "", 500),
    ],
)
def test_mastodon_at_the_limit(text: str, warning: str, expected: int) -> None:
    assert count_text("mastodon", text, content_warning=warning) == expected


@pytest.mark.parametrize(
    ("text", "graphemes_", "bytes_"),
    [
        (ARABIC * 60, 300, 1080),
        (HEBREW * 75, 300, 1050),
        (THUMBS_UP_MEDIUM * 300, 300, 2400),
        (KEYCAP_ONE * 300, 300, 2100),
        (FLAG_DE * 300, 300, 2400),
        (RAINBOW_FLAG * 214 + "abcd", 218, 3000),  # the byte limit, exactly
        (RAINBOW_FLAG * 214 + "abcde", 219, 3001),
    ],
)
def test_bluesky_both_limits(text: str, graphemes_: int, bytes_: int) -> None:
    assert count_text("bluesky", text) == graphemes(text) == graphemes_
    assert utf8_length(text) == bytes_


# --- the rule table and the fast paths -------------------------------------------------------


def test_every_rule_is_registered() -> None:
    assert set(RULES) == {"mastodon", "graphemes", "bluesky", "x", "threads", "linkedin"}
    for rule in RULES:
        assert count_text(rule, "") == 0
        assert count_text(rule, "hello") == 5


@pytest.mark.parametrize("rule", ["mastodon", "graphemes", "x", "threads", "linkedin"])
def test_a_lone_surrogate_is_counted_not_raised(rule: str) -> None:
    # JSON can carry one ("\ud83d" alone); counting must not fail on it.
    assert count_text(rule, "a\ud83db") in (3, 4)
    assert utf8_length("\ud83d") == 3


_ALPHABET = [
    "a", " ", "\r", "\n", "\r\n", "\u0301", "\u0308", "\u200d", "\ufe0f", "\ufe0e", "\u20e3",
    "1", "#", "\U0001f1e9", "\U0001f1ea", "\U0001f44d", "\U0001f3fd", "\U0001f469", "\u2764",
    "\u1100", "\u1161", "\u11a8", "\uac00", "\u0915", "\u094d", "\u093f", "\u0600", "\u0628",
    "\u064e", "\u05e9", "\u05c1", "\u0e01", "\u0e48", "\u65e5", "\U000e0067", "\U000e007f",
    "\U0001f3f4", "\u00a9", "\u0d4e", "\u0903",
]


def test_graphemes_fast_path_agrees_with_the_regex() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
        assert graphemes(text) == len(regex.findall(r"\X", text)), repr(text)


def test_threads_matches_its_definition_cluster_by_cluster() -> None:
    # Each cluster counts 1, or its emoji's bytes where the cluster is an emoji sequence.
    rng = random.Random(7)
    units = [FAMILY, THUMBS_UP, THUMBS_UP_MEDIUM, FLAG_DE, KEYCAP_ONE, RAINBOW_FLAG, ENGLAND,
             "a", " ", "日", E_ACUTE_DECOMPOSED, ARABIC, "1", "#", "\u00a9"]
    for _ in range(500):
        parts = [rng.choice(units) for _ in range(rng.randint(0, 10))]
        expected = sum(
            utf8_length(part) if part in units[:7] or part == "\u00a9" else graphemes(part)
            for part in parts
        )
        assert threads_length("".join(parts)) == expected


def test_nothing_joins_outside_the_planes_scanned() -> None:
    # code_points_matching looks at planes 0, 1 and 14 only; the others must hold nothing
    # that joins clusters or is an emoji.
    assert [range(0, 0x20000), range(0xE0000, 0xF0000)] == list(PLANES_WITH_MARKS)
    rest = "".join(chr(cp) for cp in (*range(0x20000, 0x40000), *range(0xF0000, 0x110000)))
    assert regex.search(JOINING, rest) is None
    assert regex.search(r"\p{Emoji}|\p{Extended_Pictographic}", rest) is None
    assert "\u0301" in code_points_matching(JOINING)
