"""Files a network fetches from the hub by address, for a short while.

Instagram's and Threads' publishing APIs take no upload: the app names an image or a video by
URL and Meta's servers download it while they build the media container. The hub gives such a
file (a picture, or a video as it was stored) an address under `HUBBUB_PUBLIC_URL` that nobody
can guess and that stops working after `ttl`: `/public/media/<token>/<name>`, where the token
is the file's place under MEDIA_ROOT, its type and its expiry, signed with the server's secret
(django.core.signing, its own salt). Only the hub can make one; a token for a file outside
MEDIA_ROOT, a changed token or an old one all answer 404 alike, so the address tells a stranger
nothing.

The address only helps when the internet can reach it. `reachability()` says in a sentence why
it cannot (no HUBBUB_PUBLIC_URL, or one naming this machine or a private network), for the
connection page and for the refusal a post gets.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core import signing

SALT = "hubbub.public-media"
DEFAULT_TTL = timedelta(hours=1)


class NotPublic(Exception):
    """The hub has no address the internet can reach, so a network cannot fetch from it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PublicFile:
    path: Path
    mime_type: str


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def reachability(public_url: str | None = None) -> str:
    """"" when HUBBUB_PUBLIC_URL looks reachable from the internet, else why it is not."""
    base = settings.PUBLIC_URL if public_url is None else public_url
    if not base:
        return ("The hub has no public address: set HUBBUB_PUBLIC_URL to the https address "
                "the internet reaches it at, so the network can fetch the post's media.")
    host = (urlsplit(base).hostname or "").lower()
    local = host in {"localhost", ""} or host.endswith((".localhost", ".local", ".internal",
                                                        ".lan", ".home.arpa"))
    try:
        ip = ipaddress.ip_address(host)
        local = local or not ip.is_global
    except ValueError:
        pass
    if local:
        return (f"HUBBUB_PUBLIC_URL ({base}) names this machine or a private network: the "
                "network's servers cannot fetch media from it. Set it to an address the "
                "internet reaches.")
    return ""


def public_url(path: str | Path, mime_type: str, ttl: timedelta = DEFAULT_TTL) -> str:
    """An unguessable address under HUBBUB_PUBLIC_URL serving this file (under MEDIA_ROOT)
    until `ttl` has passed. Raises NotPublic when there is no public address at all; an address
    on this machine is allowed (the stand-ins fetch from loopback) and `reachability` warns."""
    base = str(settings.PUBLIC_URL)
    if not base:
        raise NotPublic(reachability(""))
    resolved = Path(path).resolve()
    relative = resolved.relative_to(_media_root())  # ValueError: not one of the hub's files
    expires = int(time.time() + ttl.total_seconds())
    token = signing.dumps({"p": relative.as_posix(), "t": mime_type, "e": expires}, salt=SALT)
    name = quote(resolved.name[-60:] or "file")
    return f"{base}/public/media/{token}/{name}"


def resolve(token: str) -> PublicFile | None:
    """The file a token names, or None when it is not one of ours, has expired or is gone."""
    if len(token) > 2048:
        return None
    try:
        data = signing.loads(token, salt=SALT)
        relative, mime_type, expires = str(data["p"]), str(data["t"]), int(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if expires < time.time():
        return None
    root = _media_root()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return PublicFile(target, mime_type)
