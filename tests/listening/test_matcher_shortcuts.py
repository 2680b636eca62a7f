"""The matcher's shortcuts at ingest give what the plain computation gives: the remembered words
of a piece past ASCII (text.words_of), and the candidates of an item that names no rule (the
always-checked rules' shared list, no set made)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hubbub.listening import text
from hubbub.listening.conditions import spec_from
from hubbub.listening.matcher import PARTS, RuleSet, compile_rules, doc_of
from hubbub.listening.text import _WORD, fold, words_of
from tests.listening.test_matcher import NOW

# Characters that make pieces past ASCII, and the separators and spaces between them.
TRICKY = [*"aZ_0 -,.'\t\n\x1c", "é", "\u0301", "\u0308", "\u00a0", "\u2003", "\u3000", "\u2028",
          "ß", "™", "\u017f", "\u212a", "\u03a3", "ﬁ", "①", "½", "İ", "\u00a8", "\ufe50", "東",
          "\U0001f600", "\u200d", "\ud800", "ü", "Ж"]


def random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = TRICKY * 20 + [chr(c) for c in range(0x80, 0x3100)]
    # Short texts from a small alphabet repeat their pieces (the memo is read), long ones pass
    # PIECE_CHARS (not remembered).
    return ["".join(rng.choice(alphabet if n % 3 else TRICKY)
                    for _ in range(rng.choice((rng.randint(0, 12), rng.randint(60, 90)))))
            for n in range(count)]


@pytest.fixture
def small_memo(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, ...]]:
    """A fresh memo that fills (and is emptied) every few dozen pieces."""
    memo: dict[str, tuple[str, ...]] = {}
    monkeypatch.setattr(text, "_PIECES", memo)
    monkeypatch.setattr(text, "PIECES_KEPT", 40)
    return memo


def test_remembered_pieces_give_the_patterns_words(small_memo: dict[str, Any]) -> None:
    texts = random_texts(20261207, 6000)
    for _round in range(2):  # the second time, most pieces come from the memo
        for value in texts:
            assert words_of(value) == _WORD.findall(fold(value)), repr(value)
    assert 0 < len(small_memo) <= 40
    for piece, words in small_memo.items():
        assert len(piece) <= text.PIECE_CHARS
        assert words == tuple(_WORD.findall(fold(piece)))


def test_the_memo_is_emptied_when_full_and_keeps_short_pieces_only(
        small_memo: dict[str, Any]) -> None:
    for n in range(100):
        words_of(f"café{n} ok")
        assert len(small_memo) <= 40
    long_piece = "é" * (text.PIECE_CHARS + 1)
    assert words_of(long_piece) == ["e" * (text.PIECE_CHARS + 1)]
    assert long_piece not in small_memo
    # A word whose remembered form is a tuple still comes back as a list of its words.
    assert words_of("Crème brûlée, crème BRÛLÉE") == ["creme", "brulee", "creme", "brulee"]


def test_every_white_space_between_pieces_splits_alike() -> None:
    """Pieces are split where str.split() splits (any white space) and each piece past ASCII
    is folded alone: around every white space code point the words are the pattern's."""
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    for space in spaces:
        for value in (f"a{space}é{space}b", f"é{space}\u0301x", f"ﬁ{space}™{space}Σ"):
            assert words_of(value) == _WORD.findall(fold(value)), repr(value)


def reference_candidates(ruleset: RuleSet, doc: Any) -> list[int]:
    """The candidates as computed before the shortcut: always a new sorted list of a set."""
    found = set(ruleset._always_for.get(doc.network, ruleset._always_else))
    for table, keys in ((ruleset.by_word, doc.words), (ruleset.by_author, doc.authors),
                        (ruleset.by_tag, doc.hashtags)):
        for key in table.keys() & set(keys):
            found.update(table[key])
    for host in doc.hosts:
        parts = host.split(".")
        for n in range(len(parts)):
            found.update(ruleset.by_domain.get(".".join(parts[n:]), ()))
    return sorted(found)


def test_candidates_are_those_of_the_plain_computation() -> None:
    rng = random.Random(12)
    specs: list[dict[str, Any]] = [
        {"conditions": [{"kind": "kind", "values": ["reply"]},
                        {"kind": "network", "values": ["nostr"]}],
         "actions": [{"kind": "mark_read"}]},
        {"conditions": [{"kind": "no_alt"}, {"kind": "network", "values": ["bluesky"]}],
         "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "has_media"}], "actions": [{"kind": "priority"}]},
    ]
    specs += [{"conditions": [{"kind": kind, "values": [value]}], "actions": [{"kind": "hide"}]}
              for kind, value in (("words", "tea"), ("words", "green tea"), ("author", "@a@x.one"),
                                  ("hashtag", "cats"), ("domain", "x.one"), ("words", "café"))]
    ruleset = compile_rules([spec_from(s, rule_id=n + 1, position=n)
                             for n, s in enumerate(specs)], {}, now=NOW)
    vocabulary = ["tea", "green", "Café", "#cats", "https://a.x.one/p", "coffee", "x.one", "hi"]
    for _ in range(3000):
        row = {"text": " ".join(rng.choices(vocabulary, k=rng.randint(0, 6))),
               "author_handle": rng.choice(["@a@x.one", "@b@y.two", ""]),
               "kind": rng.choice(["post", "reply"]),
               "media": rng.choice([[], [{"type": "image"}]])}
        doc = doc_of(row, network=rng.choice(["nostr", "bluesky", "mastodon"]), needs=PARTS)
        expected = reference_candidates(ruleset, doc)
        assert ruleset.candidates(doc) == expected
        ruleset.match(doc)
        assert ruleset.candidates(doc) == expected  # the shared list is left as it was
