"""Threads posts' limits and the composer's check of a draft against them, without I/O.

From Meta's Threads API documentation ("Threads Posts", "Media Specifications", "Overview"):

- Text: 500 characters, emoji counted as their UTF-8 bytes (core/counting_threads.py); links
  count as typed. A content warning leads the text (Threads' API has no such field), so it
  counts too. The API serves no text limit: the documented one is the only source.
- Images: JPEG and PNG, 8 MB at most; others the hub takes (GIF, WebP) are sent as a JPEG made
  from them (networks/threads/media.py). Alt text up to 1,000 characters (`alt_text`).
- A carousel: 2 to 20 images in one post (each an item container); one image is an IMAGE post.
- No video from the hub yet (see the README).
- A thread of posts: each part replies to the one before (`reply_to_id`).
- 250 posts and 1,000 replies in a moving 24 hours: read from the API before publishing
  (threads_publishing_limit), not checked here.
"""

from __future__ import annotations

from hubbub.core.counting import count_text
from hubbub.core.image_fit import FitLimits
from hubbub.networks.base import (
    Capabilities,
    Draft,
    MediaFile,
    MediaLimits,
    Problem,
    Validation,
)
from hubbub.networks.draft_checks import alt_problems, text_problems

TEXT_LIMIT = 500
NATIVE_TYPES = ("image/jpeg", "image/png")
CONVERTED_TYPES = ("image/gif", "image/webp")
IMAGE_TYPES = NATIVE_TYPES + CONVERTED_TYPES
IMAGE_MAX_BYTES = 8 * 1024 * 1024
MAX_IMAGES = 20  # a carousel's children
ALT_TEXT_MAX = 1000
FEEDS = ("own", "notifications")


def fit_limits() -> FitLimits:
    """What a picture is fitted to for Threads: 8 MB, JPEG or PNG, a GIF's first frame."""
    return FitLimits(max_bytes=IMAGE_MAX_BYTES, mime_types=NATIVE_TYPES, motion=False)


def capabilities() -> Capabilities:
    return Capabilities(
        text_limit=TEXT_LIMIT,
        counting="threads",
        media=MediaLimits(max_count=MAX_IMAGES, mime_types=IMAGE_TYPES,
                          image_max_bytes=IMAGE_MAX_BYTES, alt_text_max=ALT_TEXT_MAX,
                          video=None),
        content_warning=False,
        threads=True,
        feeds=FEEDS,
        idempotency="none",
        native_scheduling=False,
        url_length=None,
    )


def validate(draft: Draft, caps: Capabilities) -> Validation:
    count = count_text(caps.counting, draft.text, content_warning=draft.content_warning)
    problems = text_problems(draft, count, caps.text_limit,
                             empty="Write something or attach an image.")
    problems += media_problems(draft.media, caps.media)
    return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))


def media_problems(media: tuple[MediaFile, ...], limits: MediaLimits) -> list[Problem]:
    problems: list[Problem] = []
    if len(media) > limits.max_count:
        problems.append(Problem("too_many_media", f"{len(media)} images; at most "
                                f"{limits.max_count} in one Threads post"))
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        if item.is_video:
            problems.append(Problem("media_type", f"{label}: hubbub does not post video to "
                                    "Threads yet: leave the video out for this account "
                                    "(Customize)"))
            continue
        if item.mime_type not in limits.mime_types:
            problems.append(Problem(
                "media_type", f"{label}: {item.mime_type or 'this file type'} cannot be posted "
                "to Threads (images: JPEG, PNG; GIF and WebP are sent as JPEG)"))
            continue
        # Over 8 MB is no problem: the picture is fitted first (networks/image_fit.py).
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=False)
    return problems
