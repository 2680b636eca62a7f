"""The composer's picture and video slots: what each slot holds (a file picked now, one kept
in the stash after a refused post, or one saved with a draft) and the description the compose
script writes for a picked file (type;size;width;height, and a video's duration and frame rate).
ComposeForm (forms.py) fills and reads them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.forms import BoundField
from django.urls import reverse

from hubbub.publishing import stash
from hubbub.publishing.media import stored_video_facts
from hubbub.publishing.models import PostMedia
from hubbub.publishing.preview import video_label

MAX_IMAGES = 4
# What the file picker offers; the server reads each file's real type from its bytes.
ACCEPTED_FILES = "image/*,video/mp4,video/quicktime,video/webm"
SLOTS = range(1, MAX_IMAGES + 1)


def parse_meta(value: str) -> tuple[str, int, int, int] | None:
    """The compose script's description of a picked file: type;size;width;height, and for a
    video ;duration;frame rate after them (see video_meta)."""
    parts = value.split(";")
    if len(parts) not in (4, 6) or not parts[0]:
        return None
    try:
        return parts[0][:100], int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


def video_meta(value: str) -> tuple[float, float | None]:
    """A video's duration and frame rate from its description; 0 and None when not known
    (the page could not read them, or they were not read yet): nothing is refused for them
    until the server has read the file itself."""
    parts = value.split(";")
    if len(parts) != 6:
        return 0.0, None
    try:
        duration, rate = float(parts[4]), float(parts[5])
    except ValueError:
        return 0.0, None
    ok = math.isfinite(duration) and math.isfinite(rate)
    return (max(duration, 0.0), rate if rate > 0 else None) if ok else (0.0, None)


@dataclass(frozen=True)
class SlotImage:
    """An image a slot already holds: kept in the stash (after a refused post) or saved with
    the draft ("m<id>")."""

    token: str
    name: str
    url: str
    meta: str
    stashed: stash.Stashed | None = None
    stored: PostMedia | None = None

    @property
    def video(self) -> str:
        """A video's description for the slot ("" for a picture, which shows itself)."""
        return video_label(self.meta)


@dataclass(frozen=True)
class Slot:
    index: int
    image: BoundField
    alt: BoundField
    held: SlotImage | None
    meta: str


def stored_meta(m: PostMedia) -> str:
    """The description of a saved file, as the compose script writes it for a picked one."""
    meta = f"{m.mime_type};{m.size};{m.width};{m.height}"
    if m.mime_type.startswith("video/"):
        duration, rate = stored_video_facts(m.file.path)
        meta += f";{duration:g};{rate or 0:g}"
    return meta


def stored_slot(media: PostMedia) -> SlotImage:
    """The slot image of a file saved with a draft ("m<id>")."""
    name = (media.file.name or "").rsplit("/", 1)[-1].split("-", 1)[-1]
    return SlotImage(f"m{media.pk}", name, reverse("publishing:media", args=[media.pk]),
                     stored_meta(media), stored=media)
