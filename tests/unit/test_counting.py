"""core/counting.py: post length as each network counts it."""

from __future__ import annotations

import random

import pytest
import regex

from hubbub.core.counting import RULES, UnknownRule, count_text, graphemes

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # ZWJ sequence
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # emoji + skin tone modifier
FLAGS = "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea"  # FR DE: regional-indicator pairs
E_ACUTE = "e\u0301"  # e + combining acute accent
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
KEYCAP_ONE = "1\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        (FAMILY, 1),
        (FAMILY * 3, 3),
        (THUMBS_UP_MEDIUM, 1),
        (FLAGS, 2),
        (RAINBOW_FLAG, 1),
        (KEYCAP_ONE, 1),
        (E_ACUTE, 1),
        ("Zoe\u0308 cafe\u0301", 8),  # combining marks join their letter
        ("a\u0300\u0301\u0302", 1),  # stacked combining marks
        ("日本語のテキスト", 8),
        ("한국어", 3),
        ("\u1100\u1161\u11a8", 1),  # a Hangul syllable spelled in conjoining jamo
        ("line\r\nbreak", 10),  # CRLF is one grapheme
    ],
)
def test_graphemes(text: str, expected: int) -> None:
    assert graphemes(text) == expected
    assert count_text("mastodon", text) == expected


URL = "https://example.com/a/very/long/path/that/goes/on?and=on&on=on"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"see {URL}", 4 + 23),
        ("http://x.org", 23),
        (f"{URL} {URL}", 23 + 1 + 23),
        ("short https://t.co", 6 + 23),  # short links count 23 too
        ("end https://example.com.", 4 + 23 + 1),  # the full stop is not part of the link
        ("(https://example.com/foo)", 1 + 23 + 1),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", 23),  # balanced parentheses stay
        ("ftp://example.com", 17),  # only http(s) links are shortened
        ("example.com", 11),  # no scheme: counted as typed
        ("x" + URL, 1 + len(URL)),  # glued to a word: not a link
        (f"{FAMILY} {URL}", 1 + 1 + 23),
    ],
)
def test_mastodon_links_count_23(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @alice@example.social", len("hi @alice")),
        ("@alice", 6),
        ("@alice@mastodon.social @bob@example.org!", len("@alice @bob!")),
        ("@Alice_99@sub.domain.example", len("@Alice_99")),
        ("mail bob@example.com", 20),  # an e-mail address is not a mention
        ("https://example.com/@alice@example.social", 23),  # inside a link: the link wins
    ],
)
def test_mastodon_mentions_count_without_domain(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


@pytest.mark.parametrize(
    ("text", "warning", "expected"),
    [
        ("hello", "spoiler", 12),
        ("", "spoiler", 7),
        ("   ", "cw", 2),  # blank text counts nothing
        ("x", "https://example.com", 20),  # links in the warning are not shortened
        ("x", FAMILY, 2),
        ("@a@b.example", "cw ", 3 + 2),
    ],
)
def test_mastodon_content_warning_counts(text: str, warning: str, expected: int) -> None:
    assert count_text("mastodon", text, content_warning=warning) == expected


def test_url_length_comes_from_the_instance() -> None:
    assert count_text("mastodon", f"a {URL}", url_length=30) == 2 + 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a" * 500, 500), ("a" * 476 + " " + URL, 500), (FAMILY * 500, 500)],
)
def test_exactly_at_the_limit(text: str, expected: int) -> None:
    assert count_text("mastodon", text) == expected


def test_graphemes_rule_counts_links_in_full() -> None:
    assert count_text("graphemes", URL) == len(URL)
    assert count_text("graphemes", FAMILY, content_warning="cw") == 3


def test_unknown_rule() -> None:
    with pytest.raises(UnknownRule, match="No counting rule"):
        count_text("myspace", "hi")
    assert set(RULES) >= {"mastodon", "graphemes"}


def test_graphemes_of_mixed_text_agree_with_the_regex_everywhere() -> None:
    # graphemes() segments only the non-ASCII runs; what joins across their edges (a mark
    # after an ASCII letter, a Prepend before one, never a control) must come out the same.
    pieces = ["a", " ", "\r", "\n", "\r\n", "\x00", "\x7f", "\t", "\u0301", "\u200d", "\ufe0f",
              "\u20e3", "1", "\U0001f1e9", "\U0001f44d", "\U0001f3fd", "\U0001f469", "\u1100",
              "\u1161", "\u11a8", "\uac00", "\u0915", "\u094d", "\u093f", "\u0600", "\u0605",
              "\u0e33", "\u0d4e", "\u0903", "\U000111c2", "\u65e5", "\u00e9", "\U0001f3f4"]
    rng = random.Random(11)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert graphemes(text) == len(regex.findall(r"\X", text)), repr(text)
