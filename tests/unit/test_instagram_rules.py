"""Instagram's caption and picture rules (networks/instagram/rules.py), without I/O."""

from __future__ import annotations

from hubbub.networks.base import Draft, MediaFile
from hubbub.networks.instagram import rules

CAPS = rules.capabilities()


def picture(n: int = 1, **kwargs: object) -> MediaFile:
    values: dict[str, object] = {"path": f"/m/{n}.jpg", "mime_type": "image/jpeg",
                                 "alt_text": "a cat", "size": 1000, "width": 1080,
                                 "height": 1080}
    values.update(kwargs)
    return MediaFile(**values)  # type: ignore[arg-type]


def codes(draft: Draft) -> list[str]:
    return [p.code for p in rules.validate(draft, CAPS).problems]


def test_a_caption_with_a_picture_passes() -> None:
    assert codes(Draft(text="Hello #cats", media=(picture(),))) == []


def test_text_alone_needs_a_picture() -> None:
    validation = rules.validate(Draft(text="Hello"), CAPS)
    assert [p.code for p in validation.problems] == ["media_required"]
    assert "picture" in validation.problems[0].message


def test_nothing_at_all_is_empty() -> None:
    assert codes(Draft(text="  ")) == ["empty"]


def test_the_caption_limit_is_2200_graphemes_counting_a_warning() -> None:
    at_limit = Draft(text="é" * 2200, media=(picture(),))
    assert rules.validate(at_limit, CAPS).count == 2200
    assert codes(at_limit) == []
    over = Draft(text="a" * 2195, content_warning="spoil", media=(picture(),))
    validation = rules.validate(over, CAPS)
    assert validation.count > 2200
    assert codes(over) == ["too_long"]


def test_thirty_hashtags_pass_and_thirty_one_do_not() -> None:
    tags = " ".join(f"#t{n}" for n in range(30))
    assert codes(Draft(text=tags, media=(picture(),))) == []
    assert codes(Draft(text=tags + " #one_more", media=(picture(),))) == ["too_many_hashtags"]


def test_an_anchor_or_an_html_entity_is_not_a_hashtag() -> None:
    assert rules.hashtags("see page#section and &#123; but #real") == ["real"]


def test_twenty_mentions_pass_and_twenty_one_do_not() -> None:
    people = " ".join(f"@user.{n}" for n in range(20))
    assert codes(Draft(text=people, media=(picture(),))) == []
    assert codes(Draft(text=people + " @late", media=(picture(),))) == ["too_many_mentions"]
    assert rules.mentions("mail me at ann@example.com, @bob.") == ["bob"]


def test_a_carousel_holds_at_most_ten_pictures() -> None:
    assert codes(Draft(text="", media=tuple(picture(n) for n in range(10)))) == []
    assert "too_many_media" in codes(Draft(text="", media=tuple(picture(n) for n in range(11))))


def test_png_gif_and_webp_are_taken_because_the_hub_makes_them_jpeg() -> None:
    for mime in ("image/png", "image/gif", "image/webp"):
        assert codes(Draft(text="x", media=(picture(mime_type=mime, size=20_000_000),))) == []
    assert codes(Draft(text="x", media=(picture(mime_type="image/heic"),))) == ["media_type"]


def test_a_jpeg_over_8_mb_is_no_problem_it_is_fitted() -> None:
    big = picture(size=20 * 1024 * 1024)
    assert rules.validate(Draft(text="x", media=(big,)), CAPS).ok
    assert rules.fit_limits().max_bytes == 8 * 1024 * 1024
    assert rules.fit_limits().mime_types == ("image/jpeg",)


def test_shapes_outside_4_5_to_1_91_are_refused_saying_which_way() -> None:
    assert codes(Draft(text="x", media=(picture(width=1080, height=1350),))) == []
    assert codes(Draft(text="x", media=(picture(width=1080, height=566),))) == []
    tall = rules.validate(Draft(text="x", media=(picture(width=1000, height=1300),)), CAPS)
    assert [p.code for p in tall.problems] == ["media_dimensions"]
    assert "too tall" in tall.problems[0].message
    wide = rules.validate(Draft(text="x", media=(picture(width=2000, height=1000),)), CAPS)
    assert "too wide" in wide.problems[0].message


def test_a_video_is_a_reel_and_alt_text_is_asked_for_pictures_only() -> None:
    video = MediaFile(path="/m/v.mp4", mime_type="video/mp4", size=10)
    assert codes(Draft(text="x", media=(video,))) == []  # no alt text: not sent for video
    webm = MediaFile(path="/m/v.webm", mime_type="video/webm", size=10)
    assert codes(Draft(text="x", media=(webm,))) == ["media_type"]
    assert codes(Draft(text="x", media=(picture(alt_text=""),))) == ["alt_missing"]


def test_a_reply_is_a_comment_text_only() -> None:
    assert codes(Draft(text="thanks!", in_reply_to="1789")) == []
    assert codes(Draft(text="thanks!", in_reply_to="1789", media=(picture(),))) == ["media_type"]
