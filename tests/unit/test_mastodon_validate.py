"""MastodonConnector.validate: no I/O, drives the composer's counters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.mastodon.connector import MastodonConnector

CONNECTOR = MastodonConnector()
CAPS = CONNECTOR.default_capabilities()
PNG = MediaFile(path="/tmp/a.png", mime_type="image/png", alt_text="A cat", size=1000,
                width=800, height=600)


def codes(draft: Draft, caps: object = CAPS) -> list[str]:
    return [p.code for p in CONNECTOR.validate(draft, caps).problems]  # type: ignore[arg-type]


def test_counts_like_mastodon() -> None:
    result = CONNECTOR.validate(
        Draft(text="hi @bob@example.social https://example.com/long/path", content_warning="cw"),
        CAPS,
    )
    assert result.count == len("cw") + len("hi @bob ") + 23
    assert result.limit == 500
    assert result.ok


def test_at_and_over_the_limit() -> None:
    assert CONNECTOR.validate(Draft(text="a" * 500), CAPS).ok
    over = CONNECTOR.validate(Draft(text="a" * 490, content_warning="b" * 15), CAPS)
    assert [(p.code, p.message) for p in over.problems] == [
        ("too_long", "5 characters over the limit of 500")
    ]
    assert over.remaining == -5


def test_instance_limits_apply() -> None:
    big = replace(CAPS, text_limit=5000, url_length=30)
    assert CONNECTOR.validate(Draft(text="a" * 4000), big).ok
    assert CONNECTOR.validate(Draft(text="https://x.example.com"), big).count == 30
    # As on a Mastodon server, a host under no listed top-level domain is no link: its letters.
    assert CONNECTOR.validate(Draft(text="https://x.example"), big).count == 17


def test_empty() -> None:
    assert codes(Draft(text="   ")) == ["empty"]
    assert codes(Draft(text="", media=(PNG,))) == []


def test_media_problems() -> None:
    assert codes(Draft(text="x", media=(PNG,) * 5)) == ["too_many_media"]
    assert codes(Draft(text="x", media=(replace(PNG, mime_type="image/heic"),))) == ["media_type"]
    # Fitted before upload: converted, made smaller in bytes and pixels.
    assert codes(Draft(text="x", media=(replace(PNG, mime_type="image/tiff"),))) == []
    huge = replace(PNG, size=17 * 1024 * 1024)
    assert codes(Draft(text="x", media=(huge,))) == []
    wide = replace(PNG, width=10_000, height=10_000)
    assert codes(Draft(text="x", media=(wide,))) == []
    # A GIF may move: it is never made smaller behind the person's back.
    moving = replace(PNG, mime_type="image/gif", size=17 * 1024 * 1024)
    assert codes(Draft(text="x", media=(moving,))) == ["media_size"]
    video = MediaFile(path="/tmp/v.mp4", mime_type="video/mp4", alt_text="clip",
                      size=50 * 1024 * 1024, width=3840, height=2160)
    assert codes(Draft(text="x", media=(video,))) == []  # videos have their own size limit
    assert codes(Draft(text="x", media=(replace(video, size=120 * 1024 * 1024),))) == [
        "media_size"
    ]


@pytest.mark.parametrize(
    ("alt", "expected"),
    [("", ["alt_missing"]), ("  ", ["alt_missing"]), ("a" * 1500, []),
     ("a" * 1501, ["alt_too_long"])],
)
def test_alt_text_is_required_and_bounded(alt: str, expected: list[str]) -> None:
    assert codes(Draft(text="x", media=(replace(PNG, alt_text=alt),))) == expected


def test_problem_messages_name_the_attachment() -> None:
    result = CONNECTOR.validate(Draft(text="x", media=(PNG, replace(PNG, alt_text=""))), CAPS)
    assert [p.message for p in result.problems] == ["Attachment 2 needs a description (alt text)"]
