"""Mastodon's rules for a post's attachments, as the instance states them (count, types,
description length; videos through media_rules.video_problems). A picture over the instance's
byte or pixel limit is no problem: it is fitted to them before upload (networks/image_fit.py)."""

from __future__ import annotations

from hubbub.networks.base import (
    Capabilities,
    MediaFile,
    Problem,
    fit_limits_of,
)
from hubbub.networks.draft_checks import alt_problems
from hubbub.networks.image_fit import fit_problems
from hubbub.networks.media_rules import video_problems


def media_problems(media: tuple[MediaFile, ...], caps: Capabilities) -> list[Problem]:
    limits = caps.media
    fit = fit_limits_of(limits)
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
        problems += fit_problems(label, item, fit, "this server")
    return problems + video_problems(media, limits, "this server")

