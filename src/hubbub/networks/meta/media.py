"""Pictures a Meta network fetches from the hub by address (Threads, Instagram).

Neither takes an upload: the container names an `image_url`, which Meta's servers download
while they build it ("the media must be hosted on a publicly accessible server at the time of
the attempt"). So a post's picture is kept as a file under MEDIA_ROOT in a type the network
takes (others are made into a JPEG there, named by their content so a retry finds the same
file), and its place under MEDIA_ROOT is what the engine stores as the media id; `address`
signs a fresh expiring address for it (core/public_media.py) each time a container is made,
so a retry hours later still hands the network an address that works.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from django.conf import settings
from PIL import Image

from hubbub.core.images import NotAnImage, open_image
from hubbub.core.public_media import NotPublic, public_url
from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected

JPEG = "image/jpeg"
PNG = "image/png"
QUALITY = 90
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))


def _root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def sniff(data: bytes) -> str:
    """The type of a JPEG or PNG from its first bytes; "" for anything else."""
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), "")


def prepare_image(media: MediaFile, *, network: str, keep: tuple[str, ...],
                  max_bytes: int, folder: str) -> str:
    """The picture as a file under MEDIA_ROOT of a type in `keep` (JPEG and/or PNG), made a
    JPEG under MEDIA_ROOT/`folder` when it is not one; returns its path relative to
    MEDIA_ROOT. Rejected, in words, when it cannot be."""
    source = Path(media.path).resolve()
    root = _root()
    if not source.is_relative_to(root):
        raise Rejected(f"The picture is not one of the hub's files, so {network} cannot be "
                       "given an address for it")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise Rejected(f"The picture could not be read: {exc.strerror}") from None
    if sniff(data) in keep:
        target = source
    else:
        target = root / folder / f"{hashlib.sha256(data).hexdigest()[:32]}.jpg"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(to_jpeg(data, network))
            partial.replace(target)
    size = target.stat().st_size
    if size > max_bytes:
        raise Rejected(f"The picture is {size / 1048576:.1f} MB; {network} takes up to "
                       f"{max_bytes // 1048576} MB: attach a smaller one")
    return target.relative_to(root).as_posix()


def to_jpeg(data: bytes, network: str) -> bytes:
    """A JPEG of the picture's first frame, transparency laid on white."""
    try:
        with open_image(data) as image:
            image.seek(0)
            frame = image.convert("RGBA")
    except NotAnImage as exc:
        raise Rejected(f"The picture cannot be made a JPEG for {network}: {exc}") from None
    except Exception:  # Pillow raises many kinds for a broken file
        raise Rejected(f"The picture cannot be made a JPEG for {network}: it is damaged or "
                       "not a picture") from None
    flat = Image.new("RGB", frame.size, (255, 255, 255))
    flat.paste(frame, mask=frame.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def address(media_id: str, network: str) -> str:
    """A fresh public address for a prepared picture (its path under MEDIA_ROOT)."""
    root = _root()
    path = (root / media_id).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Rejected(f"The picture prepared for {network} is gone from the hub: attach it "
                       "again")
    with path.open("rb") as handle:
        mime = sniff(handle.read(8)) or JPEG
    try:
        return public_url(path, mime)
    except NotPublic as exc:
        raise Rejected(exc.message) from None
