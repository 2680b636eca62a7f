"""The sweep of fitted pictures: copies made for one network's limits (networks/image_fit.py
keeps them under MEDIA_ROOT/fitted, named by the original's content and the limits, so a retry
sends the same bytes) are removed once nothing may send them again.

A copy stays while any delivery that may still send its picture exists: scheduled (a retry
too), sending, being checked after an unknown outcome, or waiting for the person (held). It
goes when every delivery of every post with that picture is settled (sent, failed, cancelled,
deleted; a draft fits its pictures when it is sent) or no post has the picture any more, and
it has not been used for UNUSED_FOR: a use (a cache hit) renews the file's time, and the time
is read again just before the file is removed, so a copy that a post made meanwhile takes up
again stays. A failed delivery retried later fits its picture again (the same bytes: fitting
is deterministic for the same input and limits).

Registered as a periodic job (publishing/apps.py); safe on several workers at once (a file
already gone is skipped).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hubbub.core.image_fit import DIGEST_CHARS
from hubbub.networks.image_fit import cache_dir
from hubbub.publishing.models import DeliveryState, PostMedia

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0  # seconds between sweeps, per worker
UNUSED_FOR = 3600.0  # seconds a copy nothing will send is kept after its last use
# The states in which a delivery may still send its pictures.
MAY_SEND = (DeliveryState.SCHEDULED, DeliveryState.SENDING, DeliveryState.UNKNOWN,
            DeliveryState.HELD)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Swept:
    removed: int
    kept: int  # fitted copies still in use, or used lately


def _digest_file(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()[:DIGEST_CHARS]


def in_use() -> set[str]:
    """The content digests (as fitted copies are named) of every picture a delivery may still
    send."""
    media = PostMedia.objects.filter(
        post__deliveries__state__in=MAY_SEND, mime_type__startswith="image/",
    ).values_list("file", flat=True).distinct()
    found = set()
    for name in media:
        item = PostMedia(file=name)
        digest = _digest_file(item.file.path)
        if digest is not None:
            found.add(digest)
    return found


def _copies(folder: Path) -> Iterable[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []


def sweep_fitted(*, now: float | None = None, unused_for: float = UNUSED_FOR) -> Swept:
    """Remove the fitted copies nothing may send again (see the module's words)."""
    folder = cache_dir()
    copies = list(_copies(folder))
    if not copies:
        return Swept(0, 0)
    keep = in_use()  # read before the files' times: a copy used after this has a newer time
    removed = kept = 0
    for path in copies:
        name = path.name.lstrip(".")
        if name.split("-", 1)[0] in keep:
            kept += 1
            continue
        try:
            last_use = path.stat().st_mtime
        except OSError:
            continue  # removed by another worker
        if (time.time() if now is None else now) - last_use < unused_for:
            kept += 1
            continue
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d fitted picture(s) nothing will send again", removed)
    return Swept(removed, kept)


def sweep() -> None:
    """The periodic job."""
    sweep_fitted()
