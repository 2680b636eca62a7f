"""Instagram posts' limits and the composer's check of a draft against them, without I/O.

From Meta's "IG User Media" reference (POST /{ig-user-id}/media) and "Content Publishing":

- Every feed post carries a picture: an image post is one JPEG, a carousel 2 to 10 images
  (`media_type=CAROUSEL` with `children`). Instagram takes JPEG only; the hub turns PNG, GIF
  and WebP into a JPEG before the network fetches it (media.py), so those are accepted here.
  Images over 8 MiB are refused by Instagram ("Error Codes", 2207004): the hub fits larger
  ones to it first (networks/image_fit.py). Shapes outside 4:5 to 1.91:1 (width to height;
  2207009) are refused here: fitting keeps a picture's shape.
- The caption: at most 2,200 characters, 30 hashtags and 20 @ tags. Meta does not say how it
  counts characters: the hub counts graphemes (what a person sees as one character).
  Links in a caption are not clickable and count as typed.
- Alt text (`alt_text`, image posts, added March 2025): Meta states no maximum; the hub keeps
  to 1,000 characters so nothing is cut silently.
- A reply is a comment (POST /{ig-media-id}/comments, or /{ig-comment-id}/replies on a
  comment): text only, under the same caption rules.
- Video: one video alone is a reel (`media_type=REELS`; "all single feed videos ... shared as
  reels"): MP4 or MOV, 3 seconds to 15 minutes, 300 MB, at most 1920 pixels wide, 23 to 60
  frames a second, width to height within 0.01:1 to 10:1 (core/video_limits.INSTAGRAM_VIDEO).
  In a carousel a video is an item (`media_type=VIDEO`) beside pictures, under the older video
  rules: 3 to 60 seconds and 100 MB. Alt text goes with images only, so a video's description
  is not sent.

Nothing here is served by the API except the daily publishing limit (content_publishing_limit),
which the connector reads when it publishes.
"""

from __future__ import annotations

import re

from hubbub.core.counting import count_text, inline_warning
from hubbub.core.image_fit import JPEG, FitLimits
from hubbub.core.video_limits import INSTAGRAM_VIDEO
from hubbub.networks.base import (
    Capabilities,
    Draft,
    MediaFile,
    MediaLimits,
    Problem,
    Validation,
)
from hubbub.networks.draft_checks import alt_problems, text_problems
from hubbub.networks.media_rules import video_problems

CAPTION_LIMIT = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_CAROUSEL = 10
# What the hub turns into a JPEG for Instagram (media.py); Instagram itself takes JPEG only.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = INSTAGRAM_VIDEO.mime_types
# A video as a carousel item (ig-user/media's video specifications): 3 to 60 seconds, 100 MB.
CAROUSEL_VIDEO_SECONDS = 60
CAROUSEL_VIDEO_BYTES = 100 * 1024 * 1024
IMAGE_MAX_BYTES = 8 * 1024 * 1024
ALT_TEXT_MAX = 1000
# Width to height, "Image specifications" of POST /{ig-user-id}/media: 4:5 to 1.91:1.
MIN_ASPECT = 4 / 5
MAX_ASPECT = 1.91
ASPECT_SLACK = 0.005  # rounding of a crop made to the exact ratio
FEEDS = ("own", "notifications")

# A hashtag or an @ tag as Instagram links them: the mark after a start or a space, then word
# characters (dots too in usernames).
_HASHTAG = re.compile(r"(?:^|(?<=[^\w&]))#(\w+)", re.UNICODE)
_MENTION = re.compile(r"(?:^|(?<=[^\w]))@([\w.]+)", re.UNICODE)


def fit_limits() -> FitLimits:
    """What a picture is fitted to for Instagram: a JPEG of at most 8 MiB, a still."""
    return FitLimits(max_bytes=IMAGE_MAX_BYTES, mime_types=(JPEG,), motion=False)


def capabilities() -> Capabilities:
    return Capabilities(
        text_limit=CAPTION_LIMIT,
        counting="graphemes",
        media=MediaLimits(max_count=MAX_CAROUSEL, mime_types=IMAGE_TYPES,
                          image_max_bytes=IMAGE_MAX_BYTES, alt_text_max=ALT_TEXT_MAX,
                          video=INSTAGRAM_VIDEO),
        content_warning=False,
        threads=False,
        feeds=FEEDS,
        idempotency="none",
        native_scheduling=False,
        url_length=None,
    )


def caption_of(draft: Draft) -> str:
    """The caption a post carries: Instagram has no content-warning field, so a warning leads
    the text as its own paragraph."""
    return inline_warning(draft.text, draft.content_warning)


def hashtags(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def mentions(text: str) -> list[str]:
    return [name.rstrip(".") for name in _MENTION.findall(text) if name.rstrip(".")]


def validate(draft: Draft, caps: Capabilities) -> Validation:
    caption = caption_of(draft)
    count = count_text(caps.counting, caption)
    problems = text_problems(draft, count, caps.text_limit,
                             empty="Attach a picture or a video: every Instagram post "
                             "has one.")
    tags, people = len(hashtags(caption)), len(mentions(caption))
    if tags > MAX_HASHTAGS:
        problems.append(Problem("too_many_hashtags", f"{tags} hashtags; Instagram allows at "
                                f"most {MAX_HASHTAGS} in a caption"))
    if people > MAX_MENTIONS:
        problems.append(Problem("too_many_mentions", f"{people} @ tags; Instagram allows at "
                                f"most {MAX_MENTIONS} in a caption"))
    if draft.in_reply_to:
        if draft.media:
            problems.append(Problem("media_type", "A reply on Instagram is a comment, which "
                                    "cannot carry pictures: leave them out of the reply"))
        return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))
    if not draft.media and draft.text.strip():
        problems.append(Problem("media_required", "Instagram posts need a picture or a video: "
                                "attach one (or up to 10, shown as a carousel)"))
    problems += media_problems(draft.media, caps.media)
    return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))


def media_problems(media: tuple[MediaFile, ...], limits: MediaLimits) -> list[Problem]:
    problems: list[Problem] = []
    if len(media) > limits.max_count:
        problems.append(Problem("too_many_media", f"{len(media)} attachments; an Instagram "
                                f"carousel holds at most {limits.max_count}"))
    # Type, size, length, width, frame rate and shape of each video (a reel's rules); alt text
    # is not sent for a video, so its length breaks nothing.
    problems += [p for p in video_problems(media, limits, "Instagram")
                 if p.code not in ("alt_too_long", "too_many_media")]
    for index, item in enumerate(media, start=1):
        label = f"Attachment {index}"
        if item.is_video:
            if len(media) > 1:
                problems += carousel_video_problems(label, item)
            continue
        if item.mime_type not in limits.mime_types:
            problems.append(Problem(
                "media_type", f"{label}: {item.mime_type or 'this file type'} cannot be posted "
                "to Instagram (pictures: JPEG, or PNG, GIF and WebP, which hubbub turns into "
                "JPEG)"))
            continue
        # Over 8 MiB is no problem: the picture is fitted first (networks/image_fit.py).
        shape = aspect_problem(item)
        if shape:
            problems.append(Problem("media_dimensions", f"{label} {shape}"))
        problems += alt_problems(label, item.alt_text, limits.alt_text_max, required=True)
    return problems


def carousel_video_problems(label: str, item: MediaFile) -> list[Problem]:
    """A video in a carousel is held to the item rules: at most 60 seconds and 100 MB."""
    found: list[Problem] = []
    reel_max = INSTAGRAM_VIDEO.max_seconds or 0
    if CAROUSEL_VIDEO_SECONDS < item.duration <= reel_max:  # longer: video_problems says so
        found.append(Problem("video_duration", f"{label} (video) is {item.duration:.0f} "
                             f"seconds long; in an Instagram carousel a video lasts at most "
                             f"{CAROUSEL_VIDEO_SECONDS} seconds (alone it would be a reel of "
                             "up to 15 minutes)"))
    if CAROUSEL_VIDEO_BYTES < item.size <= (INSTAGRAM_VIDEO.max_bytes or 0):
        found.append(Problem("media_size", f"{label} (video) is {item.size / 1_000_000:,.1f} "
                             "MB; in an Instagram carousel a video is at most 100 MB"))
    return found


def aspect_problem(item: MediaFile) -> str:
    """Why Instagram would refuse the picture's shape ("Image specifications": width to height
    between 4:5 and 1.91:1), or "" when it fits or its size is not known."""
    if item.width <= 0 or item.height <= 0:
        return ""
    ratio = item.width / item.height
    if ratio < MIN_ASPECT - ASPECT_SLACK:
        return (f"is too tall for Instagram ({item.width} by {item.height} pixels): the width "
                "must be at least 4/5 of the height; crop it")
    if ratio > MAX_ASPECT + ASPECT_SLACK:
        return (f"is too wide for Instagram ({item.width} by {item.height} pixels): the width "
                "may be at most 1.91 times the height; crop it")
    return ""
