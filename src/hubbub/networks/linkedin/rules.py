"""LinkedIn's limits (it serves none: they are the documented ones) and the composer's check of
a draft against them, without I/O.

- Text: 3000 characters of commentary as posted, reserved characters escaped (core/counting.py,
  rule "linkedin").
- Pictures (Images API; Posts API's MultiImage): one picture, or 2 to 20 in a multi-image post;
  JPEG, PNG or GIF; at most 36,152,320 pixels. LinkedIn states no byte limit for pictures: the
  hub keeps to 10 MB, what its composer accepts from any network with such a rule.
- Alt text: `altText` of the post's media, up to 4086 characters.
- Video (Videos API; core/video_limits.LINKEDIN_VIDEO): one MP4 of 75 KB to 500 MB and 3
  seconds to 30 minutes, alone (no pictures beside it).
"""

from __future__ import annotations

from hubbub.core.counting import LINKEDIN_MAX_LENGTH, count_text
from hubbub.core.video_limits import LINKEDIN_VIDEO
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
from hubbub.networks.linkedin.little import reserved_count
from hubbub.networks.media_rules import video_problems

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_PIXELS = 36_152_320
MAX_IMAGES = 20
ALT_TEXT_MAX = 4086
FEEDS = ("own", "notifications")  # notifications: the comments on its posts


def capabilities() -> Capabilities:
    return Capabilities(
        text_limit=LINKEDIN_MAX_LENGTH,
        counting="linkedin",
        media=MediaLimits(max_count=MAX_IMAGES, mime_types=IMAGE_TYPES,
                          image_max_bytes=IMAGE_MAX_BYTES, image_max_pixels=IMAGE_MAX_PIXELS,
                          alt_text_max=ALT_TEXT_MAX, video=LINKEDIN_VIDEO),
        content_warning=False,
        threads=False,
        feeds=FEEDS,
        idempotency="none",
        native_scheduling=False,
        url_length=None,
    )


def validate(draft: Draft, caps: Capabilities) -> Validation:
    count = count_text(caps.counting, draft.text, content_warning=draft.content_warning)
    why = (" (each of \\ | { } @ [ ] ( ) < > # * _ ~ counts twice: LinkedIn takes them "
           "escaped)") if count > caps.text_limit and reserved_count(
               draft.text + draft.content_warning) else ""
    problems = text_problems(draft, count, caps.text_limit,
                             empty="Write something or attach a picture.", why=why)
    problems += media_problems(draft.media, caps.media)
    return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))


def media_problems(media: tuple[MediaFile, ...], limits: MediaLimits) -> list[Problem]:
    problems: list[Problem] = []
    pictures = [m for m in media if not m.is_video]
    if len(pictures) > limits.max_count:
        problems.append(Problem("too_many_media",
                                f"{len(pictures)} pictures; at most {limits.max_count}"))
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=False)
        if item.is_video:
            continue  # type, size, length, count, no pictures beside it: video_problems
        # Bytes and pixels over the limit are fitted before upload (networks/image_fit.py).
        problems += fit_problems(label, item, fit_limits_of(limits),
                                 "LinkedIn")
    # Alt text of a video is checked above with the pictures': drop video_problems' own.
    return problems + [p for p in video_problems(media, limits, "LinkedIn")
                       if p.code != "alt_too_long"]
