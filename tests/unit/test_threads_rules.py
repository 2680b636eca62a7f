"""Threads' limits and the composer's check (networks/threads/rules.py), counted as Meta's
"Threads Posts" page says: 500 characters, an emoji as its UTF-8 bytes."""

from __future__ import annotations

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.threads import rules

CAPS = rules.capabilities()


def codes(draft: Draft) -> list[str]:
    return [p.code for p in rules.validate(draft, CAPS).problems]


def test_five_hundred_characters_fit_and_one_more_does_not() -> None:
    assert rules.validate(Draft(text="a" * 500), CAPS).ok
    over = rules.validate(Draft(text="a" * 501), CAPS)
    assert over.count == 501
    assert codes(Draft(text="a" * 501)) == ["too_long"]
    assert "1 character over the limit of 500" in over.problems[0].message


def test_an_emoji_counts_as_its_utf8_bytes() -> None:
    assert rules.validate(Draft(text="👍"), CAPS).count == 4
    assert rules.validate(Draft(text="a" * 496 + "👍"), CAPS).ok
    assert codes(Draft(text="a" * 497 + "👍")) == ["too_long"]


def test_a_content_warning_leads_the_text_and_counts() -> None:
    plain = rules.validate(Draft(text="plot"), CAPS).count
    warned = rules.validate(Draft(text="plot", content_warning="spoilers"), CAPS).count
    assert warned == plain + len("CW: spoilers\n\n")


def test_nothing_to_post_is_refused() -> None:
    assert codes(Draft(text="  ")) == ["empty"]


def image(n: int = 1, **kw: object) -> MediaFile:
    values: dict = {"path": f"/m/{n}.jpg", "mime_type": "image/jpeg", "size": 1000}
    values.update(kw)
    return MediaFile(**values)


def test_up_to_twenty_images_make_a_carousel_and_more_do_not() -> None:
    assert rules.validate(Draft(text="", media=tuple(image(n) for n in range(20))), CAPS).ok
    assert codes(Draft(text="", media=tuple(image(n) for n in range(21)))) == \
        ["too_many_media"]


def test_image_types_sizes_and_descriptions() -> None:
    assert rules.validate(Draft(text="x", media=(image(mime_type="image/webp"),)), CAPS).ok
    assert codes(Draft(text="x", media=(image(mime_type="image/heic"),))) == ["media_type"]
    assert codes(Draft(text="x", media=(image(size=9 * 1048576),))) == []  # fitted to 8 MB
    assert codes(Draft(text="x", media=(image(alt_text="d" * 1001),))) == ["alt_too_long"]
    assert rules.validate(Draft(text="x", media=(image(alt_text="d" * 1000),)), CAPS).ok


def test_video_is_left_out_with_a_reason() -> None:
    video = MediaFile(path="/m/v.mp4", mime_type="video/mp4", size=1000)
    problems = rules.validate(Draft(text="x", media=(video,)), CAPS).problems
    assert [p.code for p in problems] == ["media_type"]
    assert "video" in problems[0].message


def test_capabilities_say_threads_and_the_feeds() -> None:
    assert CAPS.text_limit == 500
    assert CAPS.counting == "threads"
    assert CAPS.threads
    assert CAPS.feeds == ("own", "notifications")
    assert CAPS.media.max_count == 20
    assert CAPS.media.image_max_bytes == 8 * 1024 * 1024
