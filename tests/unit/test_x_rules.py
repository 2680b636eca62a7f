"""The composer's check of a draft for X (networks/x/rules.py): twitter-text's weighted count
through core/counting.py, and X's media rules."""

from __future__ import annotations

from hubbub.core.counting import x_length
from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.x import rules

CAPS = rules.capabilities()


def codes(draft: Draft) -> list[str]:
    return [p.code for p in rules.validate(draft, CAPS).problems]


def test_counts_by_the_x_rule() -> None:
    text = "日本語 and a link https://example.com/a/very/long/path?with=query 👍🏽"
    result = rules.validate(Draft(text=text), CAPS)
    assert result.count == x_length(text) == 6 + 12 + 23 + 3
    assert result.limit == 280


def test_a_cjk_text_of_141_characters_is_over() -> None:
    assert codes(Draft(text="字" * 140)) == []
    result = rules.validate(Draft(text="字" * 141), CAPS)
    assert [p.message for p in result.problems] == ["2 characters over the limit of 280"]


def test_the_warning_counts_as_it_is_sent() -> None:
    plain = rules.validate(Draft(text="a" * 270), CAPS)
    warned = rules.validate(Draft(text="a" * 270, content_warning="spoiler"), CAPS)
    assert warned.count == plain.count + len("CW: spoiler\n\n")


def image(n: int = 1, mime: str = "image/png", alt: str = "a picture", size: int = 1000) -> tuple[
        MediaFile, ...]:
    return tuple(MediaFile(f"/{i}.png", mime, alt, size=size) for i in range(n))


def video(alt: str = "a clip") -> MediaFile:
    return MediaFile("/v.mp4", "video/mp4", alt, size=10_000_000, width=1280, height=720,
                     duration=30.0, frame_rate=30.0)


def test_four_pictures_fit_five_do_not() -> None:
    assert codes(Draft(text="x", media=image(4))) == []
    assert codes(Draft(text="x", media=image(5))) == ["too_many_media"]


def test_picture_types_sizes_and_alt_text() -> None:
    assert codes(Draft(text="x", media=image(mime="image/heic"))) == ["media_type"]
    assert codes(Draft(text="x", media=image(mime="image/bmp"))) == []  # sent as a JPEG
    assert codes(Draft(text="x", media=image(size=6 * 1048576))) == []  # fitted to 5 MB
    assert codes(Draft(text="x", media=image(mime="image/gif", size=12 * 1048576))) == []
    too_big = rules.validate(Draft(text="x", media=image(mime="image/gif", size=16 * 1048576)),
                             CAPS).problems
    assert [p.code for p in too_big] == ["media_size"]
    assert "moving GIF" in too_big[0].message
    assert "stop moving" in too_big[0].message
    assert codes(Draft(text="x", media=image(alt=""))) == ["alt_missing"]
    assert codes(Draft(text="x", media=image(alt="a" * 1001))) == ["alt_too_long"]


def test_a_gif_or_a_video_goes_alone() -> None:
    gif = image(mime="image/gif")
    assert codes(Draft(text="x", media=gif + image(1))) == ["media_mix"]
    assert codes(Draft(text="x", media=(video(),))) == []
    assert "media_mix" in codes(Draft(text="x", media=(video(), *image(1))))
    long = MediaFile("/v.mp4", "video/mp4", "a", size=1000, width=1280, height=720,
                     duration=200.0, frame_rate=30.0)
    assert codes(Draft(text="x", media=(long,))) == ["video_duration"]


def test_capabilities_round_trip_and_empty_draft() -> None:
    assert CAPS.to_json() == type(CAPS).from_json(CAPS.to_json()).to_json()
    assert CAPS.threads
    assert CAPS.idempotency == "none"
    assert CAPS.counting == "x"
    assert codes(Draft(text="  ")) == ["empty"]



def test_the_composers_preview_shows_the_warning_as_x_posts_it() -> None:
    from hubbub.connections.models import Connection
    from hubbub.publishing.preview import preview

    shown = preview(Connection(network="x", handle="@ada"), CAPS,
                    [Draft(text="see https://example.com/a", content_warning="spoiler")], [])
    [post] = shown.posts
    assert post.content_warning == ""
    assert "".join(s.text for s in post.segments) == "CW: spoiler\n\nsee https://example.com/a"
    assert [s.kind for s in post.segments] == ["text", "link"]
    assert shown.card_note == ("X may show a card for example.com under the post, from the "
                               "page's own tags.")
