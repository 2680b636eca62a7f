"""Pictures and videos Instagram fetches from the hub (networks/meta/media.py does the
pictures' work).

Instagram takes no upload: `POST /{ig-user-id}/media` names an `image_url` or a `video_url`,
which Meta's servers fetch ("We cURL media used in publishing attempts, so the media must be
hosted on a publicly accessible server at the time of the attempt", Content Publishing), and
JPEG only for pictures ("Image specifications"). So a PNG, GIF or WebP, or a JPEG over 8 MiB,
is fitted to a JPEG under MEDIA_ROOT/fitted (networks/image_fit.py), its place there is the
media id, and each container gets a fresh signed address for it. A video (MP4 or MOV, as the
reel specifications take) is served as the hub stored it: its place under MEDIA_ROOT is the
media id, and each container gets a fresh signed address for it too (core/public_media.py).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hubbub.core.public_media import NotPublic, public_url, reachability
from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.instagram.rules import VIDEO_TYPES, fit_limits
from hubbub.networks.meta import media as meta_media

NETWORK = "Instagram"


def _root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def prepare_file(media: MediaFile) -> str:
    """The picture as a JPEG under MEDIA_ROOT, or the video as stored; returns its path
    relative to MEDIA_ROOT."""
    if not media.is_video:
        return meta_media.prepare_image(media, network=NETWORK, limits=fit_limits())
    if media.mime_type not in VIDEO_TYPES:
        raise Rejected("Instagram takes video as MP4 or MOV: leave this video out for this "
                       "account (Customize)")
    source = Path(media.path).resolve()
    root = _root()
    if not source.is_relative_to(root) or not source.is_file():
        raise Rejected("The video is not one of the hub's files, so Instagram cannot be given "
                       "an address for it: attach it again")
    return source.relative_to(root).as_posix()


def video_type(media_id: str) -> str:
    """The type of the video a media id names ("" for a picture): MOV files say `qt  ` in
    their ftyp box, MP4 files another brand."""
    root = _root()
    path = (root / media_id).resolve()
    if not path.is_relative_to(root):
        return ""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return ""
    if head[4:8] != b"ftyp":
        return ""
    return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"


def is_video(media_id: str) -> bool:
    return bool(video_type(media_id))


def address(media_id: str) -> str:
    """A fresh public address for a prepared picture or video; Rejected when the hub has
    none."""
    kind = video_type(media_id)
    if not kind:
        return meta_media.address(media_id, NETWORK)
    root = _root()
    path = (root / media_id).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Rejected("The video prepared for Instagram is gone from the hub: attach it again")
    try:
        return public_url(path, kind)
    except NotPublic as exc:
        raise Rejected(exc.message) from None


def unreachable_note() -> str:
    """The sentence saying why Instagram cannot fetch from the hub, or ""."""
    return reachability()
