"""A network's refusal, shown beside a post, is cut at a word's end (issue 10: X's refusal
ended mid-word at 200 characters)."""

from __future__ import annotations

from hubbub.accounts.templatetags.hubbub_ui import clip_words

REFUSAL = ("You are not permitted to perform this action. Your account may be limited: "
           "check the X developer portal for the access level of this app, which decides "
           "which endpoints it may call and how many posts it may create each month, and "
           "try again once the limit resets.")


def test_a_long_refusal_ends_on_a_whole_word() -> None:
    shown = clip_words(REFUSAL, 200)
    assert len(shown) <= 200
    assert shown.endswith("…")
    words = REFUSAL.split()
    kept = shown.removesuffix("…").split()
    assert kept == words[: len(kept)]  # every word whole, none cut


def test_short_text_is_left_whole_and_spaces_are_tidied() -> None:
    assert clip_words("Rate  limited\n(429).", 200) == "Rate limited (429)."
    assert clip_words(None, 10) == ""


def test_one_endless_word_is_still_bounded() -> None:
    shown = clip_words("x" * 1000, 50)
    assert len(shown) == 50
    assert shown.endswith("…")
