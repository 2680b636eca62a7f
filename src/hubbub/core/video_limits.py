"""What a network accepts as video (`VideoLimits`), and which of its rules a video breaks
(`video_limit_problems`), in sentences people read. The facts come from core/video.py's probe
(or from the composer's page, which may not know them all)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoLimits:
    """One network's rules for video. None means "no such limit"."""

    mime_types: tuple[str, ...]
    max_bytes: int | None = None
    min_bytes: int | None = None
    max_seconds: float | None = None
    min_seconds: float | None = None
    max_pixels: int | None = None  # width x height (Mastodon's video_matrix_limit)
    max_width: int | None = None
    min_edge: int | None = None
    max_frame_rate: float | None = None
    min_frame_rate: float | None = None
    max_aspect: float | None = None  # the longer side over the shorter, e.g. 3.0 for 3:1
    max_count: int = 1  # videos in one post
    with_images: bool = False  # may a post carry images beside its video?
    alt_text_max: int | None = None


@dataclass(frozen=True)
class VideoFacts:
    """What a limit check needs to know of one video (from VideoInfo and the file size)."""

    mime_type: str
    size: int
    width: int
    height: int
    duration: float
    frame_rate: float | None = None


def video_limit_problems(video: VideoFacts, limits: VideoLimits) -> list[tuple[str, str]]:
    """(code, sentence) for each rule the video breaks. A fact we do not know (0 or None, as
    from a page that could not read it) breaks nothing: the server checks the file itself."""
    found: list[tuple[str, str]] = []
    if limits.mime_types and video.mime_type not in limits.mime_types:
        kinds = " or ".join(_KIND_NAMES.get(m, m) for m in limits.mime_types)
        found.append(("media_type", f"is {_KIND_NAMES.get(video.mime_type, video.mime_type)}; "
                      f"only {kinds} is accepted"))
    if limits.max_bytes and video.size > limits.max_bytes:
        found.append(("media_size", f"is {_mb(video.size)}; the limit is {_mb(limits.max_bytes)}"))
    if limits.min_bytes and 0 < video.size < limits.min_bytes:
        found.append(("media_size", f"is {video.size:,} bytes; at least "
                      f"{limits.min_bytes:,} are needed"))
    if video.duration > 0:
        if limits.max_seconds and video.duration > limits.max_seconds:
            found.append(("video_duration", f"is {_clock(video.duration)} long; the limit is "
                          f"{_clock(limits.max_seconds)}"))
        if limits.min_seconds and video.duration < limits.min_seconds:
            found.append(("video_duration", f"is {_clock(video.duration)} long; it must last "
                          f"at least {_clock(limits.min_seconds)}"))
    if video.width > 0 and video.height > 0:
        size = f"{video.width}x{video.height}"
        if limits.max_pixels and video.width * video.height > limits.max_pixels:
            found.append(("video_dimensions", f"is {size} pixels; the limit is "
                          f"{limits.max_pixels:,} pixels"))
        if limits.max_width and video.width > limits.max_width:
            found.append(("video_dimensions", f"is {video.width} pixels wide; the limit is "
                          f"{limits.max_width}"))
        if limits.min_edge and min(video.width, video.height) < limits.min_edge:
            found.append(("video_dimensions", f"is {size} pixels; each side needs at least "
                          f"{limits.min_edge}"))
        ratio = max(video.width, video.height) / min(video.width, video.height)
        if limits.max_aspect and ratio > limits.max_aspect + 1e-9:
            found.append(("video_dimensions", f"is {size}, too narrow or too wide (at most "
                          f"{limits.max_aspect:g}:1)"))
    if video.frame_rate:
        if limits.max_frame_rate and video.frame_rate > limits.max_frame_rate + 0.01:
            found.append(("video_frame_rate", f"runs at {video.frame_rate:g} frames a second; "
                          f"the limit is {limits.max_frame_rate:g}"))
        if limits.min_frame_rate and video.frame_rate < limits.min_frame_rate - 0.01:
            found.append(("video_frame_rate", f"runs at {video.frame_rate:g} frames a second; "
                          f"at least {limits.min_frame_rate:g} are needed"))
    return found


_KIND_NAMES = {"video/mp4": "MP4", "video/quicktime": "QuickTime (MOV)", "video/webm": "WebM"}


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB" if size % 1_000_000 else f"{size // 1_000_000:,} MB"


def _clock(seconds: float) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds:g} seconds"
    minutes, rest = divmod(round(seconds), 60)
    if rest:
        return f"{minutes}:{rest:02d} minutes"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# Networks' published rules, for connectors whose server does not serve them (and for the
# composer's tests). Mastodon builds its own from the instance.
X_VIDEO = VideoLimits(  # X media best practices: tweet_video
    mime_types=("video/mp4", "video/quicktime"), max_bytes=512 * 1024 * 1024,
    min_seconds=0.5, max_seconds=140, max_pixels=1280 * 1024, min_edge=32,
    max_frame_rate=60, max_aspect=3.0, max_count=1, with_images=False)
THREADS_VIDEO = VideoLimits(  # Meta's Threads API media specifications
    mime_types=("video/mp4", "video/quicktime"), max_bytes=1024 * 1024 * 1024,
    max_seconds=300, max_width=1920, min_frame_rate=23, max_frame_rate=60,
    max_count=1, with_images=False)
LINKEDIN_VIDEO = VideoLimits(  # LinkedIn Videos API (Microsoft Learn)
    mime_types=("video/mp4",), min_bytes=75 * 1024, max_bytes=500 * 1024 * 1024,
    min_seconds=3, max_seconds=30 * 60, max_count=1, with_images=False)
INSTAGRAM_VIDEO = VideoLimits(  # Meta's IG User Media reference: reel specifications
    mime_types=("video/mp4", "video/quicktime"), max_bytes=300 * 1024 * 1024,
    min_seconds=3, max_seconds=15 * 60, max_width=1920, min_frame_rate=23, max_frame_rate=60,
    max_aspect=10.0, max_count=10, with_images=True)  # a carousel may mix videos and images
