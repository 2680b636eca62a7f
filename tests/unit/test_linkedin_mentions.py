"""Where a draft names a known page after an @, and the commentary that mentions it
(networks/linkedin/little.py: mention_spans, to_little, as_read; pure)."""

from __future__ import annotations

import pytest

from hubbub.networks.linkedin import little
from hubbub.networks.linkedin.mentions import from_prepared

ACME = ("Acme", "urn:li:organization:1")
BAKERY = ("Acme Bakery", "urn:li:organization:2")
ODD = ("Tea (& Co) #1", "urn:li:organization:3")


@pytest.mark.parametrize(("text", "named"), [
    ("at @Acme Bakery today", ["Acme Bakery"]),
    ("@Acme, @Acme Bakery.", ["Acme", "Acme Bakery"]),
    ("@Acme!", ["Acme"]),
    ("@Acmeville", []),
    ("@acme", []),
    ("mail me@Acme", []),
    ("@@Acme", []),
    ("@Acme Labs", []),  # a capitalised word after it: maybe another page's name
    ("@Acme rocks", ["Acme"]),
    ("see https://example.com/@Acme", []),  # inside a link
    ("Hi @Tea (& Co) #1 there", ["Tea (& Co) #1"]),
])
def test_mention_spans(text: str, named: list[str]) -> None:
    spans = little.mention_spans(text, [ACME, BAKERY, ODD])
    assert [name for _, _, name, _ in spans] == named
    for start, end, name, _ in spans:
        assert text[start:end] == "@" + name


def test_a_mention_element_with_reserved_characters_escaped_and_hashtags_around() -> None:
    text = "Hi @Tea (& Co) #1 and #tea (yes)"
    sent = little.to_little(text, [ODD])
    assert sent.startswith("Hi @[Tea \\(& Co\\) \\#1](urn:li:organization:3) and ")
    assert "{hashtag|\\#|tea}" in sent
    assert little.mentions(sent) == [("Tea (& Co) #1", "urn:li:organization:3")]
    assert little.as_read(text, [ODD]) == "Hi Tea (& Co) #1 and #tea (yes)"
    # Without mentions, the text reads back exactly as typed.
    assert little.as_read(text) == text
    assert little.to_plain(little.to_little(text)) == text


def test_only_well_formed_prepared_mentions_are_used() -> None:
    prepared = {"mentions": [{"name": "Acme", "urn": "urn:li:organization:1"},
                             {"name": "", "urn": "urn:li:organization:2"},
                             {"name": "X", "urn": "javascript:alert(1)"}, "junk"]}
    assert from_prepared(prepared) == [("Acme", "urn:li:organization:1")]
    assert from_prepared({"mentions": "Acme"}) == []
    assert from_prepared(None) == []
