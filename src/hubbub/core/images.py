"""Images people attach: read their real type, drop metadata (EXIF, GPS), fit size limits."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Formats we re-encode to drop metadata; animated GIFs are kept as they are (re-encoding would
# lose frames or timing), and they carry no EXIF/GPS block.
REENCODE = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "MPO": "JPEG"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime_type: str
    width: int
    height: int


class NotAnImage(ValueError):
    pass


def clean_image(data: bytes) -> CleanImage:
    """The picture without its metadata, turned upright by its EXIF orientation first."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except UnidentifiedImageError:
        raise NotAnImage("not an image: its bytes match no picture format") from None
    except Exception as exc:  # Pillow raises many kinds for a broken file
        # Said to people: without Pillow's "<_io.BytesIO object at 0x...>".
        detail = re.sub(r"\s*<[^<>]* at 0x[0-9a-f]+>", "", str(exc)).strip() or "unreadable"
        raise NotAnImage(f"a damaged image ({detail})") from None
    fmt = image.format or ""
    mime = Image.MIME.get(fmt, "")
    if not mime:
        raise NotAnImage(f"unsupported image format {fmt or 'unknown'}")
    target = REENCODE.get(fmt)
    if target is None:
        return CleanImage(data, mime, image.width, image.height)
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    params: dict[str, object] = {}
    if target == "JPEG":
        upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
        params = {"quality": 92, "optimize": True}
    # No exif=, no icc_profile pass-through beyond colour, no text chunks: metadata is dropped.
    upright.save(out, format=target, **params)
    return CleanImage(out.getvalue(), Image.MIME[target], upright.width, upright.height)
