"""Checking an image from the zip before any row that names it is accepted."""

from __future__ import annotations

import io
import posixpath

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, UnidentifiedImageError

from hubbub.imports.archive import MemberProblem
from hubbub.networks.base import MediaFile

# Only formats people post; Pillow's other readers (EPS, PSD, ...) never see zip contents.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
MAX_PIXELS = 60_000_000


def inspect(name: str, data: bytes) -> MediaFile:
    """The image's real type and size, read from its bytes (fully decoded, so a truncated or
    corrupt file is caught now, not when it is sent). Raises MemberProblem."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise MemberProblem(
                    f"{name} is {width} by {height} pixels; at most {MAX_PIXELS // 1_000_000} "
                    "megapixels are accepted."
                )
            kind = image.format or ""
            image.verify()
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            image.load()
    except UnidentifiedImageError:
        raise MemberProblem(f"{name} is not an image (PNG, JPEG, GIF or WebP).") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MemberProblem(f"{name} is not an image we can read ({exc}).") from None
    return MediaFile(path=name, mime_type=Image.MIME.get(kind, ""), size=len(data),
                     width=width, height=height)


def as_upload(name: str, data: bytes, mime_type: str) -> UploadedFile[bytes]:
    return SimpleUploadedFile(posixpath.basename(name), data, mime_type)
