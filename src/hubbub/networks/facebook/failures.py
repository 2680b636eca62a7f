"""What a Graph API answer or a failed request means for the hub: one connector error each.

Pure functions (no I/O). Meta answers every error with one JSON object ("Handling Errors",
developers.facebook.com/docs/graph-api/guides/error-handling):
`{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"fbtrace_id"}}`; the code decides, not the HTTP status. What each code means here:

- 190 (access token): subcode 463 "expired" is AuthExpired; 458 (the person removed the app),
  459 (a checkpoint on their account), 460 (password changed), 464 (unconfirmed user), 467
  (invalid token), 492 (invalid session) and 190 without a subcode are Revoked, each with a
  sentence saying what the person must do. 102 (API session) likewise.
- 4 (app), 17 (user), 32 (page), 613 (custom), 80001 (Pages business use case) and 341
  (application limit): RateLimited, until the time the usage headers say (usage.py) or the
  documented rolling window.
- 368 (temporarily blocked for policy violations): Rejected, saying Facebook blocked it.
- 10 and 200-299 (permissions): Rejected naming the permission the Page's login lacks.
- 506 (duplicate post): Rejected unless the post is found (the connector looks first).
- 1, 2 (unknown, service) and HTTP 5xx: Transient, or OutcomeUnknown for a publish that may
  have reached Facebook (anything but a 503, which says the request was not taken).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Revoked,
)
from hubbub.networks.facebook import usage
from hubbub.networks.failures_common import (
    server_trouble,
    transport_failure,
    unreadable_answer,
)

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
RECONNECT = "reconnect Facebook on the Connections page (sign in again and pick this Page)"
_PERMISSION = re.compile(r"\b((?:pages|publish|business|read|manage)_[a-z_]+)\b")

_SUBCODE_SENTENCES = {
    458: "Facebook says hubbub's app was removed from the Facebook account that connected this "
         "Page: " + RECONNECT + " and allow the app again.",
    459: "Facebook has locked the Facebook account that connected this Page until its owner "
         "signs in at facebook.com and follows the steps shown there; then " + RECONNECT + ".",
    460: "The password of the Facebook account that connected this Page was changed, which "
         "ends its logins: " + RECONNECT + ".",
    463: "The Facebook login behind this Page has expired (Facebook logins last about 60 "
         "days): " + RECONNECT + ".",
    464: "The Facebook account that connected this Page is not confirmed: its owner must "
         "confirm it at facebook.com, then " + RECONNECT + ".",
    467: "Facebook no longer accepts the token for this Page (it was signed out, or the "
         "person's role on the Page changed): " + RECONNECT + ".",
    492: "Facebook ended the session behind this Page (the person's role on the Page may have "
         "changed): " + RECONNECT + ".",
}


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
        error = error if isinstance(error, Mapping) else {}
        return cls(status, _int(error.get("code")), _int(error.get("error_subcode")),
                   _text(error.get("message")), _text(error.get("error_user_msg")),
                   {str(k).lower(): str(v) for k, v in headers.items()})

    def said(self) -> str:
        """': <what Facebook said>' for a message, or ''."""
        words = self.user_message or self.message
        return f": {words}" if words else ""

    @property
    def is_duplicate(self) -> bool:
        return self.code == DUPLICATE_CODE


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


def map_error(error: GraphError, *, write: bool = False, what: str = "",
              now: datetime | None = None) -> ConnectorError:
    """An error answer from the Graph API. `write`: the request would have posted something.
    `what` names the action for permission messages ("publish to the Page")."""
    current = now or datetime.now(UTC)
    code, said = error.code, error.said()
    if code in TOKEN_CODES or (code is None and error.status == 401):
        return _token_error(error)
    if code in RATE_LIMIT_CODES or error.status == 429:
        until = usage.retry_at(error.headers, now=current)
        if until is None or until <= current:
            until = current + DEFAULT_RATE_LIMIT_WAIT
        scope = {4: "the hub's Facebook app", 17: "this Facebook account",
                 32: "this Page", 80001: "this Page"}.get(code or 0, "this Page")
        return RateLimited(f"Facebook is limiting calls for {scope} until {until:%H:%M} UTC "
                           f"(error {code}){said}", until)
    if code == BLOCKED_CODE:
        return Rejected("Facebook has temporarily blocked this Page from doing this, because it "
                        f"judged it abusive or against its policies (error 368){said}. Wait "
                        "before trying again, and check the Page's notifications on Facebook.")
    if code in PERMISSION_CODES:
        return _permission_error(error, what)
    if code == DUPLICATE_CODE:
        return Rejected("Facebook refused this post as a duplicate of one the Page just posted; "
                        "it was not posted again. Change the text to post it.")
    if error.status >= 500 or code in TEMPORARY_CODES:
        return server_trouble("Facebook", error.status, said, error.headers, now=current,
                              write=write)
    if error.status == 404 or (code == 100 and error.subcode == 33):
        return NotFound(f"Facebook has no such post or Page{said}")
    return Rejected(f"Facebook refused it{said or f' (HTTP {error.status})'}")


def _token_error(error: GraphError) -> ConnectorError:
    subcode = error.subcode
    if subcode == EXPIRED_SUBCODE:
        return AuthExpired(_SUBCODE_SENTENCES[EXPIRED_SUBCODE])
    sentence = _SUBCODE_SENTENCES.get(subcode or 0)
    if sentence is None:
        sentence = ("Facebook no longer accepts the token for this Page (it expired, was "
                    f"revoked or is otherwise invalid{error.said()}): " + RECONNECT + ".")
    return Revoked(sentence)


def _permission_error(error: GraphError, what: str) -> ConnectorError:
    named = _PERMISSION.search(f"{error.message} {error.user_message}")
    action = what or "do this"
    if named:
        return Rejected(f"Facebook did not let hubbub {action}: the Page's login lacks the "
                        f"{named.group(1)} permission. Reconnect the Page and allow it "
                        f"(error {error.code}){error.said()}")
    return Rejected(f"Facebook did not let hubbub {action}: a permission or the person's role "
                    f"on the Page does not allow it (error {error.code}){error.said()}. "
                    "Reconnect the Page and allow everything hubbub asks for.")


def map_transport(exc: BaseException, *, write: bool = False) -> ConnectorError:
    """A request that got no answer: refused, DNS, timeouts, the SSRF guard."""
    return transport_failure(exc, "Facebook", write=write)


def unreadable(*, write: bool) -> ConnectorError:
    """A 2xx answer whose body is not the JSON Facebook documents."""
    return unreadable_answer("Facebook", write=write)
