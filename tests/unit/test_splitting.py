"""core/splitting.py: threads cut at the best places, every part within the limit under the
real rules (Mastodon 500, Bluesky 300 graphemes + 3000 bytes, X 280, Threads 500, LinkedIn
3000), nothing lost, never inside a link, mention, hashtag or grapheme cluster."""

# CJK and fullwidth punctuation is what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest
import regex

from hubbub.core.counting import count_text, graphemes, utf8_length
from hubbub.core.splitting import (
    CLAUSE,
    LINE,
    PARAGRAPH,
    SENTENCE,
    WORD,
    Cuts,
    fold_limits,
    split_for_limit,
)

Count = Callable[[str], int]

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_DE = "\U0001f1e9\U0001f1ea"
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
KEYCAP_ONE = "1\ufe0f\u20e3"
E_ACUTE = "e\u0301"
ARABIC = "مَرْحَبًا بِالْعَالَمِ"
HEBREW = "שָׁלוֹם עוֹלָם"


def rule(name: str) -> Count:
    return lambda text: count_text(name, text)


BLUESKY = fold_limits(300, (graphemes, 300), (utf8_length, 3000))
RULES: list[tuple[str, Count, int]] = [
    ("mastodon", rule("mastodon"), 500),
    ("bluesky", BLUESKY, 300),
    ("x", rule("x"), 280),
    ("threads", rule("threads"), 500),
    ("linkedin", rule("linkedin"), 3000),
    ("nostr", rule("graphemes"), 280),
]
NUMBER = re.compile(r" (\d+)/(\d+)$")


def offsets(text: str, parts: list[str], numbered: bool) -> list[tuple[int, int]]:
    """Where each part sits in the text; fails unless the parts are the text, in order, with
    only whitespace between them."""
    found: list[tuple[int, int]] = []
    pos = 0
    for part in parts:
        body = NUMBER.sub("", part) if numbered else part
        start = text.index(body, pos)
        assert not text[pos:start].strip(), f"lost {text[pos:start]!r}"
        found.append((start, start + len(body)))
        pos = start + len(body)
    assert not text[pos:].strip(), f"lost {text[pos:]!r}"
    return found


def check(text: str, limit: int, count: Count, *, numbering: bool = False) -> list[str]:
    """Split, then check every promise the module makes."""
    parts = split_for_limit(text, limit, count, numbering=numbering)
    assert parts, "no parts"
    assert all(count(part) <= limit for part in parts), [count(part) for part in parts]
    spans = offsets(text, parts, numbering and len(parts) > 1)
    boundaries = {0, *(m.end() for m in regex.finditer(r"\X", text))}
    for start, end in spans:
        assert start in boundaries, "cut inside a grapheme cluster"
        assert end in boundaries, "cut inside a grapheme cluster"
    if numbering and len(parts) > 1:
        labels = [NUMBER.search(part) for part in parts]
        assert [(int(m[1]), int(m[2])) for m in labels if m] == [
            (i, len(parts)) for i in range(1, len(parts) + 1)
        ]
    return parts


# --- the promises, for every rule --------------------------------------------------------------

PROSE = (
    "The hub posts everywhere at once. It counts each network's way, and it splits when a text "
    "is too long; nobody likes a cut in the middle of a word. Read https://example.com/a/long/"
    "path?with=query more at example.org/docs, ask @alice@example.social or @bob.bsky.social, "
    "and tag it #hubbub! Does it work? It does… mostly.\n\n"
)
SAMPLES = {
    "prose": PROSE * 12,
    "lines": "\n".join(f"Line {i}: a short remark, then another one." for i in range(120)),
    "cjk": (
        "これは日本語の文章です。東京でラーメンを食べました！とても美味しかったです、"
        "また行きたいです。"
    ) * 40,
    "cjk without punctuation": "日本語のテキストを書きますとても長い文章になります" * 120,
    "chinese": "今天天气很好，我们去公园散步吧！你觉得怎么样？好的。" * 80,
    "korean": "안녕하세요. 오늘은 날씨가 좋네요, 산책하러 갈까요? " * 60,
    "rtl": (ARABIC + ". " + HEBREW + "! ") * 80,
    "emoji": ("Family " + FAMILY + " flag " + FLAG_DE + " thumbs " + THUMBS_UP_MEDIUM
              + " keycap " + KEYCAP_ONE + ". ") * 60,
    "emoji only": FAMILY * 600,
    "combining": ("Zoe\u0308 cafe\u0301 na\u0303o " + "\u1100\u1161\u11a8 ") * 150,
    "long word": "a" * 4000,
    "long link": "see https://example.com/" + "x" * 3500 + " and more",
    "mixed": (PROSE + "日本語です。" + FAMILY + " " + ARABIC + "\n") * 8,
}


@pytest.mark.parametrize("numbering", [False, True])
@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize(("name", "count", "limit"), RULES, ids=[r[0] for r in RULES])
def test_every_part_fits_and_nothing_is_lost(
    name: str, count: Count, limit: int, sample: str, numbering: bool
) -> None:
    check(SAMPLES[sample], limit, count, numbering=numbering)


def test_random_texts_keep_every_promise() -> None:
    rng = random.Random(2026)
    words = ["word", "longerword", "a", "日本語", "。", "、", FAMILY, FLAG_DE, E_ACUTE, "ש\u05b8",
             "https://example.com/p", "example.org", "@al@ex.social", "#tag", ".", ",", "!",
             "\n", "\n\n", " ", "…", THUMBS_UP_MEDIUM, "x" * 40]
    for _ in range(150):
        text = "".join(rng.choice(words) + rng.choice(["", " ", " "]) for _ in range(400))
        _, count, limit = rng.choice(RULES[:4])
        limit = rng.choice([limit, 60, 100])
        check(text, limit, count, numbering=rng.random() < 0.5)


# --- where it cuts -----------------------------------------------------------------------------


def test_paragraph_then_sentence_then_clause_then_word() -> None:
    para = "First paragraph here. It ends now.\n\nSecond paragraph starts, and goes on for a while"
    # The paragraph break (at 34) wins over the later sentence end and clause break.
    assert split_for_limit(para, 60, len) == [
        "First paragraph here. It ends now.",
        "Second paragraph starts, and goes on for a while",
    ]
    sentence = "One sentence ends here. Another goes on, with a clause and some words"
    assert split_for_limit(sentence, 44, len)[0] == "One sentence ends here."
    # Under half of the longest fitting part (49): the clause break is taken instead.
    assert split_for_limit(sentence, 50, len)[0] == "One sentence ends here. Another goes on,"
    clause = "A clause ends here, and the sentence goes on and on with words"
    assert split_for_limit(clause, 40, len)[0] == "A clause ends here,"
    words = "no punctuation at all in this rather long line of words"
    assert split_for_limit(words, 30, len) == [
        "no punctuation at all in this",
        "rather long line of words",
    ]


def test_a_better_cut_is_not_taken_when_it_leaves_the_part_too_short() -> None:
    text = "Hi. " + "word " * 30
    parts = split_for_limit(text, 60, len)
    assert parts[0] != "Hi."  # under half of what fits: the word break further on wins
    assert len(parts[0]) > 50


def test_kinds_of_cut() -> None:
    text = "a b, c. d\ne\n\nf\u201d g.\u201d h; i\u3002j\u3001k"
    cuts = Cuts(text, len(text))
    kinds = {text[cuts[i].end - 1 : cuts[i].start + 1]: cuts[i].kind for i in range(len(cuts) - 1)}
    assert kinds == {
        "a b": WORD, ", c": CLAUSE, ". d": SENTENCE, "d\ne": LINE, "e\n\nf": PARAGRAPH,
        "\u201d g": WORD, "\u201d h": SENTENCE, "; i": CLAUSE, "\u3002j": SENTENCE,
        "\u3001k": CLAUSE,
    }


@pytest.mark.parametrize(
    ("text", "limit", "first"),
    [
        ("これは文です。これも文です。そしてこれも", 16, "これは文です。これも文です。"),
        ("今天很好！我们去吧？好的。", 8, "今天很好！"),
        ("東京、大阪、京都、名古屋、福岡", 9, "東京、大阪、京都、"),
    ],
)
def test_cjk_sentences_and_clauses_need_no_space(text: str, limit: int, first: str) -> None:
    assert split_for_limit(text, limit, len)[0] == first


def test_cjk_without_punctuation_breaks_between_characters_but_not_before_small_kana() -> None:
    text = "ラーメンを食べましたちょっとだけ"
    parts = check(text, 4, len)
    assert all(not part.startswith(("ー", "ょ", "っ")) for part in parts)
    assert "".join(parts) == text


@pytest.mark.parametrize(
    "token",
    [
        "https://example.com/a/path/long/enough",
        "example.org/docs/page",
        "@alice@example.social",
        "@bob.bsky.social",
        "#SomeLongHashtag",
    ],
)
def test_never_inside_a_link_mention_or_hashtag(token: str) -> None:
    text = "some words before " + token + " and after"
    for limit in range(len(token) + 1, len(text)):
        parts = split_for_limit(text, limit, len)
        assert any(token in part for part in parts), (limit, parts)


def test_cjk_cut_never_inside_a_hashtag_or_link() -> None:
    text = "日本語の文章 #東京ラーメン巡り日記 です"
    for limit in range(11, len(text)):
        assert any("#東京ラーメン巡り日記" in part for part in split_for_limit(text, limit, len))
    link = "見て https://example.com/これは。次 です"
    assert any("https://example.com/これは。次" in p for p in split_for_limit(link, 30, len))


@pytest.mark.parametrize("unit", [FAMILY, FLAG_DE, THUMBS_UP_MEDIUM, KEYCAP_ONE, E_ACUTE,
                                  "\u1100\u1161\u11a8", "\u0915\u094d\u0937", "ש\u05b8\u05c1"])
@pytest.mark.parametrize(("name", "count", "limit"), RULES[:4], ids=[r[0] for r in RULES[:4]])
def test_a_run_of_clusters_is_cut_between_clusters(
    unit: str, name: str, count: Count, limit: int
) -> None:
    parts = check(unit * 700, limit, count)
    assert all(part == unit * (len(part) // len(unit)) for part in parts)
    # Full parts: the next cluster would not have fitted.
    assert all(count(part + unit) > limit for part in parts[:-1])


def test_a_word_longer_than_the_limit_is_cut_at_the_limit() -> None:
    assert split_for_limit("x" * 1001, 500, rule("mastodon")) == ["x" * 500, "x" * 500, "x"]
    parts = split_for_limit("short " + "y" * 700 + " end", 300, BLUESKY)
    assert parts == ["short", "y" * 300, "y" * 300, "y" * 100 + " end"]


def test_a_link_longer_than_the_limit_is_cut_only_where_it_must_be() -> None:
    link = "https://example.com/" + "p" * 600
    text = "read " + link + " now"
    # Mastodon and X count the link as 23: it stays whole.
    assert split_for_limit(text, 500, rule("mastodon")) == [text]
    assert split_for_limit(text, 280, rule("x")) == [text]
    # Bluesky counts it in full: the last resort cuts it between clusters.
    parts = check(text, 300, BLUESKY)
    assert parts[0] == "read"
    assert "".join(parts[1:]).replace(" now", "") == link


def test_x_weights_decide_the_cut() -> None:
    text = "日" * 200 + " " + "a" * 10
    parts = check(text, 280, rule("x"))
    assert parts == ["日" * 140, "日" * 60 + " " + "a" * 10]


def test_bluesky_bytes_decide_when_graphemes_would_fit() -> None:
    text = " ".join([FAMILY * 10] * 30)  # 329 graphemes, 7,529 bytes: 251 bytes a word
    parts = check(text, 300, BLUESKY)
    assert [utf8_length(part) for part in parts] == [2760, 2760, 2007]  # 11, 11 and 8 words
    assert [graphemes(part) for part in parts] == [120, 120, 87]


# --- numbering ---------------------------------------------------------------------------------


def test_numbering_counts_in_the_limit() -> None:
    text = "word " * 300  # 1,500 characters
    parts = check(text, 100, len, numbering=True)
    assert parts[0].endswith(" 1/16")  # 19 words a part
    assert parts[-1].endswith(" 16/16")
    assert all(len(part) <= 100 for part in parts)
    assert max(len(part) for part in parts) >= 96


def test_numbering_can_change_the_number_of_parts() -> None:
    # 9 parts without labels; " i/9" costs 4 more per part and pushes a 10th, which makes
    # the labels " i/10": n is found again until it holds.
    text = " ".join(["abcdefghi"] * 90)  # 899 characters
    assert len(split_for_limit(text, 100, len)) == 9
    parts = check(text, 100, len, numbering=True)
    assert len(parts) == 10
    assert parts[-1].endswith(" 10/10")


def test_numbering_around_a_digit_boundary() -> None:
    for words in range(80, 130):
        check(" ".join(["abcdefghi"] * words), 100, len, numbering=True)


def test_a_text_that_fits_is_one_part_without_a_label() -> None:
    assert split_for_limit("  hello world \n", 500, rule("mastodon"), numbering=True) == [
        "hello world"
    ]
    assert split_for_limit("", 500, len) == []
    assert split_for_limit(" \n\t ", 500, len, numbering=True) == []


def test_limits_too_small() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_for_limit("abc", 0, len)
    with pytest.raises(ValueError, match="No part can fit"):
        split_for_limit(FAMILY * 3, 10, rule("threads"))  # one family is 25
    with pytest.raises(ValueError, match="No part can fit"):
        split_for_limit("a b c d e", 4, len, numbering=True)  # "a 1/5" is 5


# --- fold_limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 300, True),
        ("a" * 301, False),
        (FAMILY * 120, True),  # 3,000 bytes
        (FAMILY * 120 + "a", False),  # 3,001 bytes, 121 graphemes
        ("日" * 300, True),
        ("\U0001f3f3\ufe0f\u200d\U0001f308" * 214 + "abcd", True),  # exactly 3,000 bytes
    ],
)
def test_fold_limits_is_exact(text: str, fits: bool) -> None:
    assert (BLUESKY(text) <= 300) is fits
    assert fits == (graphemes(text) <= 300 and utf8_length(text) <= 3000)


# --- speed -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count", "limit"), RULES[:4], ids=[r[0] for r in RULES[:4]])
def test_work_grows_linearly_with_the_text(name: str, count: Count, limit: int) -> None:
    """No clock here (machines are shared and noisy; timings live in docs/composer.md): count
    the calls to the counting rule instead. Twice the text may cost about twice the calls, not
    four times, so a quadratic slip fails deterministically."""

    def calls_for(text: str) -> int:
        calls = 0

        def counting(part: str) -> int:
            nonlocal calls
            calls += 1
            return count(part)

        split_for_limit(text, limit, counting, numbering=True)
        return calls

    short = calls_for((PROSE * 40)[:5000])
    long = calls_for((PROSE * 80)[:10000])
    assert long < 3 * short
