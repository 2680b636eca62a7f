"""Pictures Instagram fetches from the hub (networks/meta/media.py does the work).

Instagram takes no upload: `POST /{ig-user-id}/media` names an `image_url`, which Meta's servers
fetch ("We cURL media used in publishing attempts, so the media must be hosted on a publicly
accessible server at the time of the attempt", Content Publishing), and JPEG only ("Image
specifications"). So a PNG, GIF or WebP, or a JPEG over 8 MiB, is fitted to a JPEG under
MEDIA_ROOT/fitted (networks/image_fit.py), its place there is the media id, and each container
gets a fresh signed address for it.
"""

from __future__ import annotations

from hubbub.core.public_media import reachability
from hubbub.networks.base import MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.instagram.rules import fit_limits
from hubbub.networks.meta import media as meta_media

NETWORK = "Instagram"


def prepare_file(media: MediaFile) -> str:
    """The picture as a JPEG under MEDIA_ROOT; returns its path relative to MEDIA_ROOT."""
    if media.is_video:
        raise Rejected("hubbub cannot post video to Instagram: leave the video out for this "
                       "account")
    return meta_media.prepare_image(media, network=NETWORK, limits=fit_limits())


def address(media_id: str) -> str:
    """A fresh public address for a prepared picture; Rejected when the hub has none."""
    return meta_media.address(media_id, NETWORK)


def unreachable_note() -> str:
    """The sentence saying why Instagram cannot fetch from the hub, or ""."""
    return reachability()
