"""core/splitting.py with first_count: the first part measured its own way (a quote on a server
that cannot quote carries the quoted post's link after the first part's words only), the later
parts with the whole limit, and every other promise of the splitter kept (test_splitting.py)."""

from __future__ import annotations

import pytest

from hubbub.core.counting import count_text
from hubbub.core.splitting import split_for_limit
from hubbub.networks.draft_checks import with_quote_link
from tests.unit.test_splitting import NUMBER, PROSE, RULES, SAMPLES, Count, offsets, rule

URL = "https://mastodon.example.com/@alice/113456789012345678"
MASTODON = rule("mastodon")


def with_link(count: Count, url: str = URL) -> Count:
    """The count of a first part as it is sent: its words, a blank line and the link."""
    return lambda part: count(with_quote_link(part, url))


def check(text: str, limit: int, count: Count, first_count: Count, *,
          numbering: bool = False) -> list[str]:
    parts = split_for_limit(text, limit, count, numbering=numbering, first_count=first_count)
    assert parts, "no parts"
    assert first_count(parts[0]) <= limit, first_count(parts[0])
    assert all(count(part) <= limit for part in parts[1:]), [count(p) for p in parts]
    offsets(text, parts, numbering and len(parts) > 1)  # nothing lost, nothing added
    if numbering and len(parts) > 1:
        labels = [NUMBER.search(part) for part in parts]
        assert [(int(m[1]), int(m[2])) for m in labels if m] == [
            (i, len(parts)) for i in range(1, len(parts) + 1)]
    return parts


@pytest.mark.parametrize("numbering", [False, True])
@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize(("name", "count", "limit"), RULES, ids=[r[0] for r in RULES])
def test_the_first_part_fits_with_the_link_and_the_others_fit_the_limit(
    name: str, count: Count, limit: int, sample: str, numbering: bool
) -> None:
    check(SAMPLES[sample], limit, count, with_link(count), numbering=numbering)


def test_the_first_part_leaves_room_for_the_link_and_the_later_parts_keep_the_whole_limit() -> None:
    # Mastodon counts the link as 23, 25 with the blank line before it.
    assert MASTODON(with_quote_link("words", URL)) - MASTODON("words") == 25
    text = "word " * 300  # 1,500 characters
    plain = split_for_limit(text, 500, MASTODON)
    assert len(plain[0]) > 475  # without the link, the first part would not leave room
    parts = check(text, 500, MASTODON, with_link(MASTODON))
    assert 470 < MASTODON(parts[0]) <= 475
    assert MASTODON(with_quote_link(parts[0], URL)) <= 500
    assert all(MASTODON(part) > 475 for part in parts[1:-1])  # the whole limit, not 475


def test_a_text_that_fits_alone_but_not_with_the_link_becomes_two_parts() -> None:
    text = "A sentence that ends here. " + "w" * 450  # 477 characters: fits 500, not 475
    assert split_for_limit(text, 500, MASTODON) == [text]
    assert split_for_limit(text, 500, MASTODON, numbering=True) == [text]
    first = with_link(MASTODON)
    assert check(text, 500, MASTODON, first) == ["A sentence that ends here.", "w" * 450]
    assert check(text, 500, MASTODON, first, numbering=True) == [
        "A sentence that ends here. 1/2", "w" * 450 + " 2/2"]
    # A text that fits with its link stays one post, without a label.
    short = "w" * 475
    assert split_for_limit(short, 500, MASTODON, first_count=first, numbering=True) == [short]


def test_the_first_part_still_ends_at_the_best_cut() -> None:
    # A sentence end before the link's room wins over the word breaks further on.
    text = "The first sentence ends here. " + "and more words " * 40
    parts = check(text, 60, len, with_link(len, "https://q.example/1"))  # the link: 21 more
    assert parts[0] == "The first sentence ends here."
    assert len(parts[1]) > 50  # the next parts are cut at 60, not 39


def test_the_link_already_in_the_first_part_adds_nothing() -> None:
    # The person put the link in the words: with_quote_link adds nothing, and the first part
    # may fill the limit (the first_count says so, the splitter believes it).
    text = f"See {URL} " + "word " * 150
    parts = check(text, 500, MASTODON, with_link(MASTODON))
    assert URL in parts[0]
    assert MASTODON(parts[0]) > 475


def test_numbering_counts_the_label_and_the_link_in_the_first_part() -> None:
    # Without the link, 9 parts; the link's 25 in the first part pushes a tenth, and the
    # labels become " i/10": n is found again until it holds.
    text = " ".join(["abcdefghi"] * 90)  # 899 characters
    assert len(split_for_limit(text, 100, len, numbering=True)) == 10
    first = with_link(len, "https://q.example/1")  # 21 more
    parts = check(text, 100, len, first, numbering=True)
    assert parts[0].endswith(" 1/11")
    assert parts[-1].endswith(" 11/11")
    for words in range(60, 130):
        check(" ".join(["abcdefghi"] * words), 100, len, first, numbering=True)


def test_a_link_too_long_for_any_first_part_is_refused() -> None:
    with pytest.raises(ValueError, match="No part can fit"):
        split_for_limit(PROSE, 20, len, first_count=with_link(len))


def test_a_later_part_is_never_measured_with_the_link() -> None:
    seen: list[str] = []

    def first(part: str) -> int:
        seen.append(part)
        return count_text("mastodon", with_quote_link(part, URL))

    parts = split_for_limit(PROSE * 12, 500, MASTODON, first_count=first)
    assert len(parts) > 2
    starts = {part[:30] for part in seen}
    assert starts == {parts[0][:30]}  # only texts that begin where the first part does
