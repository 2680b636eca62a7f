"""Checking an image from the zip before any row that names it is accepted."""

from __future__ import annotations

import posixpath

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, UnidentifiedImageError

from hubbub.core.images import ImageTooLarge, open_image
from hubbub.imports.archive import MemberProblem
from hubbub.networks.base import MediaFile

# Only formats people post; Pillow's other readers (EPS, PSD, ...) never see zip contents.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


def inspect(name: str, data: bytes) -> MediaFile:
    """The image's real type and size, read from its bytes (fully decoded, so a truncated or
    corrupt file is caught now, not when it is sent; but an image over core.images.MAX_PIXELS
    is refused from its header, before decoding). Raises MemberProblem."""
    try:
        with open_image(data, FORMATS) as image:
            width, height = image.size
            kind = image.format or ""
            image.verify()
        with open_image(data, FORMATS) as image:
            image.load()
    except ImageTooLarge as exc:
        raise MemberProblem(f"{name}: {exc}.") from None
    except UnidentifiedImageError:
        raise MemberProblem(f"{name} is not an image (PNG, JPEG, GIF or WebP).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MemberProblem(f"{name} is not an image we can read ({exc}).") from None
    return MediaFile(path=name, mime_type=Image.MIME.get(kind, ""), size=len(data),
                     width=width, height=height)


def as_upload(name: str, data: bytes, mime_type: str) -> UploadedFile[bytes]:
    return SimpleUploadedFile(posixpath.basename(name), data, mime_type)
