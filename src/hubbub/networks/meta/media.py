"""Pictures a Meta network fetches from the hub by address (Threads, Instagram).

Neither takes an upload: the container names an `image_url`, which Meta's servers download while
they build it ("the media must be hosted on a publicly accessible server at the time of the
attempt"). So a post's picture is kept as a file under MEDIA_ROOT in a type and size the network
takes (others are fitted to it under MEDIA_ROOT/fitted, networks/image_fit.py, named by their
content and the limits so a retry finds the same file), and its place under MEDIA_ROOT is what
the engine stores as the media id; `address` signs a fresh expiring address for it
(core/public_media.py) each time a container is made, so a retry hours later still hands the
network an address that works.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hubbub.core.image_fit import FitLimits
from hubbub.core.public_media import NotPublic, public_url
from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.image_fit import fitted_file

JPEG = "image/jpeg"
PNG = "image/png"
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))


def _root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def sniff(data: bytes) -> str:
    """The type of a JPEG or PNG from its first bytes; "" for anything else."""
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), "")


def prepare_image(media: MediaFile, *, network: str, limits: FitLimits) -> str:
    """The picture as a file under MEDIA_ROOT in a type the network takes and within its size:
    the file itself when it fits, else a copy fitted to `limits` (networks/image_fit.py; kept
    under MEDIA_ROOT/fitted, named by content and limits, so a retry finds the same file).
    Returns its path relative to MEDIA_ROOT. Rejected, in words, when it cannot be."""
    source = Path(media.path).resolve()
    root = _root()
    if not source.is_relative_to(root):
        raise Rejected(f"The picture is not one of the hub's files, so {network} cannot be "
                       "given an address for it")
    target = fitted_file(media, limits, network).resolve()
    if not target.is_relative_to(root):
        raise Rejected(f"The picture fitted for {network} is not one of the hub's files")
    return target.relative_to(root).as_posix()


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
