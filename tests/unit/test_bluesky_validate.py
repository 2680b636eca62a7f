"""BlueskyConnector.validate: no I/O; the composer's counters and problems."""

from __future__ import annotations

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.bluesky.connector import BlueskyConnector
from hubbub.networks.bluesky.mapping import default_capabilities

CONNECTOR = BlueskyConnector()
CAPS = default_capabilities()


def image(alt: str = "A cat", mime: str = "image/jpeg", size: int = 100_000) -> MediaFile:
    return MediaFile(path="/x.jpg", mime_type=mime, alt_text=alt, size=size, width=10, height=10)


def codes(draft: Draft) -> list[str]:
    return [p.code for p in CONNECTOR.validate(draft, CAPS).problems]


def test_empty() -> None:
    assert codes(Draft("")) == ["empty"]
    assert codes(Draft(" \n ")) == ["empty"]
    assert codes(Draft("", media=(image(),))) == []


def test_counts_are_reported_both_ways() -> None:
    result = CONNECTOR.validate(Draft("日本"), CAPS)
    assert (result.count, result.limit, result.byte_count, result.byte_limit) == (2, 300, 6, 3000)
    assert result.ok


def test_up_to_four_images() -> None:
    assert codes(Draft("x", media=(image(),) * 4)) == []
    assert codes(Draft("x", media=(image(),) * 5)) == ["too_many_media"]


def test_images_only() -> None:
    assert codes(Draft("x", media=(image(mime="video/webm"),))) == ["media_type"]  # MP4 only
    for mime in ("image/jpeg", "image/png", "image/webp", "image/gif"):
        assert codes(Draft("x", media=(image(mime=mime),))) == []


def test_large_images_are_fine_they_are_downscaled() -> None:
    assert codes(Draft("x", media=(image(size=25_000_000),))) == []


def test_alt_text_is_required_and_limited() -> None:
    assert codes(Draft("x", media=(image(alt=""),))) == ["alt_missing"]
    assert codes(Draft("x", media=(image(alt="   "),))) == ["alt_missing"]
    assert codes(Draft("x", media=(image(alt="a" * 2000),))) == []
    result = CONNECTOR.validate(Draft("x", media=(image(alt="a" * 2001),)), CAPS)
    assert [p.message for p in result.problems] == [
        "Attachment 1: the description is 1 character over the limit of 2000"]


def test_everything_at_once() -> None:
    draft = Draft("a" * 301, media=(image(alt=""), image(mime="application/pdf")) + (image(),) * 3)
    assert codes(draft) == ["too_long", "too_many_media", "alt_missing", "media_type"]
