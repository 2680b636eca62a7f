"""Counting cannot be made to take minutes, and no one can ask it to count a megabyte.

The counters run as the person types. Before, 1,000,000 characters of links and mentions took
48 s in the Mastodon counter, "a.a.a..." over 10 minutes in the X counter and "@a@b.c "
repeated over 30 minutes: each of these inputs here, a megabyte long, would keep this test
running for that long. The counts are exact, so a fast wrong answer fails too. No clock is read:
the time the run takes is the evidence.

Then the cap: text over MAX_POST_CHARS is refused with a sentence before anything counts it, in
the composer (its live counters and sending), `hubbub post` and the CSV import.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub import cli
from hubbub.connections.models import Connection
from hubbub.core import counting
from hubbub.core.counting import MAX_POST_CHARS, RULES, count_text
from hubbub.imports import csv_import
from hubbub.networks import registry
from hubbub.networks.mastodon.mapping import default_capabilities
from hubbub.publishing import preview
from hubbub.publishing.models import Post
from tests.imports.conftest import account as mastodon_account
from tests.imports.conftest import csv_bytes

MEGABYTE = 1_000_000
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


def repeat(unit: str, size: int = MEGABYTE) -> str:
    return unit * (size // len(unit))


# (rule, text, its count)
HOSTILE = [
    # the three inputs of the report
    ("mastodon", repeat("see https://example.com/x @bob@a.b hi "), MEGABYTE // 38 * 36),
    ("x", repeat("a."), MEGABYTE),
    ("mastodon", repeat("@a@b.c "), MEGABYTE // 7 * 3),
    # and their relatives
    ("x", repeat("see https://example.com/x @bob@a.b hi "), MEGABYTE // 38 * 40),  # no mentions
    ("mastodon", repeat("a."), MEGABYTE),
    ("mastodon", repeat("@a."), MEGABYTE // 3 * 3),
    ("mastodon", "http://" + repeat("a."), 7 + MEGABYTE),  # no top-level domain at the end
    ("x", "http://" + repeat("a."), 7 + MEGABYTE),
    ("mastodon", "http://" + repeat("\u00e9."), 7 + MEGABYTE),
    ("x", "http://" + repeat("\u00e9."), 7 + MEGABYTE),
    ("mastodon", repeat("x_x.com."), MEGABYTE),  # no scheme: not a link to Mastodon
    ("mastodon", "https://example.com/" + repeat(")"), 23 + MEGABYTE),
    ("x", "https://example.com/" + repeat(")"), 23 + MEGABYTE),
    ("x", "https://example.com/" + repeat(".)"), 23 + MEGABYTE),
    ("mastodon", "https://example.com/" + repeat("."), 23 + MEGABYTE),
    ("x", "https://example.com?" + repeat("."), 23 + 1 + MEGABYTE),
    # one link of a megabyte: longer than 4,096, so no link (as the server sees it)
    ("mastodon", "https://example.com/" + repeat("(a)") + " x", 20 + MEGABYTE // 3 * 3 + 2),
    ("mastodon", "https://example.com/" + "(a)" * 1000 + " x", 23 + 2),  # 3,020: one link
    ("mastodon", repeat("https://a.b "), MEGABYTE // 12 * 12),  # ".b" is no top-level domain
    ("mastodon", repeat("https://a.io "), MEGABYTE // 13 * 24),
    ("x", repeat("https://a.io "), MEGABYTE // 13 * 24),
    ("mastodon", "https://a.io/" * 300, 23),  # each path swallows the next link
    ("mastodon", repeat("https://a.io/"), MEGABYTE // 13 * 13),  # ... up to 4,096
    ("x", repeat("b.io "), MEGABYTE // 5 * 24),
    ("mastodon", repeat("://"), MEGABYTE // 3 * 3),
    ("mastodon", repeat("@"), MEGABYTE),
    ("threads", repeat("\U0001f44d\U0001f3fd "), MEGABYTE // 3 * 9),
    ("bluesky", repeat("\U0001f44d\U0001f3fd "), MEGABYTE // 3 * 2),
    ("x", repeat("\U0001f44d\U0001f3fd "), MEGABYTE // 3 * 3),
    ("linkedin", repeat("(@#)"), MEGABYTE * 2),
    ("graphemes", repeat("e\u0301"), MEGABYTE // 2),
    # ZWJ families (6 code points with the space: 2 graphemes, 19 bytes of emoji, X 2 + 1),
    # flags, links with a query, links packed without spaces
    ("bluesky", repeat(FAMILY + " "), MEGABYTE // 6 * 2),
    ("threads", repeat(FAMILY + " "), MEGABYTE // 6 * 19),
    ("x", repeat(FAMILY + " "), MEGABYTE // 6 * 3),
    ("threads", repeat("\U0001f1e9\U0001f1ea "), MEGABYTE // 3 * 9),
    ("x", repeat("\U0001f1e9\U0001f1ea "), MEGABYTE // 3 * 3),
    ("mastodon", repeat("https://a.io/x?y=1 "), MEGABYTE // 19 * 24),
    ("x", repeat("https://a.io/x?y=1 "), MEGABYTE // 19 * 24),
    ("x", repeat("x.io,"), MEGABYTE // 5 * 24),
]


@pytest.mark.parametrize(
    ("rule", "text", "expected"), HOSTILE, ids=[f"{r}-{t[:14]!r}" for r, t, _ in HOSTILE]
)
def test_a_megabyte_of_hostile_text_is_counted_exactly(rule: str, text: str,
                                                       expected: int) -> None:
    assert count_text(rule, text) == expected


def test_every_rule_reads_a_megabyte_of_everything_hostile_at_once() -> None:
    mixed = "".join(text[: MEGABYTE // len(HOSTILE)] + " " for _, text, _ in HOSTILE)
    for rule in RULES:
        assert count_text(rule, mixed) > 0
    assert counting.bluesky_length(mixed).utf8_bytes > len(mixed)


# --- the cap -----------------------------------------------------------------------------------

TOO_LONG = "a" * (MAX_POST_CHARS + 1)
SAID = f"the hub takes at most {MAX_POST_CHARS:,}"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The test network only, and every text any counting rule is asked to count."""
    monkeypatch.setattr(registry, "CONNECTORS",
                        {"mastodon": "hubbub.networks.mastodon.connector.MastodonConnector"})
    registry.get_connector.cache_clear()
    seen: list[str] = []
    for name, rule in list(RULES.items()):
        def spy(text: str, warning: str, url_length: int, rule: counting.Rule = rule) -> int:
            seen.append(text)
            return rule(text, warning, url_length)
        monkeypatch.setitem(RULES, name, spy)
    yield seen
    registry.get_connector.cache_clear()


@pytest.fixture
def writer(db: None) -> User:
    return User.objects.create_user("writer", password="correct horse battery staple")


@pytest.fixture
def account(writer: User, counted: list[str]) -> Connection:
    return mastodon_account(writer, "mastodon", "@writer@masto.example")


def test_the_composer_names_the_cap_and_counts_nothing(
    client: Client, writer: User, account: Connection, counted: list[str]
) -> None:
    client.force_login(writer)
    live = client.post(reverse("publishing:count"), {"text": TOO_LONG, "targets": [account.pk]},
                       headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert SAID in live.content.decode()
    sent = client.post(reverse("publishing:compose"),
                       {"action": "now", "text": TOO_LONG, "targets": [account.pk]})
    assert sent.status_code == 400  # the page again, with the form's errors
    assert SAID in sent.content.decode()
    assert not Post.objects.exists()
    assert not any(len(text) > MAX_POST_CHARS for text in counted)
    # one character less is counted as usual
    fits = client.post(reverse("publishing:count"),
                       {"text": TOO_LONG[1:], "targets": [account.pk]},
                       headers={"HX-Request": "true"})
    assert "the hub takes at most" not in fits.content.decode()
    assert any(len(text) == MAX_POST_CHARS for text in counted)


def test_hubbub_post_names_the_cap(account: Connection, counted: list[str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["post", "--user", "writer", "--to", str(account.pk), TOO_LONG])
    assert status == 2
    assert SAID in capsys.readouterr().err
    assert not Post.objects.exists()
    assert counted == []


def test_the_csv_import_refuses_the_row_before_counting(writer: User, account: Connection,
                                                        counted: list[str]) -> None:
    # The import's own limit on a cell (imports/csvfile.py) is lower than the hub's cap.
    later = f"{datetime.now(UTC).year + 1}-06-01 09:00"
    data = csv_bytes([TOO_LONG, later, account.handle, "", "", ""],
                     ["Fine", later, account.handle, "", "", ""])
    batch = csv_import.start_import(user=writer, filename="plan.csv", data=data,
                                    zip_upload=None, zone="UTC")
    problems = [p for p in batch.problems if p["row"] == 2]
    assert problems
    assert "characters long" in problems[0]["message"]
    assert [p["row"] for p in batch.problems] == [2]
    assert counted == ["Fine"]


# --- the composer's preview, which marks the same links and mentions as the person types -----


class _Counted:
    """A span that counts how often its ends are read."""

    reads = 0

    def __init__(self, start: int, end: int) -> None:
        self._start, self._end = start, end

    @property
    def start(self) -> int:
        _Counted.reads += 1
        return self._start

    @property
    def end(self) -> int:
        _Counted.reads += 1
        return self._end


def test_the_preview_drops_overlapping_marks_in_a_bounded_number_of_steps() -> None:
    # Links, mentions and tags of a text at the cap: thousands of marks. Comparing each with
    # every kept one read their ends 8 million times for 4,000 marks; now a few reads each.
    marks = [_Counted(i * 10, i * 10 + 5) for i in range(2000)]
    overlapping = [_Counted(i * 10 + 3, i * 10 + 8) for i in range(2000)]
    _Counted.reads = 0
    kept: list[object] = list(
        preview._without_overlaps(cast("list[preview._Span]", marks + overlapping)))
    assert kept == marks
    assert _Counted.reads < 10 * len(marks + overlapping)


def test_the_mastodon_preview_of_a_text_at_the_cap_marks_everything() -> None:
    unit = "see https://example.com/x @bob@a.b #tag hi "
    text = unit * (MAX_POST_CHARS // len(unit))
    marks = preview._mastodon(text, default_capabilities())
    assert [m.kind for m in marks[:3]] == ["link", "mention", "tag"]
    assert len(marks) == 3 * (MAX_POST_CHARS // len(unit))
