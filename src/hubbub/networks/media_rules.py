"""A network's video rules applied to a post's attachments: shared by every connector whose
network takes video (each adds these to its own checks of pictures)."""

from __future__ import annotations

from collections.abc import Sequence

from hubbub.core.video_limits import VideoFacts, video_limit_problems
from hubbub.networks.base import MediaFile, MediaLimits, Problem
from hubbub.networks.draft_checks import over_limit


def video_problems(media: Sequence[MediaFile], limits: MediaLimits, network: str) -> list[Problem]:
    """The video rules of one network for a post's attachments: whether it takes video at all,
    how many, whether images may go beside one, and each video's type, size, length, picture
    size and frame rate. Connectors add these to their own image checks."""
    videos = [(n, m) for n, m in enumerate(media, start=1) if m.is_video]
    if not videos:
        return []
    rules = limits.video
    if rules is None:
        return [Problem("media_type", f"{network} does not take video: leave the video out "
                        "for this account (Customize)")]
    problems: list[Problem] = []
    if len(videos) > rules.max_count:
        problems.append(Problem("too_many_media", f"{len(videos)} videos; at most "
                                f"{rules.max_count} in one post"))
    if not rules.with_images and len(videos) < len(media):
        problems.append(Problem("media_mix", "a video cannot go with images in one post "
                                f"on {network}: keep the video or the images"))
    alt_max = rules.alt_text_max or limits.alt_text_max
    for n, item in videos:
        facts = VideoFacts(item.mime_type, item.size, item.width, item.height, item.duration,
                           item.frame_rate)
        problems += [Problem(code, f"Attachment {n} (video) {sentence}")
                     for code, sentence in video_limit_problems(facts, rules)]
        if len(item.alt_text.strip()) > alt_max:
            over = len(item.alt_text.strip()) - alt_max
            problems.append(Problem("alt_too_long", f"Attachment {n}: the description is "
                                    f"{over_limit(over, alt_max)}"))
    return problems
