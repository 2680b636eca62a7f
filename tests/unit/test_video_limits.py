"""Each network's video rules, and how a post's attachments are checked against them."""

from __future__ import annotations

import pytest

from hubbub.core.video_limits import (
    LINKEDIN_VIDEO,
    THREADS_VIDEO,
    X_VIDEO,
    VideoFacts,
    VideoLimits,
    video_limit_problems,
)
from hubbub.networks.base import Capabilities, Draft, MediaFile
from hubbub.networks.bluesky import mapping as bluesky_mapping
from hubbub.networks.bluesky.connector import BlueskyConnector
from hubbub.networks.mastodon import mapping as mastodon_mapping
from hubbub.networks.mastodon.connector import MastodonConnector
from hubbub.networks.nostr.connector import NostrConnector

MB = 1_000_000


def facts(mime: str = "video/mp4", size: int = 5 * MB, width: int = 1280, height: int = 720,
          seconds: float = 30.0, fps: float | None = 30.0) -> VideoFacts:
    return VideoFacts(mime, size, width, height, seconds, fps)


@pytest.mark.parametrize(
    ("limits", "video", "codes"),
    [
        (X_VIDEO, facts(), []),
        (X_VIDEO, facts(seconds=140.0), []),
        (X_VIDEO, facts(seconds=140.5), ["video_duration"]),
        (X_VIDEO, facts(seconds=0.4), ["video_duration"]),
        (X_VIDEO, facts(mime="video/quicktime"), []),
        (X_VIDEO, facts(mime="video/webm"), ["media_type"]),
        (X_VIDEO, facts(size=513 * 1024 * 1024), ["media_size"]),
        (X_VIDEO, facts(width=1920, height=1080), ["video_dimensions"]),
        (X_VIDEO, facts(width=720, height=1280), []),  # portrait within 1280x1024 pixels
        (X_VIDEO, facts(width=1000, height=200), ["video_dimensions"]),  # 5:1
        (X_VIDEO, facts(fps=120.0), ["video_frame_rate"]),
        (THREADS_VIDEO, facts(seconds=300.0, width=1920, height=1080, fps=60.0), []),
        (THREADS_VIDEO, facts(seconds=301.0), ["video_duration"]),
        (THREADS_VIDEO, facts(fps=15.0), ["video_frame_rate"]),
        (THREADS_VIDEO, facts(width=2560, height=1440), ["video_dimensions"]),
        (LINKEDIN_VIDEO, facts(seconds=2.0), ["video_duration"]),
        (LINKEDIN_VIDEO, facts(size=10_000), ["media_size"]),
        (LINKEDIN_VIDEO, facts(mime="video/quicktime"), ["media_type"]),
        (bluesky_mapping.default_capabilities().media.video, facts(seconds=180.0), []),
        (bluesky_mapping.default_capabilities().media.video, facts(seconds=181.0),
         ["video_duration"]),
        (bluesky_mapping.default_capabilities().media.video, facts(size=100 * MB + 1),
         ["media_size"]),
        (bluesky_mapping.default_capabilities().media.video, facts(mime="video/webm"),
         ["media_type"]),
        (mastodon_mapping.DEFAULT_VIDEO, facts(mime="video/webm", seconds=3600.0), []),
        (mastodon_mapping.DEFAULT_VIDEO, facts(width=7680, height=4320), ["video_dimensions"]),
        (mastodon_mapping.DEFAULT_VIDEO, facts(fps=240.0), ["video_frame_rate"]),
        # unknown facts (0 / None, from a page that could not read them) break nothing
        (X_VIDEO, facts(seconds=0.0, width=0, height=0, fps=None), []),
    ],
)
def test_limit_table(limits: VideoLimits | None, video: VideoFacts, codes: list[str]) -> None:
    assert limits is not None
    assert [code for code, _ in video_limit_problems(video, limits)] == codes


def test_messages_say_what_and_the_limit() -> None:
    [(_, long)] = video_limit_problems(facts(seconds=200.0), X_VIDEO)
    assert long == "is 3:20 minutes long; the limit is 2:20 minutes"
    [(_, kind)] = video_limit_problems(facts(mime="video/webm"), X_VIDEO)
    assert kind == "is WebM; only MP4 or QuickTime (MOV) is accepted"


def video(seconds: float = 10.0, mime: str = "video/mp4", alt: str = "a clip") -> MediaFile:
    return MediaFile(path="", mime_type=mime, alt_text=alt, size=2 * MB, width=640,
                     height=360, duration=seconds, frame_rate=25.0)


def image(alt: str = "a picture") -> MediaFile:
    return MediaFile(path="", mime_type="image/png", alt_text=alt, size=MB, width=800,
                     height=600)


def codes(connector: object, caps: Capabilities, *media: MediaFile) -> list[str]:
    result = connector.validate(Draft(text="hello", media=media), caps)  # type: ignore[attr-defined]
    return [p.code for p in result.problems]


def test_one_image_or_video_rule_per_network() -> None:
    bsky, bsky_caps = BlueskyConnector(), bluesky_mapping.default_capabilities()
    masto, masto_caps = MastodonConnector(), mastodon_mapping.default_capabilities()
    assert codes(bsky, bsky_caps, video()) == []
    assert codes(bsky, bsky_caps, image(), image(), image(), image()) == []
    assert codes(bsky, bsky_caps, video(), image()) == ["media_mix"]
    assert codes(bsky, bsky_caps, video(), video()) == ["too_many_media"]
    assert codes(bsky, bsky_caps, video(seconds=200)) == ["video_duration"]
    assert codes(bsky, bsky_caps, video(alt="")) == ["alt_missing"]
    assert codes(masto, masto_caps, video(mime="video/webm")) == []
    assert codes(masto, masto_caps, video(), image()) == ["media_mix"]
    assert codes(masto, masto_caps, video(seconds=3600)) == []  # Mastodon limits size only


def test_nostr_says_it_takes_no_video() -> None:
    nostr = NostrConnector()
    result = nostr.validate(Draft(text="hi", media=(video(),)), nostr.default_capabilities())
    assert any("video" in p.message or "media" in p.message for p in result.problems)


def test_an_instance_serves_its_own_video_rules() -> None:
    caps = mastodon_mapping.capabilities_from_instance({
        "domain": "small.example",
        "configuration": {"media_attachments": {
            "supported_mime_types": ["image/png", "video/mp4"],
            "video_size_limit": 41943040, "video_frame_rate_limit": 60,
            "video_matrix_limit": 2304000}},
    })
    rules = caps.media.video
    assert rules is not None
    assert (rules.mime_types, rules.max_bytes, rules.max_frame_rate, rules.max_pixels) == (
        ("video/mp4",), 41943040, 60, 2304000)
    masto = MastodonConnector()
    assert codes(masto, caps, video(mime="video/webm")) == ["media_type"]
    # stored as JSON on the connection and read back the same
    assert Capabilities.from_json(caps.to_json()) == caps
    no_video = mastodon_mapping.capabilities_from_instance({
        "domain": "x", "configuration": {"media_attachments": {
            "supported_mime_types": ["image/png"]}}})
    assert no_video.media.video is None
    assert codes(masto, no_video, video()) == ["media_type"]
