"""Facebook Page posts' limits (Facebook serves none: the documented or observed ones) and the
composer's check of a draft against them, without I/O.

- Text: 63,206 characters (NETWORKS.md; a third-party figure Meta does not state), counted as
  graphemes of the text as posted (a content warning leads it, Facebook has no such field).
  Links count in full: Facebook does not shorten them.
- Photos ("Photo" reference, POST /{page-id}/photos): JPEG, PNG, GIF, BMP or TIFF, of 4 MB
  or less each (the reference's file size limit; the Help Center's 10 MB is for people in
  the app); a larger one is fitted to 4 MB before upload (networks/image_fit.py). Alt text
  through `alt_text_custom`. Several photos go in one post with
  attached_media; Meta gives no maximum, the hub keeps to 10. No video: that needs the
  publish_video permission, which the hub does not ask for.
- Threads of posts do not exist on Facebook; a reply is a comment.
"""

from __future__ import annotations

from hubbub.core.counting import count_text, inline_warning
from hubbub.networks.base import (
    Capabilities,
    Draft,
    MediaFile,
    MediaLimits,
    Problem,
    Validation,
    fit_limits_of,
)
from hubbub.networks.draft_checks import alt_problems, text_problems
from hubbub.networks.image_fit import fit_problems

TEXT_LIMIT = 63_206
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff")
IMAGE_MAX_BYTES = 4 * 1024 * 1024
MAX_PHOTOS = 10
ALT_TEXT_MAX = 1000  # Meta states none; kept modest so nothing is cut off silently
FEEDS = ("home", "own", "notifications")


def capabilities() -> Capabilities:
    return Capabilities(
        text_limit=TEXT_LIMIT,
        counting="graphemes",
        media=MediaLimits(max_count=MAX_PHOTOS, mime_types=IMAGE_TYPES,
                          image_max_bytes=IMAGE_MAX_BYTES, alt_text_max=ALT_TEXT_MAX,
                          video=None),
        content_warning=False,
        threads=False,
        feeds=FEEDS,
        idempotency="none",
        native_scheduling=False,
        url_length=None,
    )


def validate(draft: Draft, caps: Capabilities) -> Validation:
    count = count_text(caps.counting, inline_warning(draft.text, draft.content_warning))
    problems = text_problems(draft, count, caps.text_limit,
                             empty="Write something or attach a photo.")
    problems += media_problems(draft.media, caps.media)
    return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))


def media_problems(media: tuple[MediaFile, ...], limits: MediaLimits) -> list[Problem]:
    problems: list[Problem] = []
    if len(media) > limits.max_count:
        problems.append(Problem("too_many_media",
                                f"{len(media)} photos; at most {limits.max_count}"))
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        if item.is_video:
            problems.append(Problem("media_type", f"{label}: hubbub cannot post video to a "
                                    "Facebook Page: leave the video out for this Page "
                                    "(Customize)"))
            continue
        # Bytes over the limit are fitted before upload (networks/image_fit.py).
        problems += fit_problems(label, item, fit_limits_of(limits),
                                 "Facebook")
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=True)
    return problems
