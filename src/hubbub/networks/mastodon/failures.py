"""Mastodon's answers that went wrong, as the contract's errors: an HTTP status with its message
and headers (map_status), or a failed request (map_error)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from hubbub.core.http import classify_transport_error, parse_retry_after, retry_at_from_headers
from hubbub.networks.errors import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)

# When a 429 names no time, wait this long (Mastodon's windows are 5 minutes).
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)


def _host(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


def map_status(
    status: int,
    message: str,
    headers: Mapping[str, str],
    *,
    base_url: str,
    unsafe_write: bool = False,
    now: datetime | None = None,
) -> ConnectorError:
    """An HTTP error answer from a Mastodon server as a connector error."""
    host = _host(base_url)
    current = now or datetime.now(UTC)
    said = f": {message}" if message else ""
    if status == 401:
        return Revoked(
            f"The access token is invalid (revoked, or the app was removed) on {host}{said}. "
            "Reconnect the account."
        )
    if status == 403:
        lowered = message.lower()
        if "token" in lowered or "scope" in lowered:
            return Revoked(f"{host} no longer accepts this access token{said}. Reconnect it.")
        return Rejected(f"{host} refused this{said}")
    if status in (404, 410):
        return NotFound(f"{host} has no such thing{said}")
    if status == 429:
        retry_at = retry_at_from_headers(headers, now=current)
        if retry_at is None or retry_at <= current:
            retry_at = current + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(
            f"{host} rate-limited this account until {retry_at:%H:%M:%S} UTC", retry_at=retry_at
        )
    if status >= 500:
        if unsafe_write and status in (502, 504):
            # A proxy gave up waiting: the server behind it may have finished the write.
            return OutcomeUnknown(
                f"{host} timed out behind its proxy (HTTP {status}); the post may have been made"
            )
        retry_after = parse_retry_after(
            {k.lower(): v for k, v in headers.items()}.get("retry-after"), now=current
        )
        return Transient(f"{host} had a problem (HTTP {status}){said}", retry_at=retry_after)
    if status == 408:
        return Transient(f"{host} timed out reading the request (HTTP 408)")
    if status == 422:
        if "processing" in message.lower():
            # "Cannot attach files that have not finished processing": later will work.
            return Transient(f"{host} is still processing the media{said}")
        return Rejected(f"{host} refused it{said or ' (HTTP 422)'}")
    if status == 413:
        return Rejected(f"{host} says this is too large (HTTP 413)")
    return Rejected(f"{host} refused it (HTTP {status}){said}")


def map_error(
    exc: BaseException,
    response: requests.Response | None,
    *,
    base_url: str,
    unsafe_write: bool = False,
    now: datetime | None = None,
) -> ConnectorError:
    """The one mapping from whatever a Mastodon call raised to a connector error.

    `response` is the last HTTP response the session saw during the call (Mastodon.py drops the
    headers we need for 429s). `unsafe_write` marks a non-idempotent write (publish): a failure
    after the request may have reached the server is OutcomeUnknown, never Transient."""
    import mastodon  # Mastodon.py; imported here so mapping stays importable without it

    host = _host(base_url)
    if isinstance(exc, ConnectorError):
        return exc
    transport = classify_transport_error(exc)
    if transport is not None:
        if transport.kind == "blocked":
            return Rejected(f"{host} cannot be reached from this hub: {transport.reason}")
        if transport.maybe_sent and unsafe_write:
            return OutcomeUnknown(
                f"{host} did not answer ({transport.reason}); the post may have been made or not"
            )
        return Transient(f"Could not reach {host}: {transport.reason}")
    if isinstance(exc, mastodon.MastodonNetworkError):
        if unsafe_write:
            return OutcomeUnknown(f"The connection to {host} failed mid-request: {exc}")
        return Transient(f"Could not reach {host}: {exc}")

    ok_response = response is not None and response.ok
    if isinstance(exc, mastodon.MastodonRatelimitError) and not ok_response:
        status = response.status_code if response is not None else 429
        headers = response.headers if response is not None else {}
        return map_status(status if status == 429 else 429, "", headers, base_url=base_url, now=now)
    if isinstance(exc, mastodon.MastodonAPIError | mastodon.MastodonRatelimitError):
        status_code, message = _api_error_details(exc, response)
        if status_code is None or status_code < 400:
            # A 2xx whose body could not be read (truncated or not JSON).
            if unsafe_write:
                return OutcomeUnknown(
                    f"{host} accepted the request but its answer was unreadable; "
                    "the post may have been made"
                )
            return Transient(f"{host} sent an unreadable answer")
        headers = response.headers if response is not None else {}
        return map_status(
            status_code, message, headers, base_url=base_url, unsafe_write=unsafe_write, now=now
        )
    if isinstance(exc, mastodon.MastodonIllegalArgumentError | mastodon.MastodonVersionError):
        return Rejected(f"Mastodon request not possible: {exc}")
    if isinstance(exc, mastodon.MastodonIOError):
        return Rejected(f"Could not read the file to upload: {exc}")
    if isinstance(exc, ValueError):  # Mastodon.py checks some arguments before sending
        return Rejected(f"Mastodon request not possible: {exc}")
    if unsafe_write:
        return OutcomeUnknown(f"Unexpected failure talking to {host}: {exc!r}")
    return Transient(f"Unexpected failure talking to {host}: {exc!r}")


def _api_error_details(
    exc: BaseException, response: requests.Response | None
) -> tuple[int | None, str]:
    """(status, server message) from a MastodonAPIError; its args are
    ('Mastodon API returned error', status, reason, error_message) for HTTP errors."""
    args = exc.args
    if len(args) >= 4 and isinstance(args[1], int):
        message = args[3] if isinstance(args[3], str) else ""
        return args[1], message
    if response is not None and not response.ok:
        return response.status_code, _error_text(response)
    return None, ""


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        text = body.get("error_description") or body.get("error")
        return str(text) if text else ""
    return ""
