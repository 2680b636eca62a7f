"""The image proxy's parts below the web: signed addresses, the guarded fetch, the disk cache.

Remote pictures (avatars, media previews, link cards) are shown through the hub, so the sender's
server never learns who looked or when. The view (timeline/media_proxy.py) takes
`/proxy/image/<signature>/<address>`: the address is the remote URL in base64url, the signature
an HMAC of it made with the server's secret. Only URLs the hub itself rendered carry a valid
signature, so the proxy is no open relay: a visitor cannot make it fetch an address of their
choosing. The fetch goes through core/http.py (SSRF guard, timeouts), sends no cookie and no
Referer, follows at most a few redirects without reading their bodies, stops reading past
`max_bytes`, and keeps only JPEG, PNG, GIF, WebP and AVIF, judged by their first bytes (never by
the Content-Type a server claims; no SVG, which can carry script) and refused when the header
announces more pixels than the hub accepts anywhere (core/images.py). Answers and refusals are
kept on disk in the data dir, bounded in bytes and in age.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.crypto import constant_time_compare
from urllib3.exceptions import HTTPError, ReadTimeoutError

from hubbub.core.http import (
    BlockedDestination,
    GuardedAdapter,
    GuardedHTTPConnection,
    GuardedHTTPConnectionPool,
    GuardedHTTPSConnection,
    GuardedHTTPSConnectionPool,
    classify_transport_error,
    guarded_session,
)
from hubbub.core.images import ImageTooLarge, open_image

log = logging.getLogger(__name__)
SALT = "hubbub.image-proxy"
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # spaces and control characters
MAX_URL_LENGTH = 2048
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9"
# Pillow's reader for each type we pass on: the header is read with that reader only.
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF",
               "image/webp": "WEBP", "image/avif": "AVIF"}
# What a refused or broken picture is answered with: one transparent pixel (a GIF).
PLACEHOLDER = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
               b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


class ImageRefused(Exception):
    """The picture is not passed on; the message says why, in words."""


@dataclass(frozen=True)
class ProxiedImage:
    data: bytes
    mime_type: str


# --- signed addresses -------------------------------------------------------------------------


@cache
def _key(secret: str) -> bytes:
    # A key for this use only, derived once per secret (a page signs a hundred URLs).
    return hashlib.sha256(f"{SALT}:{secret}".encode()).digest()


def _signature(url: str, secret: str) -> str:
    digest = hmac.digest(_key(secret), url.encode("utf-8"), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(url: str) -> str:
    return _signature(url, settings.SECRET_KEY)


def signature_ok(url: str, signature: str) -> bool:
    """True when `signature` was made for `url` with the secret (or a fallback being retired)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(_signature(url, s), signature) for s in secrets)


def proxyable(url: object) -> str:
    """The URL as the proxy takes it, or "" when it is none it would fetch: only http(s) with a
    host, no user name or password, no spaces or control characters, at most 2048 characters."""
    value = str(url or "").strip()
    if not value or len(value) > MAX_URL_LENGTH or _UNSAFE.search(value):
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    if parts.username is not None or parts.password is not None:
        return ""
    return value


def encode_address(url: str) -> str:
    return base64.urlsafe_b64encode(url.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_address(encoded: str) -> str | None:
    """The URL inside an address, or None when it is not base64url of UTF-8 text."""
    if len(encoded) > MAX_URL_LENGTH * 2:
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


# --- what the bytes are -----------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The picture type the first bytes say (at least 32 of them), or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        # ISO-BMFF: the major brand, or a compatible one inside the ftyp box, says AVIF.
        box = int.from_bytes(head[:4], "big")
        brands = head[8:min(max(box, 16), len(head))]
        found = {brands[i:i + 4] for i in range(0, len(brands) - 3, 4)}
        if found & {b"avif", b"avis"}:
            return "image/avif"
    return None


def check_size(data: bytes, mime_type: str) -> tuple[int, int]:
    """Width and height from the image's header (nothing is decoded); ImageRefused when it
    cannot be read as `mime_type` or has more pixels than the hub takes anywhere (the one
    check of core/images.py)."""
    try:
        with open_image(data, formats=(PIL_FORMATS[mime_type],)) as image:
            return image.size
    except ImageTooLarge as exc:
        raise ImageRefused(f"too many pixels: {exc}") from None
    except Exception as exc:  # Pillow's readers raise many kinds for a hostile header
        raise ImageRefused(f"a damaged picture, or not the {PIL_FORMATS.get(mime_type, '')} "
                           f"its first bytes say ({type(exc).__name__})") from None


# --- the fetch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    total_seconds: float  # the whole fetch, redirects included: a server dripping bytes stops

    @classmethod
    def from_settings(cls) -> FetchLimits:
        return cls(
            max_bytes=int(settings.HUBBUB_IMAGE_PROXY_MAX_BYTES),
            connect_timeout=min(5.0, float(settings.HUBBUB_HTTP_TIMEOUT)),
            read_timeout=min(10.0, float(settings.HUBBUB_HTTP_TIMEOUT)),
            total_seconds=float(settings.HUBBUB_IMAGE_PROXY_SECONDS),
        )


class _Watch(threading.local):
    """The sockets the current thread's fetch opened, so a timer can cut them."""

    sockets: list[socket.socket] | None = None


_watch = _Watch()


def _watched(sock: socket.socket) -> socket.socket:
    if _watch.sockets is not None:
        _watch.sockets.append(sock)
    return sock


class _WatchedHTTPConnection(GuardedHTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _WatchedHTTPSConnection(GuardedHTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _WatchedHTTPPool(GuardedHTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(GuardedHTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(GuardedAdapter):
    """The guarded adapter, whose connections a deadline can cut: requests' timeouts bound each
    read, not a whole answer, and a server can drip its headers a byte at a time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _cut(sockets: list[socket.socket], expired: threading.Event) -> None:
    expired.set()
    for sock in list(sockets):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def fetch_image(url: str, limits: FetchLimits) -> ProxiedImage:
    """The picture at `url`, checked; ImageRefused (with the reason in words) otherwise."""
    session = guarded_session(timeout=(limits.connect_timeout, limits.read_timeout))
    adapter = _WatchedAdapter((limits.connect_timeout, limits.read_timeout))
    for prefix in list(session.adapters):
        session.mount(prefix, adapter)
    # No cookie is kept, so none set by one hop travels to the next; none is ever sent.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.headers.update({"Accept": ACCEPT, "Accept-Encoding": "identity"})
    deadline = time.monotonic() + limits.total_seconds
    sockets: list[socket.socket] = []
    expired = threading.Event()
    timer = threading.Timer(limits.total_seconds, _cut, args=(sockets, expired))
    timer.daemon = True
    _watch.sockets = sockets
    timer.start()
    try:
        image = _follow(session, url, limits, deadline)
        if expired.is_set():  # cut while the body was read: what arrived is not all of it
            raise ImageRefused("the server took too long to send the picture")
        return image
    except (requests.RequestException, BlockedDestination, ImageRefused) as exc:
        if expired.is_set():
            raise ImageRefused("the server took too long to send the picture") from None
        if isinstance(exc, ImageRefused):
            raise
        failure = classify_transport_error(exc)
        raise ImageRefused(failure.reason if failure else "the server could not be read") from None
    finally:
        timer.cancel()
        _watch.sockets = None
        session.close()


def _follow(session: requests.Session, url: str, limits: FetchLimits,
            deadline: float) -> ProxiedImage:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        # requests would read a redirect's whole body before following it: we follow ourselves.
        with session.get(current, stream=True, allow_redirects=False) as response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                current = proxyable(urljoin(current, location))
                if not current:
                    raise ImageRefused("the server redirected to an address that is not http(s)")
                continue
            if response.status_code != 200:
                raise ImageRefused(f"the server answered {response.status_code}")
            return _read(response, limits, deadline)
    raise ImageRefused(f"more than {MAX_REDIRECTS} redirects")


def _read(response: requests.Response, limits: FetchLimits, deadline: float) -> ProxiedImage:
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise ImageRefused(f"the picture is {int(declared):,} bytes; at most "
                           f"{limits.max_bytes:,} are fetched")
    body = bytearray()
    mime_type: str | None = None
    # read1 returns what has arrived (up to CHUNK) instead of waiting for a whole CHUNK, so the
    # deadline is checked however slowly a server drips its bytes.
    # Raw reads raise urllib3's errors, not requests': a short body, a reset, a read timeout.
    try:
        while chunk := response.raw.read1(CHUNK, decode_content=True):
            body += chunk
            if len(body) > limits.max_bytes:
                raise ImageRefused(f"the picture is over {limits.max_bytes:,} bytes")
            if mime_type is None and len(body) >= 32:
                mime_type = _type_of(bytes(body[:64]))
            if time.monotonic() > deadline:
                raise ImageRefused("the server took too long to send the picture")
    except ReadTimeoutError:
        raise ImageRefused("the server stopped sending the picture") from None
    except (HTTPError, OSError):
        raise ImageRefused("the picture was cut off") from None
    if time.monotonic() > deadline:  # the deadline's timer cut the connection: an early end
        raise ImageRefused("the server took too long to send the picture")
    data = bytes(body)
    mime_type = mime_type or _type_of(data)
    check_size(data, mime_type)
    return ProxiedImage(data, mime_type)


def _type_of(head: bytes) -> str:
    found = sniff(head)
    if found is None:
        raise ImageRefused("not a picture in a format the hub shows (JPEG, PNG, GIF, WebP, AVIF)")
    return found


# --- the disk cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    image: ProxiedImage | None  # None: a refusal, remembered for a shorter time
    reason: str = ""


class ImageCache:
    """Pictures (and refusals) by URL in files under `root`: an entry older than its age limit
    is a miss, and past `max_bytes` the oldest entries go. One fetch per URL at a time in a
    process: a page showing one avatar thirty times costs the sender one request."""

    def __init__(self, root: Path, *, max_bytes: int, max_age: float,
                 refusal_age: float) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.refusal_age = refusal_age
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._total: int | None = None

    def _path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / key[:2] / key

    def get(self, url: str) -> CacheEntry | None:
        path = self._path(url)
        try:
            with path.open("rb") as handle:
                age = time.time() - os.fstat(handle.fileno()).st_mtime
                header = handle.readline(100).decode("ascii", "replace").strip()
                kind, _, value = header.partition(" ")
                limit = self.refusal_age if kind == "refused" else self.max_age
                if age > limit or kind not in ("image", "refused"):
                    return None
                if kind == "refused":
                    rest = handle.read(1000).decode("utf-8", "replace")
                    return CacheEntry(None, rest)
                return CacheEntry(ProxiedImage(handle.read(), value))
        except FileNotFoundError:
            return None
        except OSError as exc:  # unreadable: as good as missing
            log.warning("image cache: could not read %s: %s", path, exc)
            return None

    def put(self, url: str, entry: CacheEntry) -> None:
        if entry.image is not None:
            head = f"image {entry.image.mime_type}\n".encode("ascii")
            body = head + entry.image.data
        else:
            body = b"refused\n" + entry.reason.encode("utf-8")[:1000]
        path = self._path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        with self._guard:
            self._total = (self._scan_total() if self._total is None else self._total) + len(body)
            over = self._total > self.max_bytes
        if over:
            self.prune()

    @contextmanager
    def fetching(self, url: str) -> Iterator[None]:
        """Held while `url` is fetched, so a second request for it waits and reads the cache."""
        with self._guard:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            try:
                yield
            finally:
                with self._guard:
                    self._locks.pop(url, None)

    def _entries(self) -> list[tuple[float, int, Path]]:
        found = []
        if not self.root.is_dir():
            return []
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            for path in sub.iterdir():
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                found.append((stat.st_mtime, stat.st_size, path))
        return found

    def _scan_total(self) -> int:
        return sum(size for _mtime, size, _path in self._entries())

    def prune(self) -> int:
        """Remove the oldest entries until the cache holds at most 90% of its bound; returns
        the bytes it holds afterwards."""
        entries = sorted(self._entries())
        total = sum(size for _mtime, size, _path in entries)
        target = self.max_bytes * 9 // 10
        for _mtime, size, path in entries:
            if total <= target:
                break
            path.unlink(missing_ok=True)
            total -= size
        with self._guard:
            self._total = total
        return total


def load(url: str, cache: ImageCache, limits: FetchLimits) -> CacheEntry:
    """The picture for a signed URL: from the cache, or fetched, checked and cached."""
    entry = cache.get(url)
    if entry is not None:
        return entry
    with cache.fetching(url):
        entry = cache.get(url)  # fetched by another request while this one waited
        if entry is not None:
            return entry
        try:
            entry = CacheEntry(fetch_image(url, limits))
        except ImageRefused as exc:
            entry = CacheEntry(None, str(exc))
        try:
            cache.put(url, entry)
        except OSError as exc:  # a full or read-only disk: the picture is still shown
            log.warning("image cache: could not keep %s: %s", url, exc)
        return entry
