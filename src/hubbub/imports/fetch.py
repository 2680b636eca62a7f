"""Reading a feed over HTTP, only through the hub's guarded session (SSRF guard, timeouts),
with conditional requests so an unchanged feed costs a 304."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import requests

from hubbub.core.http import classify_transport_error, guarded_session, retry_at_from_headers

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = (5.0, 15.0)  # connect, read: a poll must not hold a worker for long
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1")


class FetchProblem(Exception):
    """The feed could not be read this time. `retry_at` is when the server asked us to come
    back (Retry-After, rate limits), if it said."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True)
class Fetched:
    not_modified: bool
    body: bytes
    content_type: str
    etag: str
    last_modified: str


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    session = guarded_session(timeout=TIMEOUT)
    try:
        with session.get(url, headers=headers, stream=True) as response:
            if response.status_code == 304:
                return Fetched(True, b"", "", etag, last_modified)
            if not response.ok:
                reason = response.reason or ""
                raise FetchProblem(
                    f"The feed answered {response.status_code} {reason}".strip() + ".",
                    retry_at_from_headers(response.headers)
                    if response.status_code in (429, 503) else None,
                )
            body = _read_capped(response)
            return Fetched(
                False, body, response.headers.get("Content-Type", ""),
                response.headers.get("ETag", "")[:500],
                response.headers.get("Last-Modified", "")[:100],
            )
    except requests.RequestException as exc:
        failure = classify_transport_error(exc)
        raise FetchProblem(
            f"The feed could not be read: {failure.reason if failure else exc}."
        ) from None
    except ValueError as exc:  # BlockedDestination, or a URL requests cannot use
        failure = classify_transport_error(exc)
        raise FetchProblem(failure.reason if failure else f"The feed could not be read: {exc}."
                           ) from None
    finally:
        session.close()


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchProblem(f"The feed is larger than {MAX_BYTES // 1024 // 1024} MB.")
        chunks.append(chunk)
    return b"".join(chunks)
