"""Bluesky shapes -> hubbub values, and XRPC failures -> connector errors.

Pure functions on plain JSON mappings (no I/O), tested with recorded response shapes
(fixtures/) as well as against the reference PDS.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

from hubbub.core.counting import BLUESKY_MAX_BYTES, BLUESKY_MAX_GRAPHEMES
from hubbub.core.http import classify_transport_error, parse_retry_after, retry_at_from_headers
from hubbub.networks.base import Capabilities, MediaLimits, Published
from hubbub.networks.bluesky.media import VIDEO_LIMITS
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)

POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
REPOST = "app.bsky.feed.repost"
# app.bsky.embed.images: image maxSize 2,000,000 (1,000,000 before 2024; a PDS's describeServer
# blobUploadLimit may be lower still: capabilities take the smaller).
IMAGE_MAX_BYTES = 2_000_000
THUMB_MAX_BYTES = 1_000_000  # app.bsky.embed.external thumb
ALT_TEXT_MAX = 2000  # the Bluesky app's limit (the lexicon sets none)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
FEEDS = ("home", "notifications", "mentions", "author", "list", "search", "hashtag", "feed")
# When a 429 names no time: Bluesky's write limits are per hour and per day; try again later.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
DEFAULT_WEB_URL = "https://bsky.app"


# --- capabilities -----------------------------------------------------------------------------


def default_capabilities(image_max_bytes: int = IMAGE_MAX_BYTES) -> Capabilities:
    return Capabilities(
        text_limit=BLUESKY_MAX_GRAPHEMES,
        text_byte_limit=BLUESKY_MAX_BYTES,
        counting="bluesky",
        media=MediaLimits(
            max_count=4,
            mime_types=IMAGE_TYPES,
            image_max_bytes=image_max_bytes,
            alt_text_max=ALT_TEXT_MAX,
            video=VIDEO_LIMITS,
        ),
        content_warning=False,  # none on Bluesky: a warning becomes the first line of the text
        threads=True,
        feeds=FEEDS,
        idempotency="record_key",
        native_scheduling=False,
    )


def capabilities_from_server(described: Mapping[str, Any]) -> Capabilities:
    """From com.atproto.server.describeServer: a PDS that accepts smaller blobs than the image
    limit says so in blobUploadLimit."""
    limit = described.get("blobUploadLimit")
    image_max = IMAGE_MAX_BYTES
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < IMAGE_MAX_BYTES:
        image_max = limit
    return default_capabilities(image_max)


# --- identity, URIs and URLs ------------------------------------------------------------------


def web_url() -> str:
    return str(getattr(settings, "HUBBUB_BLUESKY_WEB_URL", DEFAULT_WEB_URL)).rstrip("/")


def profile_url(actor: str) -> str:
    # errors="replace": a hostile handle with a lone surrogate names a (dead) address instead
    # of costing the post.
    return f"{web_url()}/profile/{quote(actor, safe=':.', errors='replace')}"


@dataclass(frozen=True)
class AtUri:
    repo: str  # a DID (or, in URIs people paste, a handle)
    collection: str
    rkey: str

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def parse_at_uri(value: str) -> AtUri | None:
    if not value.startswith("at://"):
        return None
    parts = value[len("at://") :].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return AtUri(*parts)


def parse_post_ref(value: str) -> AtUri | None:
    """A post named by its at:// URI or by its web address (https://bsky.app/profile/X/post/K)."""
    text = value.strip().partition("#")[0]  # an Item key like "<post>#reposted-by:<did>"
    uri = parse_at_uri(text)
    if uri is not None:
        return uri
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        return None
    path = [p for p in parts.path.split("/") if p]
    if len(path) == 4 and path[0] == "profile" and path[2] == "post":
        return AtUri(path[1], POST, path[3])
    return None


def post_url(uri: str, actor: str | None = None) -> str:
    """The web address of a post. Stored URLs name the author by DID, which never changes (a
    handle can); pass `actor` (a handle) for addresses shown and not kept."""
    parsed = parse_at_uri(uri)
    if parsed is None:
        return ""
    return f"{profile_url(actor or parsed.repo)}/post/{parsed.rkey}"


def published(uri: str, record: Mapping[str, Any] | None = None) -> Published:
    created = (record or {}).get("createdAt")
    return Published(
        remote_id=uri,
        url=post_url(uri),
        created_at=parse_time(created) if isinstance(created, str) else None,
    )


def parse_time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def now_iso(now: datetime | None = None) -> str:
    current = now or datetime.now(UTC)
    return current.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (the PDS verifies; we only read scope and expiry)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}


def pds_from_did_doc(doc: object) -> str:
    """The #atproto_pds service endpoint of a DID document, or ""."""
    if not isinstance(doc, Mapping):
        return ""
    for service in doc.get("service") or ():
        if not isinstance(service, Mapping):
            continue
        if str(service.get("id", "")).endswith("#atproto_pds") and (
            service.get("type") == "AtprotoPersonalDataServer"
        ):
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    return ""


def credentials_from_session(session: Mapping[str, Any], service: str) -> dict[str, Any]:
    """What is stored (encrypted) for a connection: the session, never the app password."""
    return {
        "accessJwt": str(session["accessJwt"]),
        "refreshJwt": str(session["refreshJwt"]),
        "did": str(session["did"]),
        "handle": str(session.get("handle") or ""),
        "service": pds_from_did_doc(session.get("didDoc")) or service,
    }


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class XrpcFailure:
    """An HTTP error answer: status, the XRPC error name and message, the headers."""

    status: int
    error: str
    message: str
    headers: Mapping[str, str]

    @classmethod
    def parse(cls, status: int, body: bytes, headers: Mapping[str, str]) -> XrpcFailure:
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        if not isinstance(data, Mapping):
            data = {}
        return cls(status, str(data.get("error") or ""), str(data.get("message") or ""), headers)

    def said(self) -> str:
        text = self.message or self.error
        return f": {text}" if text else ""


class BlobMissing(Rejected):
    """The post names an uploaded image the server no longer has (a PDS drops blobs that no
    record uses after a while): upload it again."""


class BlobTooBig(Rejected):
    """An image is over the server's limit, which the server named (`maximum`, bytes): older
    servers allow 1,000,000 where the current lexicon allows 2,000,000."""

    def __init__(self, message: str, maximum: int) -> None:
        super().__init__(message)
        self.maximum = maximum


_BLOB_TOO_BIG = re.compile(r"blob too big \(maximum (\d+)")


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


def map_failure(
    failure: XrpcFailure,
    *,
    base_url: str,
    unsafe_write: bool = False,
    now: datetime | None = None,
) -> ConnectorError:
    """An XRPC error answer as a connector error (one meaning each, for the engine)."""
    host = host_of(base_url)
    current = now or datetime.now(UTC)
    status, error, said = failure.status, failure.error, failure.said()
    if error == "ExpiredToken":
        return AuthExpired(f"The Bluesky session on {host} expired{said}")
    if error in ("AccountTakedown", "AccountDeactivated", "AccountNotFound"):
        state = {
            "AccountTakedown": "taken down",
            "AccountDeactivated": "deactivated",
            "AccountNotFound": "gone",
        }[error]
        return Revoked(f"{host} says this Bluesky account is {state}{said}. Reconnect it.")
    if error == "InvalidToken" or status == 401:
        # Refreshing may cure it (a PDS that rotated its signing key, a token the entryway
        # issued); the engine refreshes once and calls it revoked if that fails too.
        return AuthExpired(f"{host} did not accept this Bluesky session{said}")
    if status == 429:
        retry_at = retry_at_from_headers(failure.headers, now=current)
        if retry_at is None or retry_at <= current:
            retry_at = current + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(
            f"{host} rate-limited this account until {retry_at:%H:%M:%S} UTC", retry_at=retry_at
        )
    if status >= 500:
        if unsafe_write and status in (502, 504):
            return OutcomeUnknown(
                f"{host} timed out behind its proxy (HTTP {status}); the post may have been made"
            )
        retry_after = parse_retry_after(
            {k.lower(): v for k, v in failure.headers.items()}.get("retry-after"), now=current
        )
        return Transient(f"{host} had a problem (HTTP {status}){said}", retry_at=retry_after)
    if error == "BlobNotFound":
        return BlobMissing(f"{host} no longer has an uploaded image{said}")
    too_big = _BLOB_TOO_BIG.search(failure.message)
    if too_big:
        return BlobTooBig(f"{host} says an image is too large{said}", int(too_big.group(1)))
    if status == 404 or error in ("RecordNotFound", "NotFound"):
        return NotFound(f"{host} has no such thing{said}")
    if status == 413:
        return Rejected(f"{host} says this is too large (HTTP 413){said}")
    if status == 403:
        return Rejected(f"{host} does not allow this{said}")
    return Rejected(f"{host} refused it{said or f' (HTTP {status})'}")


def map_transport_error(
    exc: BaseException, *, base_url: str, unsafe_write: bool = False
) -> ConnectorError:
    """A request that got no HTTP answer (refused, DNS, timeouts, the SSRF guard)."""
    host = host_of(base_url)
    if isinstance(exc, ConnectorError):
        return exc
    transport = classify_transport_error(exc)
    if transport is None:
        if unsafe_write:
            return OutcomeUnknown(f"Unexpected failure talking to {host}: {exc!r}")
        return Transient(f"Unexpected failure talking to {host}: {exc!r}")
    if transport.kind == "blocked":
        return Rejected(f"{host} cannot be reached from this hub: {transport.reason}")
    if transport.maybe_sent and unsafe_write:
        return OutcomeUnknown(
            f"{host} did not answer ({transport.reason}); the post may have been made or not"
        )
    return Transient(f"Could not reach {host}: {transport.reason}")
