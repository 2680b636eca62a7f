"""X's limits (it serves none: they are the documented ones) and the composer's check of a
draft against them, without I/O.

- Text: 280 by twitter-text v3's weighted count (core/counting.py, rule "x"; links 23).
  Accounts with a paid subscription may post longer; the API does not say whose, so the hub
  keeps to 280 and offers threads.
- Media (https://docs.x.com/x-api/media/quickstart/best-practices): up to 4 pictures (JPEG,
  PNG, WebP, GIF; 5 MB each), or 1 animated GIF (15 MB), or 1 video (core/video_limits.X_VIDEO);
  alt text up to 1000 characters (the metadata endpoint's limit). A larger picture is fitted
  to 5 MB before upload (networks/image_fit.py); a GIF over 15 MB is refused, as making it
  smaller would stop it moving.
"""

from __future__ import annotations

from hubbub.core.counting import X_MAX_WEIGHTED_LENGTH, count_text
from hubbub.core.image_fit import FitLimits
from hubbub.core.video_limits import X_VIDEO
from hubbub.networks.base import (
    Capabilities,
    Draft,
    MediaFile,
    MediaLimits,
    Problem,
    Validation,
)
from hubbub.networks.draft_checks import alt_problems, text_problems
from hubbub.networks.image_fit import fit_problems
from hubbub.networks.media_rules import video_problems
from hubbub.networks.x.reading import FEEDS

URL_LENGTH = 23
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
IMAGE_MAX_BYTES = 5 * 1024 * 1024
GIF_MAX_BYTES = 15 * 1024 * 1024
ALT_TEXT_MAX = 1000


def capabilities() -> Capabilities:
    return Capabilities(
        text_limit=X_MAX_WEIGHTED_LENGTH,
        counting="x",
        media=MediaLimits(max_count=4, mime_types=IMAGE_TYPES, image_max_bytes=IMAGE_MAX_BYTES,
                          alt_text_max=ALT_TEXT_MAX, video=X_VIDEO),
        content_warning=False,
        threads=True,
        feeds=FEEDS,
        idempotency="none",
        native_scheduling=False,
        url_length=URL_LENGTH,
    )


def validate(draft: Draft, caps: Capabilities) -> Validation:
    url_length = caps.url_length if caps.url_length is not None else URL_LENGTH
    count = count_text(caps.counting, draft.text, content_warning=draft.content_warning,
                       url_length=url_length)
    problems = text_problems(draft, count, caps.text_limit,
                             empty="Write something or attach media.")
    problems += media_problems(draft.media, caps.media)
    return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))


def fit_limits(limits: MediaLimits) -> FitLimits:
    """What a picture is fitted to for X: 5 MB (a moving GIF 15 MB, as it is), its types."""
    return FitLimits(max_bytes=limits.image_max_bytes, mime_types=limits.mime_types,
                     motion=True, motion_max_bytes=GIF_MAX_BYTES)


def media_problems(media: tuple[MediaFile, ...], limits: MediaLimits) -> list[Problem]:
    problems: list[Problem] = []
    images = [m for m in media if not m.is_video]
    gifs = [m for m in images if m.mime_type == "image/gif"]
    if len(images) > limits.max_count:
        problems.append(Problem("too_many_media",
                                f"{len(images)} images; at most {limits.max_count}"))
    if gifs and len(media) > 1:
        problems.append(Problem("media_mix", "A GIF goes alone on X: post it without the "
                                "other attachments, or leave it out for this account "
                                "(Customize)"))
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=True)
        if item.is_video:
            continue  # type, size, length, picture size, frame rate: video_problems below
        problems += fit_problems(label, item, fit_limits(limits), "X")
    # Alt text of a video is checked above with the pictures': drop video_problems' own.
    return problems + [p for p in video_problems(media, limits, "X")
                       if p.code != "alt_too_long"]
