"""What a LinkedIn error answer or a failed request means for the hub: one connector error
each. Pure functions, no I/O.

LinkedIn answers errors with JSON `{"status", "serviceErrorCode", "message"}` (and sometimes
`code`) (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling). Rate limits
are daily and reset at midnight UTC (…/concepts/rate-limits); a 429 carries no Retry-After for
them, so the next try is at the next UTC midnight unless the answer names a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.core.http import parse_retry_after
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

# A post URN named by a refusal ("… duplicate of urn:li:share:123").
_POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d{1,30}")
# What a permission refusal may name: a scope, or LinkedIn's internal permission.
_SCOPE = re.compile(r"\b([rw]{1,2}_[a-z_]+)\b")
SCOPE_FOR_WRITE = "w_member_social"


@dataclass(frozen=True)
class Failure:
    """An error answer, read once."""

    status: int
    code: str  # e.g. ACCESS_DENIED, REVOKED_ACCESS_TOKEN ("" when not given)
    service_code: int | None
    message: str
    headers: Mapping[str, str]

    @classmethod
    def parse(cls, status: int, content: bytes, headers: Mapping[str, str]) -> Failure:
        try:
            body: Any = json.loads(content) if content else None
        except (ValueError, UnicodeDecodeError):
            body = None
        body = body if isinstance(body, Mapping) else {}
        service = body.get("serviceErrorCode")
        message = body.get("message") or body.get("error_description") or body.get("error")
        return cls(
            status=status,
            code=_text(body.get("code"))[:80],
            service_code=service if isinstance(service, int) else None,
            message=_text(message),
            headers={str(k).lower(): str(v) for k, v in headers.items()},
        )

    def said(self) -> str:
        return f": {self.message}" if self.message else ""

    @property
    def duplicate_of(self) -> str:
        """The existing post a duplicate refusal names, or ""."""
        if self.status not in (409, 422, 400):
            return ""
        if "duplicate" not in self.message.lower() and self.code.upper() != "DUPLICATE_POST":
            return ""
        found = _POST_URN.search(self.message)
        return found.group(0) if found else ""

    @property
    def is_duplicate(self) -> bool:
        return self.status in (409, 422, 400) and (
            "duplicate" in self.message.lower() or self.code.upper() == "DUPLICATE_POST")


def _text(value: Any) -> str:
    return " ".join(str(value).split())[:400] if value else ""


def next_utc_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def map_failure(failure: Failure, *, write: bool = False, scope: str = "",
                now: datetime | None = None) -> ConnectorError:
    """An error answer. `write`: the request would have posted something (a 5xx other than 503
    may then have landed). `scope`: the scope this request needs, for a 403's sentence."""
    current = now or datetime.now(UTC)
    status, said = failure.status, failure.said()
    if status == 401:
        words = f"{failure.code} {failure.message}".lower()
        if "revoked" in words or failure.service_code == 65601:
            return Revoked(f"LinkedIn says the login was revoked{said}. Reconnect the account.")
        return AuthExpired(f"LinkedIn did not accept the access token{said}")
    if status == 429:
        until = parse_retry_after(failure.headers.get("retry-after"), now=current)
        if until is None or until <= current:
            until = next_utc_midnight(current)
        return RateLimited(f"LinkedIn's daily limit for this account is used up; LinkedIn "
                           f"resets it at {until:%H:%M} UTC{said}", until)
    if status >= 500:
        return server_trouble("LinkedIn", status, said, failure.headers, now=current,
                              write=write)
    if status == 403:
        return _forbidden(failure, scope)
    if status in (404, 410):
        return NotFound(f"LinkedIn has no such post or account{said}")
    if failure.is_duplicate:
        return Rejected("LinkedIn refused this post as a duplicate of one already on the "
                        f"account; it was not posted again{said}")
    if status == 413:
        return Rejected(f"LinkedIn says this is too large (HTTP 413){said}")
    return Rejected(f"LinkedIn refused it{said or f' (HTTP {status})'}")


def _forbidden(failure: Failure, scope: str) -> ConnectorError:
    said = failure.said()
    named = _SCOPE.search(failure.message)
    needed = scope or (named.group(1) if named else "")
    if needed:
        return Rejected(f"LinkedIn refused this: the login does not grant the {needed} "
                        f"permission{said}. Reconnect the account and allow it (the hub's "
                        "LinkedIn app must have the product that grants it).")
    return Rejected(f"LinkedIn does not allow this for this account{said}")


def map_transport(exc: BaseException, *, write: bool = False) -> ConnectorError:
    """A request that got no answer: refused, DNS, timeouts, the SSRF guard."""
    return transport_failure(exc, "LinkedIn", write=write)


def unreadable(*, write: bool) -> ConnectorError:
    """A 2xx answer whose body is not the JSON LinkedIn documents."""
    return unreadable_answer("LinkedIn", write=write)
