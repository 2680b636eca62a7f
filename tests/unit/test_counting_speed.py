"""The counters' shortcuts (issue 9: a megabyte under 100 ms) give the answers of the plain
algorithms they replace: each is compared here with that algorithm, kept as a reference, on
many generated texts. Speed itself is measured by bench/counting.py, not here; a test may
only count work."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
import regex

from hubbub.core import counting, mastodon_links
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


X_PIECES = [
    "a", "b", "Z", "9", ".", "..", ".io", ".com", "b.io", "http://", "https://", "://",
    "example.com/", "a.b.c", "-", "_", "@", "/", "?", "#", ")", "(", " ", "\u00e9", "xn--p1ai",
    "\u2603", "\u65e5", "[::1]", "1.2.3.4", ":80", "user:pw@",
]


def x_urls_reference(text: str) -> list[tuple[int, int]]:
    """x_urls as it was before dots without a letter after them were skipped in one search:
    a Python step at every dot."""
    spans: list[tuple[int, int]] = []
    found = text.find("://")
    while found != -1:
        scheme = 5 if text[max(found - 5, 0) : found].lower() == "https" else 4
        if text[max(found - scheme, 0) : found].lower() in ("http", "https"):
            url = counting._x_scheme_url(text, found - scheme)
            span = url and counting._x_span(text, found - scheme, *url)
            if span:
                spans.append(span)
                found = span[1] - 3
        found = text.find("://", found + 3)
    linked = list(spans)
    next_link = covered = 0
    dot = text.find(".")
    while dot != -1:
        while next_link < len(linked) and linked[next_link][1] <= dot:
            next_link += 1
        if next_link < len(linked) and linked[next_link][0] <= dot:
            covered = linked[next_link][1]
        elif dot + 1 < len(text) and text[dot + 1].isascii() and text[dot + 1].isalpha():
            before = counting._BARE_HOST_RUN_BEFORE.match(text, covered, dot)
            start = dot if before is None else before.start()
            host_end = counting._x_bare_host(text, start)
            bare = None
            if host_end is not None:
                end = counting._end(counting._X_AFTER_HOST, text, host_end)
                bare = counting._x_span(text, start, (start, host_end), end)
            if bare:
                spans.append(bare)
                covered = bare[1]
            else:
                covered = counting._end(counting._BARE_HOST_RUN, text, dot)
        dot = text.find(".", max(dot + 1, covered))
    return sorted(spans)


@pytest.mark.parametrize("seed", range(4))
def test_x_links_match_a_step_at_every_dot(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_500):
        text = "".join(rng.choices(X_PIECES, k=rng.randint(1, 40)))
        assert counting.x_urls(text) == x_urls_reference(text), repr(text)


# Patterns moved from the regex module to re, with the regex module's pattern they replace.
MOVED = [
    (counting._X_USERINFO, r"[A-Za-z0-9._~!$&'()*+,;=:%-]++"),
    (counting._X_LETTERS, r"[A-Za-z]++"),
    (counting._X_BARE_LABELS, r"(?:[A-Za-z0-9](?:[_-]*+[A-Za-z0-9])*+\.)*+"),
    (counting._X_TLD_RUN, r"[A-Za-z0-9_-]*+"),
    (counting._BARE_HOST_RUN, r"[A-Za-z0-9_.-]*+"),
    (counting._X_TLD_START, r"(?<![^.])(?:[A-Za-z]{2}|(?i:xn--))"),
    (mastodon_links._LETTERS, r"[A-Za-z]++"),
    (mastodon_links._ALNUM, r"[0-9A-Za-z]++"),
]


@pytest.mark.parametrize(("moved", "original"), MOVED)
def test_patterns_moved_to_re_match_as_before(moved: re.Pattern[str], original: str) -> None:
    reference = regex.compile(original)
    rng = random.Random(original)
    for _ in range(300):
        text = "".join(rng.choices(X_PIECES + PIECES, k=rng.randint(1, 30)))
        for at in range(len(text)):
            found, expected = moved.match(text, at), reference.match(text, at)
            assert (found and found.span()) == (expected and expected.span()), (text, at)


def x_length_reference(text: str, url_length: int = 23) -> int:
    """x_length as it was: the text between links weighed piece by piece."""
    text = unicodedata.normalize("NFC", text)
    total = pos = 0
    for start, end in counting.x_urls(text):
        total += counting._x_weight(text[pos:start]) + url_length
        pos = end
    return total + counting._x_weight(text[pos:])


EMOJI_PIECES = [
    "\U0001f44d", "\U0001f3fd", "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "#", "1", "\u2764",
    "\U0001f1e9", "\U0001f1ea", "\U000e0067", "\U000e007f", "\U0001f3f4", "\u0301", "e",
]


@pytest.mark.parametrize("seed", range(3))
def test_x_length_matches_weighing_piece_by_piece(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_500):
        text = "".join(rng.choices(X_PIECES + EMOJI_PIECES, k=rng.randint(1, 40)))
        assert counting.x_length(text) == x_length_reference(text), repr(text)


def test_x_host_labels_read_ascii_first_then_the_rest_as_before() -> None:
    for text in [*generated(300, 30), "a.b\u00e9.c", "a-.b.", "_a.\u2603.x", "a--b.c"]:
        for at in range(len(text)):
            ascii_first = counting._end(counting._X_ASCII_LABELS, text, at)
            found = counting._end(counting._X_LABELS, text, ascii_first)
            assert found == counting._end(counting._X_LABELS, text, at), (text, at)


def test_x_link_end_after_a_run_of_closing_parentheses_is_as_searched_backwards() -> None:
    rng = random.Random(40)
    for _ in range(3_000):
        pieces = ["(", ")", ")", ")", "a", ".", "/", "\u00e9", "?"]
        path = "".join(rng.choices(pieces, k=rng.randint(1, 30)))
        text = "https://a.io/" + path
        last = counting._X_LINK_LAST.search(text, 12, len(text))
        expected = (0, last.end() if last else 12)
        assert counting._x_span(text, 0, (8, 12), len(text)) == expected, text


GRAPHEME_PIECES = [
    " ", "a", "\r", "\n", "\r\n", "\t", "\u0301", "\u0903", "\u0600", "\u200d", "\ufe0f",
    "\U0001f44d", "\U0001f3fd", "\U0001f1e9", "\U0001f1ea", "\u1100", "\u1161", "\u11a8",
    "\uac00", "\u65e5", "\u00e9", "\U000e0067", "\u0915\u094d", "\u0937",
]


@pytest.mark.parametrize("seed", range(4))
def test_graphemes_of_dense_runs_are_those_of_x_over_the_whole_text(seed: int) -> None:
    """Long texts of many short runs with joining code points switch to \\X over the rest."""
    rng = random.Random(seed)
    cluster = regex.compile(r"\X")
    for _ in range(300):
        weights = [rng.random() for _ in GRAPHEME_PIECES]
        text = "".join(rng.choices(GRAPHEME_PIECES, weights, k=rng.randint(1, 1_500)))
        assert graphemes(text) == len(cluster.findall(text)), repr(text)
    text = "\U0001f44d\U0001f3fd " * 1_000 + "e\u0301 " * 1_000
    assert graphemes(text) == len(cluster.findall(text)) == 4_000


@pytest.mark.parametrize("seed", range(3))
def test_threads_length_matches_the_bytes_of_each_emoji_found(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2_000):
        text = "".join(rng.choices(EMOJI_PIECES + GRAPHEME_PIECES, k=rng.randint(1, 40)))
        emoji = counting._EMOJI.findall(text)
        expected = graphemes(text) + len("".join(emoji).encode("utf-8")) - len(emoji)
        assert counting.threads_length(text) == expected, repr(text)
