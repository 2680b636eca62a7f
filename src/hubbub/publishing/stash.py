"""Images and videos attached to a compose form that came back with an error.

A browser cannot refill a file input, so when a post is refused the images already uploaded are
kept here (per user, under a random token) and the form carries the tokens; nothing is lost.
Stashed files older than a day are removed whenever a new one is stashed.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image

from hubbub.core.video import NotAVideo, probe_video

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Stashed:
    token: str
    name: str
    path: Path
    mime_type: str
    size: int
    width: int
    height: int
    duration: float = 0.0  # a video's
    frame_rate: float | None = None

    @property
    def meta(self) -> str:
        """Same shape as the compose script's hidden field: type;size;width;height (and for a
        video ;duration;frame rate)."""
        meta = f"{self.mime_type};{self.size};{self.width};{self.height}"
        if self.mime_type.startswith("video/"):
            meta += f";{self.duration:g};{self.frame_rate or 0:g}"
        return meta

    def as_upload(self) -> UploadedFile[bytes]:
        return SimpleUploadedFile(self.name, self.path.read_bytes(), self.mime_type)


def _root(user_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "stash" / str(int(user_id))


def _prune(user_id: int) -> None:
    cutoff = time.time() - KEEP_SECONDS
    root = _root(user_id)
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)


def _describe(token: str, path: Path) -> Stashed | None:
    try:
        with Image.open(path) as image:
            width, height = image.size
            mime = Image.MIME.get(image.format or "", "")
    except Exception:  # not an image (Pillow raises many kinds): perhaps a video
        return _describe_video(token, path)
    mime = mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Stashed(token, path.name, path, mime, path.stat().st_size, width, height)


def _describe_video(token: str, path: Path) -> Stashed | None:
    try:
        with path.open("rb") as stream:
            info = probe_video(stream)
    except (NotAVideo, OSError):
        return None
    return Stashed(token, path.name, path, info.mime_type, path.stat().st_size, info.width,
                   info.height, info.duration, info.frame_rate)


def stash(user_id: int, upload: UploadedFile[bytes]) -> Stashed | None:
    """Keep an uploaded image or video; None if it is neither."""
    _prune(user_id)
    token = secrets.token_hex(16)
    folder = _root(user_id) / token
    folder.mkdir(parents=True, mode=0o700)
    name = Path(upload.name or "image").name[-80:] or "image"
    target = folder / name
    upload.seek(0)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    upload.seek(0)
    found = _describe(token, target)
    if found is None:
        shutil.rmtree(folder, ignore_errors=True)
    return found


def load(user_id: int, token: str) -> Stashed | None:
    if not TOKEN.match(token):
        return None
    folder = _root(user_id) / token
    if not folder.is_dir():
        return None
    for entry in folder.iterdir():
        if entry.is_file():
            return _describe(token, entry)
    return None


def discard(user_id: int, token: str) -> None:
    if TOKEN.match(token):
        shutil.rmtree(_root(user_id) / token, ignore_errors=True)
