"""LinkedIn's limits (it serves none: they are the documented ones) and the composer's check of
a draft against them, without I/O.

- Text: 3000 characters of commentary as posted, reserved characters escaped (core/counting.py,
  rule "linkedin").
- Pictures (Images API; Posts API's MultiImage): one picture, or 2 to 20 in a multi-image post;
  JPEG, PNG or GIF; at most 36,152,320 pixels. LinkedIn states no byte limit for pictures: the
  hub keeps to 10 MB, what its composer accepts from any network with such a rule.
- Alt text: `altText` of the post's media, up to 4086 characters.
- Video goes through a different API (Videos API) that this connector does not use yet.
"""

from __future__ import annotations

from hubbub.core.counting import LINKEDIN_MAX_LENGTH, count_text
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
                          alt_text_max=ALT_TEXT_MAX, video=None),
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
    if len(media) > limits.max_count:
        problems.append(Problem("too_many_media",
                                f"{len(media)} pictures; at most {limits.max_count}"))
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        if item.is_video:
            problems.append(Problem("media_type", f"{label} is a video: the hub cannot post "
                                    "video to LinkedIn yet (leave it out for this account "
                                    "with Customize)"))
            continue
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=False)
        # Bytes and pixels over the limit are fitted before upload (networks/image_fit.py).
        problems += fit_problems(label, item, fit_limits_of(limits),
                                 "LinkedIn")
    return problems
