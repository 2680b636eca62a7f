"""Bluesky's two limits: 300 graphemes AND 3000 UTF-8 bytes (lexicon app.bsky.feed.post),
at the limits, with emoji sequences, flags, skin tones, combining marks and CJK."""

from __future__ import annotations

import pytest

from hubbub.core.counting import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    TextLength,
    bluesky_length,
    bluesky_text,
    count_text,
)
from hubbub.networks.base import Draft
from hubbub.networks.bluesky.connector import BlueskyConnector
from hubbub.networks.bluesky.mapping import default_capabilities

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 4 people, 3 ZWJ: 25 B
THUMBS_UP_DARK = "\U0001f44d\U0001f3ff"  # emoji + skin tone: 8 bytes
FLAG_JP = "\U0001f1ef\U0001f1f5"  # a regional-indicator pair: 8 bytes
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 14 bytes
E_ACUTE = "e\u0301"  # 3 bytes
ZALGO = "a" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308"  # 1 grapheme, 17 bytes
KANJI = "語"  # 3 bytes

CONNECTOR = BlueskyConnector()
CAPS = default_capabilities()


def validate(text: str, warning: str = "") -> list[str]:
    result = CONNECTOR.validate(Draft(text, content_warning=warning), CAPS)
    return [p.message for p in result.problems]


@pytest.mark.parametrize(
    ("text", "graphemes", "utf8_bytes"),
    [
        ("", 0, 0),
        ("hello", 5, 5),
        (FAMILY, 1, 25),
        (THUMBS_UP_DARK, 1, 8),
        (FLAG_JP, 1, 8),
        (FLAG_JP * 2, 2, 16),  # two flags, not one four-letter blob
        (RAINBOW_FLAG, 1, 14),
        (E_ACUTE, 1, 3),
        ("\u00e9", 1, 2),  # precomposed é
        (ZALGO, 1, 17),
        ("日本語のテキスト", 8, 24),
        ("line\r\nbreak", 10, 11),
    ],
)
def test_both_numbers(text: str, graphemes: int, utf8_bytes: int) -> None:
    assert bluesky_length(text) == TextLength(graphemes, utf8_bytes)
    assert count_text("bluesky", text) == graphemes


def test_exactly_300_graphemes_is_fine_301_is_one_over() -> None:
    assert validate("a" * 300) == []
    assert validate("a" * 301) == ["1 character over the limit of 300"]
    result = CONNECTOR.validate(Draft("a" * 300), CAPS)
    assert (result.count, result.limit, result.remaining) == (300, 300, 0)
    assert (result.byte_count, result.byte_limit) == (300, 3000)


@pytest.mark.parametrize(
    ("unit", "bytes_each"),
    [(FAMILY, 25), (THUMBS_UP_DARK, 8), (FLAG_JP, 8), (RAINBOW_FLAG, 14), (E_ACUTE, 3)],
)
def test_emoji_sequences_count_as_one_character_each(unit: str, bytes_each: int) -> None:
    text = unit * 100
    length = bluesky_length(text)
    assert length.graphemes == 100
    assert length.utf8_bytes == 100 * bytes_each


def test_300_family_emoji_are_300_characters_but_too_many_bytes() -> None:
    text = FAMILY * 300  # 300 graphemes, 7500 bytes
    assert bluesky_length(text) == TextLength(300, 7500)
    assert validate(text) == ["4500 bytes over the limit of 3000"]


def test_cjk_reaches_the_byte_limit_only_past_the_grapheme_limit() -> None:
    # 3 bytes a character: 300 kanji are 900 bytes. The byte limit bites first only for
    # characters of more than 10 bytes, i.e. emoji sequences.
    assert validate(KANJI * 300) == []
    assert validate(KANJI * 301) == ["1 character over the limit of 300"]


def test_byte_limit_reached_before_300_graphemes() -> None:
    # 120 families (3000 bytes) is exactly at the byte limit with only 120 characters...
    assert validate(FAMILY * 120) == []
    assert bluesky_length(FAMILY * 120) == TextLength(120, 3000)
    # ...and one more byte is over, still far under 300 characters.
    assert validate(FAMILY * 120 + "a") == ["1 byte over the limit of 3000"]
    # Zalgo text: 177 graphemes of 17 bytes = 3009 bytes.
    assert validate(ZALGO * 177) == ["9 bytes over the limit of 3000"]


def test_both_limits_reported_together() -> None:
    text = FAMILY * 301
    assert validate(text) == [
        "1 character over the limit of 300",
        f"{301 * 25 - 3000} bytes over the limit of 3000",
    ]
    result = CONNECTOR.validate(Draft(text), CAPS)
    assert [p.code for p in result.problems] == ["too_long", "too_long"]


def test_mixed_text_at_exactly_both_limits() -> None:
    # 100 families (25 bytes each), 100 kanji (3), 50 é (2), 50 a (1): 300 graphemes, 2950 bytes.
    text = FAMILY * 100 + KANJI * 100 + "\u00e9" * 50 + "a" * 50
    assert bluesky_length(text) == TextLength(300, 2500 + 300 + 100 + 50)
    assert validate(text) == []


def test_the_content_warning_leads_the_text_and_counts() -> None:
    assert bluesky_text("body", "spoilers") == "CW: spoilers\n\nbody"
    assert bluesky_text("body", "  ") == "body"
    assert bluesky_length("a" * 286, "spoilers") == TextLength(300, 300)
    assert validate("a" * 286, "spoilers") == []
    assert validate("a" * 287, "spoilers") == ["1 character over the limit of 300"]


def test_limits_are_the_lexicons() -> None:
    assert (BLUESKY_MAX_GRAPHEMES, BLUESKY_MAX_BYTES) == (300, 3000)
    assert (CAPS.text_limit, CAPS.text_byte_limit, CAPS.counting) == (300, 3000, "bluesky")


@pytest.mark.parametrize(
    ("text", "warning", "expected"),
    [
        ("\ud800", "", TextLength(1, 3)),  # counted as the U+FFFD it would be sent as
        ("a\udfffb", "", TextLength(3, 5)),
        ("\ud83d\ude00", "", TextLength(2, 6)),  # two lone halves, not one emoji
        ("x", "\ud800", TextLength(len("CW: \ufffd\n\nx"), len("CW: \ufffd\n\nx".encode()))),
    ],
)
def test_a_lone_surrogate_counts_as_a_replacement_character(
    text: str, warning: str, expected: TextLength
) -> None:
    assert bluesky_length(text, warning) == expected
    assert count_text("bluesky", text, content_warning=warning) == expected.graphemes
