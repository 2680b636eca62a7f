"""Fetching and checking the media a container names: Threads downloads `image_url` /
`video_url` itself ("Threads retrieves your image from the URL provided, so it must be on a
public server", posts; "We download media used in publishing attempts", get-started).

The stand-in really fetches the URL over HTTP when the container is created, but only from
this machine (127.0.0.1, localhost, ::1): in tests the hub's public address is its loopback
one. What it checks is the Media Specifications section of the posts page: images JPEG or PNG
("the officially supported formats"), at most 8 MB, aspect ratio at most 10:1 (width 320-1440
is scaled, not refused); videos MOV or MP4, at most 1 GB. A fetch or check that fails makes
the container ERROR with one of the troubleshooting page's error messages: INVALID_ASPEC_RATIO
(sic) for the ratio, FAILED_DOWNLOADING_VIDEO for a video that cannot be fetched, UNKNOWN for
the rest (the list has no image-specific message; Meta answers UNKNOWN for media it cannot
process, github.com/gitroomhq/postiz-app/pull/1991).
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

MAX_IMAGE = 8 * 1024 * 1024
MAX_VIDEO = 1024 * 1024 * 1024
MAX_RATIO = 10.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
VIDEO_BRANDS = {b"qt  ": "video/quicktime"}  # any other ftyp brand is MP4


@dataclass
class Fetched:
    data: bytes = b""
    mime_type: str = ""
    width: int = 0
    height: int = 0
    error_message: str | None = None  # the container's error_message when it failed
    why: str = ""  # the stand-in's own account of the failure (control surface only)


def fetch(url: str, kind: str) -> Fetched:
    """GET `url` (kind "IMAGE" or "VIDEO") and check it; never raises."""
    failed = "FAILED_DOWNLOADING_VIDEO" if kind == "VIDEO" else "UNKNOWN"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return Fetched(error_message=failed, why=f"not an http(s) URL: {url!r}")
    if parts.hostname not in LOOPBACK:
        return Fetched(error_message=failed,
                       why=f"{parts.hostname} is not loopback: the stand-in stays on this "
                           "machine")
    cap = MAX_VIDEO if kind == "VIDEO" else MAX_IMAGE
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoopbackOnly)
        with opener.open(url, timeout=30) as answer:
            data = _read(answer, cap + 1)
    except urllib.error.HTTPError as exc:
        return Fetched(error_message=failed, why=f"the server answered {exc.code}")
    except (OSError, ValueError) as exc:
        return Fetched(error_message=failed, why=f"cannot fetch: {exc}")
    if len(data) > cap:
        return Fetched(error_message="UNKNOWN", why=f"over {cap // (1024 * 1024)} MB")
    return _video(data) if kind == "VIDEO" else _image(data)


class _LoopbackOnly(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but only to this machine: the stand-in never leaves it."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).hostname not in LOOPBACK:
            raise urllib.error.URLError(f"a redirect to {newurl}, off this machine")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read(answer: object, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    read = answer.read  # type: ignore[attr-defined]
    while total < limit:
        chunk = read(min(1024 * 1024, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _image(data: bytes) -> Fetched:
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return Fetched(error_message="UNKNOWN", why=f"not an image: {exc}")
    if kind not in IMAGE_FORMATS:
        return Fetched(error_message="UNKNOWN", why=f"a {kind} image: only JPEG and PNG")
    if max(width, height) > MAX_RATIO * max(1, min(width, height)):
        return Fetched(error_message="INVALID_ASPEC_RATIO",
                       why=f"{width}x{height} is beyond 10:1")
    return Fetched(data, IMAGE_FORMATS[kind], width, height)


def _video(data: bytes) -> Fetched:
    if len(data) < 12 or data[4:8] != b"ftyp":
        return Fetched(error_message="FAILED_PROCESSING_VIDEO",
                       why="not an MP4 or MOV file (no ftyp box)")
    return Fetched(data, VIDEO_BRANDS.get(data[8:12], "video/mp4"))
