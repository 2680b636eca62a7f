"""Mastodon's rules for a post's attachments, as the instance states them (count, types,
image size and pixels, description length; videos through base.video_problems)."""

from __future__ import annotations

from hubbub.networks.base import Capabilities, MediaFile, Problem, video_problems
from hubbub.networks.draft_checks import alt_problems


def media_problems(media: tuple[MediaFile, ...], caps: Capabilities) -> list[Problem]:
    limits = caps.media
    problems: list[Problem] = []
    if len(media) > limits.max_count:
        problems.append(
            Problem("too_many_media", f"{len(media)} attachments; at most {limits.max_count}")
        )
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=True)
        if item.is_video:
            continue  # type, size, length, picture size, frame rate: video_problems below
        if limits.mime_types and item.mime_type not in limits.mime_types:
            problems.append(
                Problem("media_type", f"{label}: {item.mime_type or 'this file type'} "
                        "is not accepted by this server")
            )
        if limits.image_max_bytes and item.size > limits.image_max_bytes:
            problems.append(Problem(
                "media_size", f"{label} is {_mb(item.size)}; the limit is "
                f"{_mb(limits.image_max_bytes)}"))
        pixels = item.width * item.height
        if limits.image_max_pixels and pixels > limits.image_max_pixels:
            problems.append(
                Problem("media_size", f"{label} is {item.width}x{item.height} pixels; "
                        f"the limit is {limits.image_max_pixels:,} pixels")
            )
    return problems + video_problems(media, limits, "this server")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"

