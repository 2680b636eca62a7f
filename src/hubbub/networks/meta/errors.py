"""Meta's error answers, read once, and the codes every Meta API gives the same meaning.

Pure functions (no I/O). Meta answers every error with one JSON object ("Handling Errors",
developers.facebook.com/docs/graph-api/guides/error-handling; the Threads API answers in the
same shape): `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
"error_user_msg", "fbtrace_id"}}`; the code decides, not the HTTP status. Which sentence each
code becomes names the network and what the person must do there, so that stays with each
connector's failures module; the code groups and the wait after a rate limit are shared here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hubbub.networks.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Revoked
from hubbub.networks.failures_common import transport_failure, unreadable_answer
from hubbub.networks.meta import usage

# 4 (app), 17 (user), 32 (page), 613 (custom), 80001 (Pages business use case), 341
# (application limit): calls over a limit.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 341})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
DUPLICATE_CODE = 506
BLOCKED_CODE = 368
TOKEN_CODES = frozenset({190, 102})
TEMPORARY_CODES = frozenset({1, 2})
EXPIRED_SUBCODE = 463
# Platform rate limits count calls over a rolling hour ("Rate Limits", Platform Rate Limits):
# with no estimate in the headers, the hub waits that long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class GraphError:
    """An error answer, read once."""

    status: int
    code: int | None
    subcode: int | None
    message: str
    user_message: str
    headers: Mapping[str, str]

    @classmethod
    def parse(cls, status: int, content: bytes, headers: Mapping[str, str]) -> GraphError:
        try:
            body: Any = json.loads(content) if content else None
        except (ValueError, UnicodeDecodeError):
            body = None
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping) and isinstance(body, Mapping) \
                and "error_message" in body:
            # The flat shape of Instagram's and Threads' token endpoint refusals:
            # {"error_type": "OAuthException", "code": 400, "error_message": "..."}.
            error = {"message": body.get("error_message"), "type": body.get("error_type")}
        error = error if isinstance(error, Mapping) else {}
        return cls(status, _int(error.get("code")), _int(error.get("error_subcode")),
                   _text(error.get("message")), _text(error.get("error_user_msg")),
                   {str(k).lower(): str(v) for k, v in headers.items()})

    def said(self) -> str:
        """': <what Meta said>' for a message, or ''."""
        words = self.user_message or self.message
        return f": {words}" if words else ""

    @property
    def is_duplicate(self) -> bool:
        return self.code == DUPLICATE_CODE

    @property
    def is_token(self) -> bool:
        """The token is refused (190, 102, or a bare 401)."""
        return self.code in TOKEN_CODES or (self.code is None and self.status == 401)

    @property
    def is_rate_limit(self) -> bool:
        return self.code in RATE_LIMIT_CODES or self.status == 429

    @property
    def is_missing(self) -> bool:
        """No such object: a 404, or 100/33 ("Object with ID ... does not exist", Graph's
        answer for a deleted post)."""
        return self.status == 404 or (self.code == 100 and self.subcode == 33)

    @property
    def is_temporary(self) -> bool:
        """Meta's own trouble: a 5xx, or the codes for an unknown or a service error."""
        return self.status >= 500 or self.code in TEMPORARY_CODES


@dataclass(frozen=True)
class Voice:
    """How one Meta network words the refusals every Meta API answers alike: a refused token,
    a missing permission, a rate limit and a refusal with no meaning of its own. The sentences
    are each network's; the reading is shared."""

    network: str
    # 190's subcodes ("Handling Errors"): what the person must do, in the network's words.
    subcode_sentences: Mapping[int, str]
    # A refused token with no sentence of its own; `{said}` takes what Meta said.
    token_fallback: str
    # The permission names this network's messages carry (pages_manage_posts, threads_basic).
    permission: re.Pattern[str]
    # "the Page's login lacks the {name} permission. Reconnect the Page and allow it"
    lacks: str
    # What to say when no permission is named, before and after "(error N): said".
    missing: str
    missing_then: str
    # Whose calls a rate-limit code limits ({4: "the hub's Threads app"}), and for other codes.
    limited: Mapping[int, str]
    limited_else: str

    def token_error(self, error: GraphError) -> ConnectorError:
        if error.subcode == EXPIRED_SUBCODE:
            return AuthExpired(self.subcode_sentences[EXPIRED_SUBCODE])
        sentence = self.subcode_sentences.get(error.subcode or 0)
        if sentence is None:
            sentence = self.token_fallback.format(said=error.said())
        return Revoked(sentence)

    def permission_error(self, error: GraphError, what: str) -> ConnectorError:
        named = self.permission.search(f"{error.message} {error.user_message}")
        action = what or "do this"
        if named:
            lacks = self.lacks.format(name=named.group(1))
            return Rejected(f"{self.network} did not let hubbub {action}: {lacks} "
                            f"(error {error.code}){error.said()}")
        return Rejected(f"{self.network} did not let hubbub {action}: {self.missing} (error "
                        f"{error.code}){error.said()}. {self.missing_then}")

    def rate_limited(self, error: GraphError, now: datetime) -> RateLimited:
        """A rate-limit answer: RateLimited until rate_limit_until, naming whose calls."""
        until = rate_limit_until(error, now)
        scope = self.limited.get(error.code or 0, self.limited_else)
        return RateLimited(f"{self.network} is limiting calls for {scope} until {until:%H:%M} "
                           f"UTC (error {error.code}){error.said()}", until)

    def refused(self, error: GraphError) -> Rejected:
        """An error answer no code gives a meaning to."""
        return Rejected(f"{self.network} refused it{error.said() or f' (HTTP {error.status})'}")

    def transport(self, exc: BaseException, *, write: bool = False) -> ConnectorError:
        """A request that got no answer: refused, DNS, timeouts, the SSRF guard."""
        return transport_failure(exc, self.network, write=write)

    def unreadable(self, *, write: bool) -> ConnectorError:
        """A 2xx answer whose body is not the JSON the network documents."""
        return unreadable_answer(self.network, write=write)


def rate_limit_until(error: GraphError, now: datetime) -> datetime:
    """When to call again after a rate-limit error: Retry-After, else Meta's longest estimate
    in the usage headers, else the rolling hour."""
    until = usage.retry_at(error.headers, now=now)
    if until is None or until <= now:
        until = now + DEFAULT_RATE_LIMIT_WAIT
    return until


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    clean = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(clean.split())[:300]
