"""LinkedIn's little text format: what the person typed is sent escaped (hashtags as the
documented template) and reads back unchanged."""

from __future__ import annotations

import re

import pytest

from hubbub.core.counting import LINKEDIN_RESERVED
from hubbub.networks.linkedin.little import mentions, to_little, to_plain

ROUND_TRIPS = [
    "plain words",
    "a (parenthesis) and [brackets] and {braces}",
    "C# and F# are languages; #1 is a number",
    "costs < 5 > 3 | a*b_c~d \\ backslash",
    "email me@example.com or @alice",
    "#hashtag at the start, #another_one, and #über",
    "link https://example.com/a_(b)#frag?x=1&y=2 then #tag",
    "\\#escaped-looking text {hashtag|\\#|fake}",
    "@[Name](urn:li:person:1) typed by hand",
    "emoji 😀 #😀 and CJK #日本",
    "",
    "trailing backslash \\",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_round_trip(text: str) -> None:
    assert to_plain(to_little(text)) == text


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_no_reserved_character_is_left_bare(text: str) -> None:
    """Outside hashtag templates, every reserved character is preceded by a backslash."""
    sent = to_little(text)
    stripped = re.sub(r"\{hashtag\|\\#\|(?:\\.|[^}\\])*\}", "", sent)
    at = 0
    while at < len(stripped):
        if stripped[at] == "\\":
            assert at + 1 < len(stripped), f"dangling backslash in {sent!r}"
            assert stripped[at + 1] in LINKEDIN_RESERVED
            at += 2
            continue
        assert stripped[at] not in LINKEDIN_RESERVED, f"bare {stripped[at]!r} in {sent!r}"
        at += 1


def test_parenthesis_is_escaped() -> None:
    assert to_little("Hello (world)") == "Hello \\(world\\)"


def test_hashtag_becomes_template() -> None:
    assert to_little("Go #team!") == "Go {hashtag|\\#|team}!"


def test_underscore_in_hashtag_is_escaped_inside_the_template() -> None:
    assert to_little("#a_b") == "{hashtag|\\#|a\\_b}"


def test_not_hashtags() -> None:
    assert to_little("C# #1 a#b") == "C\\# \\#1 a\\#b"


def test_hash_in_a_link_stays_in_the_link() -> None:
    sent = to_little("see https://example.com/page#part")
    assert "{hashtag" not in sent
    assert sent.endswith("page\\#part")


def test_mention_element_reads_as_the_name() -> None:
    little = "Thanks @[Devtestco](urn:li:organization:2414183) \\(really\\)"
    assert to_plain(little) == "Thanks Devtestco (really)"
    assert mentions(little) == [("Devtestco", "urn:li:organization:2414183")]


def test_unknown_braces_are_kept_as_written() -> None:
    assert to_plain("{not|a template") == "{not|a template"
