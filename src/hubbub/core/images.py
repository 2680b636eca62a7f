"""Images people attach: read their real type, drop metadata (EXIF, GPS), fit size limits.

Every image the hub decodes (the composer, the CSV import's zip, the worker's fitting) is
opened with `open_image`, which reads the header and refuses more than MAX_PIXELS (a colour
JPEG: JPEG_MAX_PIXELS, as it decodes to 3 bytes a pixel, not 4) before a pixel is decoded: a
PNG of half a megabyte can claim 13000 x 13000 pixels, which decode to half a gigabyte and
take seconds. Decoding is slow work: callers do it before any database
transaction opens (docs/architecture.md, "Media").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# 40 megapixels: more than any network keeps (Mastodon ~16.8, Bluesky a 2000 pixel edge) and
# than a phone camera's 7,000 x 5,000; decoded as RGBA it is 160 MB, the most one upload may
# make the hub hold.
MAX_PIXELS = 40_000_000
# A JPEG photo in colour or grey decodes to at most 3 bytes a pixel (RGB), not 4: the same
# ~160 MB holds 52 megapixels, so the 48 to 50 of today's phone cameras are taken.
JPEG_MAX_PIXELS = 52_000_000

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


class ImageTooLarge(NotAnImage):
    """More pixels than the hub decodes; the message names the size and the limit."""


def pixel_problem(width: int, height: int, limit: int = MAX_PIXELS) -> str | None:
    """The sentence that refuses an image of this size, or None when it is within the limit."""
    if width * height <= limit:
        return None
    kind = " for a JPEG photo" if limit == JPEG_MAX_PIXELS else ""
    return (f"it is {width:,} by {height:,} pixels ({width * height / 1e6:.0f} megapixels); "
            f"at most {limit // 1_000_000} megapixels are accepted{kind}")


def pixel_limit(image: Image.Image) -> int:
    """The most pixels the hub decodes of this image: JPEG_MAX_PIXELS for a colour or grey
    JPEG (3 bytes a pixel at most), MAX_PIXELS for everything else. From the header alone."""
    if image.format in ("JPEG", "MPO") and image.mode in ("RGB", "L"):
        return JPEG_MAX_PIXELS
    return MAX_PIXELS


def open_image(data: bytes, formats: tuple[str, ...] | None = None) -> Image.Image:
    """The image opened from its header, its size checked, no pixel decoded yet. Raises
    ImageTooLarge (before any decoding), or what Pillow raises for a file it cannot read."""
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError:
        # Pillow's own ceiling (twice Image.MAX_IMAGE_PIXELS) is far above ours.
        raise ImageTooLarge(
            f"it has over {2 * (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} megapixels; "
            f"at most {MAX_PIXELS // 1_000_000} megapixels are accepted") from None
    problem = pixel_problem(*image.size, pixel_limit(image))
    if problem:
        image.close()
        raise ImageTooLarge(problem)
    return image


def clean_image(data: bytes) -> CleanImage:
    """The picture without its metadata, turned upright by its EXIF orientation first.
    Refuses an image over MAX_PIXELS (ImageTooLarge) before decoding it."""
    try:
        with open_image(data) as probe:
            probe.verify()
        image = open_image(data)
        image.load()
    except NotAnImage:
        raise
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
    # In place: a copy would double the memory of the largest image (120 MB at 40 megapixels).
    ImageOps.exif_transpose(image, in_place=True)
    upright = image
    out = io.BytesIO()
    params: dict[str, object] = {}
    if target == "JPEG":
        upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
        params = {"quality": 92, "optimize": True}
    # No exif=, no icc_profile pass-through beyond colour, no text chunks: metadata is dropped.
    upright.save(out, format=target, **params)
    return CleanImage(out.getvalue(), Image.MIME[target], upright.width, upright.height)
