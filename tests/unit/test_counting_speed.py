"""The counters' shortcuts (issue 9: a megabyte under 100 ms) give the answers of the plain
algorithms they replace: each is compared here with that algorithm, kept as a reference, on
many generated texts (X's links and weights: test_counting_x_links.py). Speed itself is
measured by bench/counting.py, not here; a test may only count work."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
import regex

from hubbub.core import (
    counting,
    counting_emoji,
    counting_graphemes,
    counting_unicode,
    mastodon_links,
)
from hubbub.core.counting import count_text, graphemes
from hubbub.core.counting_emoji import EMOJI, emoji_stats

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


# Patterns moved from the regex module to re, with the regex module's pattern they replace.
MOVED = [
    (mastodon_links._LETTERS, r"[A-Za-z]++"),
    (mastodon_links._ALNUM, r"[0-9A-Za-z]++"),
]


@pytest.mark.parametrize(("moved", "original"), MOVED)
def test_patterns_moved_to_re_match_as_before(moved: re.Pattern[str], original: str) -> None:
    reference = regex.compile(original)
    rng = random.Random(original)
    for _ in range(300):
        text = "".join(rng.choices(PIECES, k=rng.randint(1, 30)))
        for at in range(len(text)):
            found, expected = moved.match(text, at), reference.match(text, at)
            assert (found and found.span()) == (expected and expected.span()), (text, at)


EMOJI_PIECES = [
    "\U0001f44d", "\U0001f3fd", "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "#", "1", "\u2764",
    "\U0001f1e9", "\U0001f1ea", "\U000e0067", "\U000e007f", "\U0001f3f4", "\u0301", "e",
]


GRAPHEME_PIECES = [
    " ", "a", "\r", "\n", "\r\n", "\t", "\u0301", "\u0903", "\u0600", "\u200d", "\ufe0f",
    "\U0001f44d", "\U0001f3fd", "\U0001f1e9", "\U0001f1ea", "\u1100", "\u1161", "\u11a8",
    "\uac00", "\u65e5", "\u00e9", "\U000e0067", "\u0915\u094d", "\u0937",
]


@pytest.mark.parametrize("seed", range(4))
def test_graphemes_of_dense_runs_are_those_of_x_over_the_whole_text(seed: int) -> None:
    """Long texts of many short runs with joining code points: counted from the inventory, and
    by the per-run path (for texts with more distinct joining characters than it keeps) that
    switches to \\X over the rest."""
    rng = random.Random(seed)
    cluster = regex.compile(r"\X")
    for _ in range(300):
        weights = [rng.random() for _ in GRAPHEME_PIECES]
        text = "".join(rng.choices(GRAPHEME_PIECES, weights, k=rng.randint(1, 1_500)))
        expected = len(cluster.findall(text))
        assert graphemes(text) == expected, repr(text)
        assert counting_graphemes._graphemes_by_runs(text) == expected, repr(text)
    text = "\U0001f44d\U0001f3fd " * 1_000 + "e\u0301 " * 1_000
    assert graphemes(text) == len(cluster.findall(text)) == 4_000


# Every kind of character a join depends on (UAX #29): controls, CR LF, marks, ZWJ, spacing
# marks, Prepend, Hangul jamo and syllables, regional indicators, pictographs, Indic consonants
# and viramas, tags, variation selectors; and a few that only look related.
JOIN_PIECES = [
    " ", "a", "\r", "\n", "\r\n", "\t", "\x00", "\x7f", "\u0301", "\u0903", "\u0600",
    "\u0605", "\u200d", "\ufe0f", "\ufe0e", "\U0001f44d", "\U0001f3fd", "\U0001f1e9",
    "\U0001f1ea", "\u1100", "\u1161", "\u11a8", "\uac00", "\uac01", "\u65e5", "\u00e9",
    "\U000e0067", "\U000e007f", "\u0915", "\u094d", "\u0937", "\u093c", "\u200c", "\u2764",
    "\U0001f468", "\u00a9", "\u0d4e", "\U000111c2", "\u0e33", "\u200b", "\ud800",
    "\U00020000", "\U0001d165", "\U0001d173", "1", "\u20e3",
]


@pytest.mark.parametrize("seed", range(3))
def test_graphemes_from_the_inventory_are_those_of_x(seed: int) -> None:
    rng = random.Random(seed)
    cluster = regex.compile(r"\X")
    for _ in range(8_000):
        weights = [rng.random() for _ in JOIN_PIECES]
        text = "".join(rng.choices(JOIN_PIECES, weights, k=rng.randint(0, 30)))
        assert graphemes(text) == len(cluster.findall(text)), repr(text)


def test_an_inventory_too_varied_to_keep_takes_the_per_run_path() -> None:
    marks = "".join(chr(0x0300 + i) for i in range(counting_unicode.INVENTORY_LIMIT + 1))
    text = "".join("e" + mark + " " for mark in marks) * 3
    assert counting_unicode.inventory(text) is None
    assert graphemes(text) == len(regex.findall(r"\X", text)) == 3 * 2 * len(marks)


@pytest.mark.parametrize("seed", range(3))
def test_emoji_stats_are_those_of_each_emoji_found(seed: int) -> None:
    """Counted from the inventory where only pictographs, skin tones, FE0F and ZWJ occur; by one
    subn of EMOJI otherwise. Both against EMOJI's own matches."""
    rng = random.Random(seed)
    pieces = [*EMOJI_PIECES, " ", "\u200d", "\U0001f3fb", "\u00a9", "\U0001f468", "\U0001F004",
              "\U0001f000", "\u65e5"]
    for _ in range(6_000):
        weights = [rng.random() for _ in pieces]
        text = "".join(rng.choices(pieces, weights, k=rng.randint(0, 25)))
        stats = emoji_stats(text, counting_unicode.inventory(text))
        found = EMOJI.findall(text)
        assert (stats.count, stats.code_points, stats.utf8_bytes) == (
            len(found), sum(map(len, found)), sum(len(e.encode()) for e in found)), repr(text)
        if stats.members is not None:
            assert {c: n for c, n in stats.members.items() if n} == Counter("".join(found))


@pytest.mark.parametrize("seed", range(3))
def test_threads_length_matches_the_bytes_of_each_emoji_found(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_000):
        text = "".join(rng.choices(EMOJI_PIECES + GRAPHEME_PIECES, k=rng.randint(1, 40)))
        emoji = EMOJI.findall(text)
        expected = graphemes(text) + len("".join(emoji).encode("utf-8")) - len(emoji)
        assert counting.threads_length(text) == expected, repr(text)


# --- Mastodon's shortcuts -----------------------------------------------------------------------

PATH_PIECES = ["a", ".", ",", "(", ")", "/", "?", "!", " ", "\n", "\u00e9", "\u65e5", "x=1", "&",
               "[", "]", "(a)", "((b))", ":", ":80", "~", "'", "\u042f", "\u3000", "<", "@", "-",
               "_", "\u212a"]


def test_the_path_in_parts_ends_where_the_backtracking_pattern_ends() -> None:
    rng = random.Random(12)
    for _ in range(20_000):
        text = "".join(rng.choices(PATH_PIECES, k=rng.randint(0, 20)))
        for at in range(len(text) + 1):
            expected = mastodon_links._end(mastodon_links._AFTER_HOST, text, at)
            assert mastodon_links._after_host(text, at) == expected, (text, at)


def test_mentions_in_ascii_text_are_rewritten_as_by_the_unicode_pattern() -> None:
    rng = random.Random(13)
    pieces = ["@", "a", "b.", "bob", "@x@y.z", "@ada@fosstodon.org", "=", "/", ".", "-", "_",
              " ", "\n", "://", "9", "Z", "@@", "..", "--", "x.com", "http://a.b"]
    for _ in range(30_000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 20)))
        assert mastodon_links._ASCII_MENTION_ELSEWHERE.sub(r"@\1", text) == (
            mastodon_links._MENTION_ELSEWHERE.sub(r"@\1", text)), repr(text)


def test_schemes_passed_over_in_c_have_no_host() -> None:
    """Every scheme the C filter leaves out is one _host_end finds no host after."""
    for text in generated(4_000, 14) + [t.upper() for t in generated(1_000, 15)]:
        kept = set(mastodon_links._hosts_after_schemes(text))
        for scheme in mastodon_links._SCHEME.finditer(text):
            if scheme.end() not in kept:
                assert mastodon_links._host_end(text, scheme.end()) is None, repr(text)


def test_links_alone_between_spaces_count_as_the_finder_counts_them() -> None:
    rng = random.Random(16)
    tokens = ["https://a.io", "http://example.com/x/y_z-1", "HTTPS://A.IO", "https://t.co/abc",
              "https://a_b.com", "https://a.b", "https://a.io/x.", "https://a.io/(x)", "@a@b.c",
              "https://\u00e9.com", "https://" + "a" * 64 + ".com", "x", "https://a.io?x=1",
              "https://a.io/x?y=1&z=2", "https://a.io/a.b#c+d", "https://a.io/x=", "https://a.io/x.",
              "https://a.io?x=1.", "https://a.io/%7e~x", "https://a.io/x?", "https://a.io/x?a=b%20c"]
    spaces = [" ", "\n", "\r\n", "\t", "\u3000", "\u2028", "\x85", "\xa0"]
    for _ in range(8_000):
        text = "".join(w + rng.choice(spaces) for w in rng.choices(tokens, k=rng.randint(1, 6)))
        # the shortcut's count is the count made by rewriting every entity
        assert count_text("mastodon", text) == mastodon_reference(text), repr(text)
        assert count_text("mastodon", text, url_length=5) == mastodon_reference(text, "", 5)


def test_texts_too_varied_for_an_inventory_count_as_without_one() -> None:
    """More distinct characters than an inventory keeps: graphemes from \\X (or from the length,
    when nothing joins) and emoji from EMOJI (or, when no character that joins or changes an
    emoji occurs, from a class of pictographs)."""
    rng = random.Random(17)
    pieces = [chr(0x1F600 + i) for i in range(40)] + [
        " ", "a", "\u00a9", "\u2764", "\u200d", "\ufe0f", "\ufe0e", "\U0001f3fd", "1\u20e3",
        "\U0001f1e9\U0001f1ea", "\U000e0067", "\u0301", "\U0001F004", "\U0001f000"]
    cluster = regex.compile(r"\X")
    for _ in range(1_500):
        weights = [rng.random() for _ in pieces]
        text = "".join(rng.choices(pieces, weights, k=rng.randint(30, 120)))
        stats = emoji_stats(text, None)
        found = EMOJI.findall(text)
        assert (stats.count, stats.code_points, stats.utf8_bytes) == (
            len(found), sum(map(len, found)), sum(len(e.encode()) for e in found)), repr(text)
        assert graphemes(text) == len(cluster.findall(text)), repr(text)
    varied = "".join(chr(0x1F600 + i % 80) + " " for i in range(800))
    assert counting_unicode.inventory(varied) is None
    assert graphemes(varied) == len(cluster.findall(varied)) == 1600


def threads_reference(text: str) -> int:
    emoji = EMOJI.findall(text)
    return graphemes(text) + len("".join(emoji).encode("utf-8", "surrogatepass")) - len(emoji)


def test_lone_pictographs_too_varied_for_an_inventory_count_as_each_emoji_found() -> None:
    """Threads' path for many distinct lone pictographs (counted in the UTF-8 of U+1F000 to
    U+1FFFF, the rest one by one) against EMOJI's own matches: with pictographs of the BMP,
    (c) and (R), characters of that range that are no pictograph (mahjong, dominoes, a lone
    skin tone makes it no longer lone), text, marks and a lone surrogate."""
    rng = random.Random(29)
    pieces = [chr(0x1F600 + i) for i in range(40)] + [
        " ", "a", "\u00a9", "\u00ae", "\u2764", "\u2728", "\u2b50", "\u203c", "\U0001F004",
        "\U0001f000", "\U0001f030", "\U0001f10d", "\U0001f170", "\u65e5", "\u0301", "\ud800",
        "\U0001fa70", "\U0001f3fd", "\u200d", "\ufe0f"]
    lone_seen = 0
    for _ in range(1_500):
        weights = [rng.random() for _ in pieces]
        weights[-3:] = [w / 20 for w in weights[-3:]]  # mostly lone
        text = "".join(rng.choices(pieces, weights, k=rng.randint(30, 150)))
        lone = counting_emoji.lone_pictographs(text)
        if lone is not None:
            lone_seen += 1
            found = EMOJI.findall(text)
            assert lone == (len(found), len("".join(found).encode("utf-8"))), repr(text)
        assert counting.threads_length(text) == threads_reference(text), repr(text)
    assert lone_seen > 500  # the path under test was taken


def test_lone_pictographs_give_way_to_emoji_when_too_many_distinct_characters() -> None:
    many = "".join(chr(0x4E00 + i) for i in range(counting_emoji.DISTINCT_LIMIT + 1))
    text = many + "\U0001f600\u2728" * 3
    assert counting_emoji.lone_pictographs(text) is None
    assert counting.threads_length(text) == threads_reference(text) == len(many) + 4 * 3 + 3 * 3
    assert counting_emoji.lone_pictographs("\U0001f44d\U0001f3fd") is None  # a skin tone changes it
