"""Pictures for Nostr notes: a Blossom media server (BUD-01, BUD-02, BUD-06, BUD-11).

Blossom stores blobs by the sha256 of their bytes. An upload is `PUT /upload` with the bytes and
an authorization event (kind 24242: `t` upload, `x` the hash, `expiration`, `server` the
server's host) signed with the account's key, sent as `Authorization: Nostr <base64url>`. The
server answers with a blob descriptor (url, sha256, size, type). Uploading the same bytes again
gives the same blob (200 instead of 201), so a retry after a crash is harmless.

Before the bytes go, `HEAD /upload` (BUD-06) asks whether they would be taken: a server that
implements it says "too large" or "not this type" without receiving a byte; one that does not
(404, 405, 501) is simply asked with the PUT.

Every request goes through `core.http.guarded_session` (the SSRF guard).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from hubbub.core.http import (
    BlockedDestination,
    classify_transport_error,
    guarded_session,
    normalize_base_url,
    parse_retry_after,
)
from hubbub.core.http import resolve_checked as _resolve_checked
from hubbub.core.sanitize import safe_url
from hubbub.networks.errors import ConnectorError, RateLimited, Rejected, Transient
from hubbub.networks.nostr import events

AUTH_KIND = 24242
# How long an upload's authorization stays valid: long enough for a slow upload, short enough
# that a copy of it is of little use.
AUTH_SECONDS = 5 * 60
NAME = "The media server"
# HEAD /upload answers that settle it before the bytes go; others (404, 405, 501: no BUD-06;
# a 5xx) leave it to the PUT.
EARLY_REFUSALS = frozenset({401, 402, 403, 413, 415, 429})


@dataclass(frozen=True)
class Blob:
    """A blob descriptor (BUD-02), as the note needs it."""

    url: str
    sha256: str
    size: int
    mime_type: str
    # Of the picture stored (fitted or not); 0: those of the attachment; -1: unknown.
    width: int = 0
    height: int = 0

    def to_id(self) -> str:
        """The media id the engine stores (a compact JSON string)."""
        return json.dumps({"url": self.url, "x": self.sha256, "size": self.size,
                           "m": self.mime_type, "w": self.width, "h": self.height},
                          separators=(",", ":"))

    @classmethod
    def from_id(cls, media_id: str) -> Blob:
        try:
            data = json.loads(media_id)
            return cls(url=str(data["url"]), sha256=str(data["x"]), size=int(data["size"]),
                       mime_type=str(data["m"]), width=int(data.get("w") or 0),
                       height=int(data.get("h") or 0))
        except (ValueError, KeyError, TypeError):
            raise Rejected("A picture uploaded for this post is not recorded properly: post "
                           "it again.") from None


class TooLarge(Rejected):
    """The media server refuses a file of this size (413): a smaller copy may be taken."""


def normalize_server_url(text: str) -> str:
    """A media server's address as stored: scheme://host[:port] (Blossom serves everything from
    the root). https is assumed when no scheme is given. ValueError with a sentence."""
    text = (text or "").strip()
    if not text:
        raise ValueError("Enter the address of a Blossom media server, e.g. "
                         "https://blossom.example.com")
    try:
        url = normalize_base_url(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace("your server", "your media server")) from None
    path = urlsplit(text if "://" in text else "https://" + text).path
    if path not in ("", "/"):
        raise ValueError(f"{text!r}: a Blossom server is addressed by its root (no path), "
                         f"e.g. {url}")
    return url


def check_reachable(url: str) -> None:
    """Refuse, with a sentence, a media server the SSRF guard would never let the hub reach
    (a private or loopback address not allowed by HUBBUB_ALLOW_PRIVATE_NETWORKS). A name that
    does not resolve now is let through: it may resolve later, and the upload says so."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _resolve_checked(parts.hostname or "", port)
    except BlockedDestination as exc:
        raise ValueError(f"That media server cannot be reached from this hub: {exc}") from None
    except OSError:
        return


def auth_header(secret_hex: str, sha256: str, server_url: str, *,
                now: int | None = None) -> str:
    """`Nostr <base64url of a signed kind-24242 event>` for uploading one blob to one server
    (BUD-11: `t` upload, `x` the hash, `expiration`, `server` scoping it to that host)."""
    when = int(time.time()) if now is None else now
    host = (urlsplit(server_url).hostname or "").lower()
    event = events.sign(
        secret_hex, kind=AUTH_KIND, content="Upload a picture for a note", created_at=when,
        tags=[["t", "upload"], ["x", sha256], ["expiration", str(when + AUTH_SECONDS)],
              ["server", host]],
    )
    raw = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return "Nostr " + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def upload(server_url: str, secret_hex: str, data: bytes, mime_type: str) -> Blob:
    """Upload one picture's bytes; return its descriptor, checked against the bytes sent."""
    sha256 = hashlib.sha256(data).hexdigest()
    size = len(data)
    session = guarded_session()
    try:
        auth = auth_header(secret_hex, sha256, server_url)
        ask = session.head(f"{server_url}/upload", headers={
            "Authorization": auth, "X-SHA-256": sha256, "X-Content-Type": mime_type,
            "X-Content-Length": str(size)}, allow_redirects=False)
        if ask.status_code in EARLY_REFUSALS:
            raise refusal(ask)
        answer = session.put(f"{server_url}/upload", data=data, headers={
            "Authorization": auth, "Content-Type": mime_type,
            "Content-Length": str(size), "X-SHA-256": sha256}, allow_redirects=False)
    except ConnectorError:
        raise
    except (requests.RequestException, BlockedDestination) as exc:
        # Uploading the same bytes again makes no second anything: never OutcomeUnknown.
        raise no_answer(exc) from None
    finally:
        session.close()
    if answer.status_code not in (200, 201):
        raise refusal(answer)
    return descriptor(answer, sha256, size)


def no_answer(exc: BaseException) -> ConnectorError:
    """An upload that got no answer: Transient (the same bytes can go again), or Rejected when
    the SSRF guard will never let the hub reach the server."""
    transport = classify_transport_error(exc)
    if transport is None:
        return Transient(f"Could not upload the picture to the media server: {exc!r}")
    if transport.kind == "blocked":
        return Rejected(f"The media server cannot be reached from this hub: {transport.reason}")
    return Transient(f"Could not reach the media server: {transport.reason}")


def descriptor(answer: requests.Response, sha256: str, size: int) -> Blob:
    """The blob descriptor of a 200/201 answer, checked: the server must say it stored our
    bytes (the same sha256 and size) at an http(s) address."""
    try:
        data: object = answer.json()
    except ValueError:
        data = None
    if not isinstance(data, Mapping):
        raise Transient(f"{NAME} accepted the picture but its answer was not a blob "
                        "descriptor; trying again")
    said_hash = str(data.get("sha256") or "").lower()
    if said_hash != sha256:
        raise Rejected(f"{NAME} says it stored a different file (sha256 {said_hash[:12] or '?'}"
                       f"… instead of {sha256[:12]}…): it changed the picture, so it cannot be "
                       "used for this post.")
    said_size = data.get("size")
    if isinstance(said_size, int) and not isinstance(said_size, bool) and said_size != size:
        raise Rejected(f"{NAME} says it stored {said_size} bytes of a {size}-byte picture.")
    url = safe_url(str(data.get("url") or ""))
    if not url or sha256 not in url:
        raise Rejected(f"{NAME} gave no usable address for the picture ({data.get('url')!r}).")
    mime = str(data.get("type") or "") or "application/octet-stream"
    return Blob(url=url, sha256=sha256, size=size, mime_type=mime)


def refusal(answer: requests.Response, reason: str | None = None) -> ConnectorError:
    """The error for a refused upload, in words, with the server's reason when it gives one
    (Blossom's X-Reason header, unless `reason` is given)."""
    status = answer.status_code
    if reason is None:
        reason = answer.headers.get("X-Reason") or ""
    reason = " ".join(reason.split())[:300]
    said = f" (it said: {reason})" if reason else ""
    if status in (401, 403):
        return Rejected(f"{NAME} refused this account's upload (HTTP {status}){said}. Check "
                        "that the server lets this Nostr key upload, or choose another server "
                        "on the Connections page.")
    if status == 413:
        return TooLarge(f"{NAME} refuses files this large{said}. Attach a smaller picture.")
    if status == 415:
        return Rejected(f"{NAME} does not take this kind of file{said}.")
    if status == 402:
        return Rejected(f"{NAME} asks for payment before it stores pictures{said}.")
    if status == 429:
        retry_at = parse_retry_after(answer.headers.get("Retry-After")) or (
            datetime.now(UTC) + timedelta(seconds=60))
        return RateLimited(f"{NAME} is limiting uploads{said}", retry_at=retry_at)
    if status >= 500:
        return Transient(f"{NAME} had a problem (HTTP {status}){said}")
    return Rejected(f"{NAME} refused the picture (HTTP {status}){said}.")


def imeta_tag(blob: Blob, *, alt: str = "", width: int = 0, height: int = 0) -> list[str]:
    """One NIP-92 `imeta` tag for a picture in the note (`key value` per element)."""
    tag = ["imeta", f"url {blob.url}", f"m {blob.mime_type}", f"x {blob.sha256}"]
    if blob.size > 0:
        tag.append(f"size {blob.size}")
    if blob.width != 0 or blob.height != 0:
        width, height = blob.width, blob.height  # what is stored, fitted or not (-1: unknown)
    if width > 0 and height > 0:
        tag.append(f"dim {width}x{height}")
    if alt.strip():
        tag.append(f"alt {alt.strip()}")
    return tag
