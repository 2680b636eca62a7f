"""The counters' shortcuts (issue 9: a megabyte under 100 ms) give the answers of the plain
algorithms they replace: each is compared here with that algorithm, kept as a reference, on
many generated texts. Speed itself is measured by bench/counting.py, not here; a test may
only count work."""

from __future__ import annotations

import random

import pytest
import regex

from hubbub.core import mastodon_links
from hubbub.core.counting import count_text, graphemes

# Pieces that make links, mentions and the near misses around them.
PIECES = [
    "@", "a", "b.", "bob", "@x@y.z", "@ada@fosstodon.org", "http://", "https://a.io/",
    "dat://", "t.co/", "://", "example.com", ".", "-", "_", "=", "/", "?", "#", ")", "(",
    " ", "\n", "\u00e9", "\u0301", "\u017f", "\u212a", "\uff20", "\u1100", "\u1161",
    "\U0001f1e9\U0001f1ea", "\U0001f44d\U0001f3fd", "日本", "xn--", ".com", "@a.", "\u200d",
]


def generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(PIECES, k=rng.randint(1, 40))) for _ in range(count)]


def mastodon_reference(text: str, warning: str = "", url_length: int = 23) -> int:
    """The count as it was made before the shortcuts: every link and every mention rewritten."""
    if regex.fullmatch(r"\p{White_Space}*", text):
        return graphemes(warning)
    out, pos = [], 0
    for start, end, what in mastodon_links.entities(text):
        if what == mastodon_links.LINK:
            what = "x" * url_length
        elif what == mastodon_links.MAYBE_LINK:
            what = "x" * max(url_length, end - start)
        out += [text[pos:start], what]
        pos = end
    return graphemes(warning + "".join(out) + text[pos:])


@pytest.mark.parametrize("seed", range(4))
def test_mastodon_count_matches_rewriting_every_entity(seed: int) -> None:
    for text in generated(2_500, seed):
        assert count_text("mastodon", text) == mastodon_reference(text), repr(text)


def test_mentions_with_a_domain_are_those_of_the_full_pattern_that_have_one() -> None:
    for text in generated(5_000, 10):
        every = mastodon_links.find_mentions(text)
        renamed = [m for m in every if m[1] - m[0] != len(m[2])]
        assert mastodon_links.find_mentions(text, with_domain_only=True) == renamed, repr(text)


def test_host_labels_match_as_the_regex_module_matched_them() -> None:
    """_CHAIN moved to the standard library's re (several times faster on a plain class)."""
    h = mastodon_links._H
    reference = regex.compile(rf"(?:{h}(?:[-_]*+{h})*+\.)*+")
    for text in generated(2_000, 20):
        for at in range(len(text)):
            found = mastodon_links._CHAIN.match(text, at)
            expected = reference.match(text, at)
            assert (found and found.end()) == (expected and expected.end()), (text, at)


def test_mentions_that_count_as_written_cost_no_step_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text of many '@user' (no domain, no link) is counted without an entity per mention:
    they count as written, so building and rewriting them is work for nothing."""
    made: list[int] = []
    find = mastodon_links.find_mentions

    def counting_find(text: str, **kwargs: bool) -> list[mastodon_links.Entity]:
        found = find(text, **kwargs)
        made.append(len(found))
        return found

    monkeypatch.setattr(mastodon_links, "find_mentions", counting_find)
    text = "@a. @bob hi " * 1_000
    assert count_text("mastodon", text) == len(text)
    assert sum(made) == 0
