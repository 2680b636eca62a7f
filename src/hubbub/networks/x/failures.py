"""What an X API answer or a failed request means for the hub: one connector error each.

Pure functions (no I/O). X answers errors with a JSON "problem" (`type`, `title`, `detail`,
`status`; RFC 7807 style, https://docs.x.com/x-api/fundamentals/response-codes-and-errors) and
sends `x-rate-limit-limit/-remaining/-reset` (reset in epoch seconds) on every answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.core.http import (
    parse_rate_limit_reset,
    parse_retry_after,
)
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Revoked,
)
from hubbub.networks.failures_common import (
    server_trouble,
    transport_failure,
    unreadable_answer,
)

# X's rate-limit windows are 15 minutes: with no usable reset header, wait one.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)
PROBLEM = "https://api.x.com/2/problems/"
DUPLICATE = "duplicate content"


@dataclass(frozen=True)
class Failure:
    """An error answer, read once: its status, problem type (the last part of the URI, e.g.
    "usage-capped"; "" for about:blank or none), and what it said, for people."""

    status: int
    kind: str
    title: str
    detail: str
    headers: Mapping[str, str]

    @classmethod
    def parse(cls, status: int, content: bytes, headers: Mapping[str, str]) -> Failure:
        try:
            body: Any = json.loads(content) if content else None
        except (ValueError, UnicodeDecodeError):
            body = None
        problem: Mapping[str, Any] = {}
        if isinstance(body, Mapping):
            problem = body
            errors = body.get("errors")
            # Some answers wrap their problems in "errors" ([{message, code}] or problems).
            if not body.get("detail") and isinstance(errors, list) and errors and isinstance(
                    errors[0], Mapping):
                problem = errors[0]
        kind = str(problem.get("type") or "")
        kind = kind.rsplit("/", 1)[-1] if "/problems/" in kind else ""
        detail = _text(problem.get("detail") or problem.get("message")
                       or problem.get("error_description") or problem.get("error"))
        title = _text(problem.get("title") or problem.get("reason"))
        return cls(status, kind, title, detail, {k.lower(): v for k, v in headers.items()})

    def said(self) -> str:
        """': <what X said>' for a message, or ''."""
        words = self.detail or self.title
        return f": {words}" if words else ""

    @property
    def is_duplicate(self) -> bool:
        return self.status == 403 and DUPLICATE in (self.detail + " " + self.title).lower()


def _text(value: Any) -> str:
    return " ".join(str(value).split())[:300] if value else ""


def retry_at(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime | None:
    """When X allows the next request: Retry-After, else x-rate-limit-reset (epoch seconds,
    corrected by the answer's Date header for a server clock that differs from ours)."""
    current = now or datetime.now(UTC)
    lowered = {k.lower(): v for k, v in headers.items()}
    after = parse_retry_after(lowered.get("retry-after"), now=current)
    if after is not None:
        return after
    reset = parse_rate_limit_reset(lowered.get("x-rate-limit-reset"), now=current)
    if reset is None:
        return None
    server_now = parse_retry_after(lowered.get("date"), now=current)
    if server_now is not None and abs((server_now - current).total_seconds()) > 5:
        return current + (reset - server_now)
    return reset


def exhausted_until(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime | None:
    """After a good answer: when x-rate-limit-remaining says 0, the reset time (the next
    request would only be refused), else None."""
    lowered = {k.lower(): v for k, v in headers.items()}
    remaining = str(lowered.get("x-rate-limit-remaining", "")).strip()
    if remaining != "0":
        return None
    current = now or datetime.now(UTC)
    until = retry_at({k: v for k, v in lowered.items() if k != "retry-after"}, now=current)
    return until if until is not None and until > current else None


def map_failure(failure: Failure, *, write: bool = False, what: str = "",
                now: datetime | None = None) -> ConnectorError:
    """An error answer from X. `write`: the request would have posted something (a 5xx other
    than 503 may then have landed). `what` names the read for access-level messages."""
    current = now or datetime.now(UTC)
    status, said = failure.status, failure.said()
    if status == 401:
        # Expired or revoked look alike; the engine refreshes once and calls it revoked when
        # X refuses the refresh too.
        return AuthExpired(f"X did not accept the access token{said}")
    if status == 402:
        return Rejected(
            "X refused the request because the hub's X app has no API credits left (HTTP 402 "
            "Payment Required): the person who runs this hub must add credits in the X "
            f"Developer Console. Nothing was sent{said}")
    if status == 429 or failure.kind in ("usage-capped", "rate-limit-exceeded"):
        if failure.kind == "usage-capped":
            return Rejected(
                "X's usage cap for the hub's X app is used up for this billing period: the "
                "person who runs this hub must raise it in the X Developer Console. Nothing "
                f"was sent{said}")
        until = retry_at(failure.headers, now=current)
        if until is None or until <= current:
            until = current + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(f"X rate-limited this account until {until:%H:%M:%S} UTC", until)
    if status >= 500:
        return server_trouble("X", status, said, failure.headers, now=current, write=write)
    if status == 403:
        return _forbidden(failure, what)
    if status in (404, 410) or failure.kind == "resource-not-found":
        return NotFound(f"X has no such post or account{said}")
    if status == 413:
        return Rejected(f"X says this is too large (HTTP 413){said}")
    return Rejected(f"X refused it{said or f' (HTTP {status})'}")


def _forbidden(failure: Failure, what: str) -> ConnectorError:
    said = failure.said()
    text = f"{failure.title} {failure.detail}".lower()
    if failure.is_duplicate:
        return Rejected("X refused this post as a duplicate of one already on the account; it "
                        "was not posted again. Change the text to post it.")
    if "scope" in text or "unsupported-authentication" in failure.kind:
        return Revoked(f"The X login does not allow this{said}. Reconnect the account to grant "
                       "hubbub the permissions it asks for.")
    if failure.kind == "client-forbidden" or "access level" in text or "enroll" in text:
        reading = f" {what}" if what else " this"
        return Rejected(f"Your X access level does not include{reading}: the hub's X app "
                        f"needs a plan that allows it{said}")
    return Rejected(f"X does not allow this{said}")


def map_transport(exc: BaseException, *, write: bool = False) -> ConnectorError:
    """A request that got no answer: refused, DNS, timeouts, the SSRF guard."""
    return transport_failure(exc, "X", write=write)


def unreadable(*, write: bool) -> ConnectorError:
    """A 2xx answer whose body is not the JSON X documents."""
    return unreadable_answer("X", write=write)
