"""Pictures made in the test, for the tests of fitting pictures to networks: a large photo-like
JPEG (random detail, so it compresses as badly as a real photo's grain), kept for the session."""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from PIL import Image

from hubbub.networks.base import MediaFile


def noisy(width: int, height: int, mode: str = "RGB", grain: int = 1) -> Image.Image:
    """Random pixels (grain 1), or random blocks of grain x grain smoothed: a photo's detail."""
    small = Image.frombytes(mode, (max(1, width // grain), max(1, height // grain)),
                            os.urandom(max(1, width // grain) * max(1, height // grain)
                                       * len(mode)))
    return small if grain == 1 else small.resize((width, height), Image.Resampling.BILINEAR)


@functools.cache
def big_photo(width: int = 6000, height: int = 4000) -> bytes:
    """A photo-like JPEG of about 20 MB and 24 megapixels (what a phone's camera makes)."""
    out = io.BytesIO()
    noisy(width, height, grain=2).save(out, "JPEG", quality=95)
    return out.getvalue()


def big_photo_file(path: Path, alt: str = "A harbour at dusk") -> MediaFile:
    """big_photo() written to `path`, described as the composer stores an attachment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(big_photo())
    return MediaFile(str(path), "image/jpeg", alt, path.stat().st_size, 6000, 4000)


def picture_facts(data: bytes) -> tuple[str, int, int, int]:
    """(format, width, height, bytes) of an encoded picture, read back."""
    with Image.open(io.BytesIO(data)) as image:
        return image.format or "", image.width, image.height, len(data)
