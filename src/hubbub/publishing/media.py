"""A post's files: read, checked and cleaned before any transaction opens (prepare_media), and
what a stored one tells a connector (media_file)."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from hubbub.core.images import ImageTooLarge, NotAnImage, clean_image
from hubbub.core.video import NotAVideo, looks_like_video, probe_video
from hubbub.networks.base import MediaFile
from hubbub.publishing.errors import PostError
from hubbub.publishing.models import PostMedia


@dataclass(frozen=True)
class NewMedia:
    """A file the person attached, before it is saved. `inspected` is set by prepare_media,
    which a caller about to open a transaction runs first (the reading is slow work)."""

    upload: UploadedFile[bytes]
    alt_text: str
    inspected: InspectedMedia | None = None


def media_file(m: PostMedia) -> MediaFile:
    duration, frame_rate = stored_video_facts(m.file.path) if m.mime_type.startswith(
        "video/") else (0.0, None)
    return MediaFile(path=m.file.path, mime_type=m.mime_type, alt_text=m.alt_text, size=m.size,
                     width=m.width, height=m.height, duration=duration, frame_rate=frame_rate)


def stored_video_facts(path: str) -> tuple[float, float | None]:
    """Duration and frame rate of a stored video, read from its headers (a few small reads;
    the row keeps only type, size and picture size). (0, None) when it cannot be read."""
    try:
        stat = os.stat(path)
    except OSError:
        return 0.0, None
    return _video_facts(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _video_facts(path: str, size: int, mtime_ns: int) -> tuple[float, float | None]:
    try:
        with open(path, "rb") as stream:
            info = probe_video(stream)
    except (NotAVideo, OSError):
        return 0.0, None
    return info.duration, info.frame_rate


@dataclass(frozen=True)
class InspectedMedia:
    data: bytes
    info: MediaFile
    name: str


def prepare_media(media: Sequence[NewMedia]) -> list[NewMedia]:
    """Every file read, checked and (an image) re-encoded now, before the caller opens a
    transaction: decoding a large image takes seconds, and inside a transaction that would hold
    SQLite's write lock against every other user and the worker. Raises PostError."""
    return [m if m.inspected is not None else replace(m, inspected=inspect_media(m))
            for m in media]


def inspect_media(item: NewMedia) -> InspectedMedia:
    """Read the file itself: its real type (not its name or what the browser claimed), its
    size, and for an image a copy without metadata (EXIF, GPS) — that copy is what is stored
    and sent. A video is kept as it is, after its headers were read (container, length,
    picture size, frame rate), so each network's video rules can be checked. An image over
    core.images.MAX_PIXELS is refused from its header. Done once: prepare_media keeps it."""
    if item.inspected is not None:  # the same file; the alt text is the item's own
        ready = item.inspected
        return replace(ready, info=replace(ready.info, alt_text=item.alt_text))
    upload = item.upload
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = upload.name or ""
    if looks_like_video(head):
        try:
            if upload.file is None:
                raise NotAVideo("the upload is empty")
            video = probe_video(upload.file)
        except NotAVideo as exc:
            raise PostError(f"{name} is not a video we can read: {exc}.") from None
        upload.seek(0)
        data = upload.read()
        info = MediaFile(path=name, mime_type=video.mime_type, alt_text=item.alt_text,
                         size=len(data), width=video.width, height=video.height,
                         duration=video.duration, frame_rate=video.frame_rate)
        return InspectedMedia(data, info, Path(name or "video").name)
    try:
        cleaned = clean_image(upload.read())
    except ImageTooLarge as exc:
        raise PostError(f"{name} is too large: {exc}.") from None
    except NotAnImage as exc:
        raise PostError(f"{name} is neither an image nor a video we can read ({exc}).") from None
    info = MediaFile(path=name, mime_type=cleaned.mime_type, alt_text=item.alt_text,
                     size=len(cleaned.data), width=cleaned.width, height=cleaned.height)
    return InspectedMedia(cleaned.data, info, Path(name or "image").name)
