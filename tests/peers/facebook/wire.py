"""Requests, answers and the Graph API error object, shared by the stand-in's handlers.

The error object is the one docs/graph-api/guides/error-handling prints:
`{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"fbtrace_id"}}`; the messages are the ones Meta's servers send, as quoted in public reports
(README.md names each source).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.peers import standin_http
from tests.peers.facebook.state import App, Token, User


@dataclass
class Request:
    method: str
    path: str  # without the version prefix
    version: str | None
    query_string: str
    params: dict[str, str]  # query and form/multipart fields together, as Graph reads them
    headers: dict[str, str]
    body: bytes
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name, type, data
    lists: dict[str, list[str]] = field(default_factory=dict)  # every value of each field
    origin: str = ""  # http://host:port the client called (paging.next points back at it)
    template: str | None = None
    token: Token | None = None
    app: App | None = None
    user: User | None = None


@dataclass
class Reply(standin_http.Reply):
    """The shared answer (tests/peers/standin_http.py) with Graph's own Content-Type."""
    content_type: str = "application/json; charset=UTF-8"


def trace_id() -> str:
    return secrets.token_urlsafe(8)[:11]


class GraphError(Exception):
    """Answered as Meta answers it: HTTP status, the error object, and `rule` when the request
    broke a documented rule (then it is also recorded in protocol_errors)."""

    def __init__(self, code: int, message: str, *, status: int = 400,
                 kind: str = "OAuthException", subcode: int | None = None,
                 user_title: str | None = None, user_msg: str | None = None,
                 transient: bool | None = None, rule: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        error: dict[str, Any] = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient is not None:
            error["is_transient"] = transient
        if user_title is not None:
            error["error_user_title"] = user_title
        if user_msg is not None:
            error["error_user_msg"] = user_msg
        error["fbtrace_id"] = trace_id()
        self.code = code
        self.rule = rule
        self.reply = Reply(status, {"error": error}, headers=dict(headers or {}))


def invalid(message: str, *, rule: str | None = None, subcode: int | None = None) -> GraphError:
    """Code 100, invalid parameter ("(#100) ..." as Meta words most of them)."""
    return GraphError(100, message, subcode=subcode, rule=rule)


def no_token() -> GraphError:
    return GraphError(104, "An access token is required to request this resource.",
                      rule="no access token")


def token_error(token: Token | None, value: str) -> GraphError:
    """Code 190 with the subcode for why the token no longer works (error-handling page,
    "Authentication Error Subcodes")."""
    head = "Error validating access token: "
    if token is None:
        return GraphError(190, "Invalid OAuth access token - Cannot parse access token",
                          status=400, headers=_www(value))
    reason = token.invalid_reason
    if reason == "password":
        return GraphError(190, head + "The session has been invalidated because the user "
                          "changed their password or Facebook has changed the session for "
                          "security reasons.", subcode=460, headers=_www(value))
    if reason == "deauthorized":
        return GraphError(190, head + f"User {token.user_id} has not authorized application "
                          f"{token.app_id}.", subcode=458, headers=_www(value))
    if reason == "logged_out":
        return GraphError(190, head + "The session is invalid because the user logged out.",
                          subcode=467, headers=_www(value))
    if reason == "invalid":
        return GraphError(190, "Malformed access token " + value[:12] + "...",
                          headers=_www(value))
    when = _pdt(token.expires_at)
    return GraphError(190, head + f"Session has expired on {when}. The current time is "
                      f"{_pdt(time.time())}.", subcode=463, headers=_www(value))


def _pdt(ts: float) -> str:
    # Meta prints Pacific time, e.g. "Tuesday, 15-Aug-23 10:00:00 PDT"; the stand-in prints UTC
    # in the same shape (the wording, not the zone, is what clients match on).
    return time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(ts))


def _www(_value: str) -> dict[str, str]:
    # Graph sends the reason in WWW-Authenticate too (RFC 6750 style).
    return {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
                                '"Invalid OAuth access token."'}


def permission_error(message: str, *, code: int = 200, rule: str | None = None) -> GraphError:
    return GraphError(code, f"(#{code}) {message}", status=403 if code == 10 else 400,
                      rule=rule)


def not_found(object_id: str) -> GraphError:
    # "Unsupported get request" for an id that does not exist or cannot be seen (code 100,
    # subcode 33), as Graph words it.
    return GraphError(100, f"Unsupported get request. Object with ID '{object_id}' does not "
                      "exist, cannot be loaded due to missing permissions, or does not support "
                      "this operation. Please read the Graph API documentation at "
                      "https://developers.facebook.com/docs/graph-api",
                      kind="GraphMethodException", subcode=33)


def unknown_path(path: str) -> GraphError:
    return GraphError(2500, f"Unknown path components: {path}", rule=f"unknown path {path}")


def rate_limited(code: int, headers: dict[str, str]) -> GraphError:
    messages = {4: "(#4) Application request limit reached",
                17: "(#17) User request limit reached",
                32: "(#32) Page request limit reached",
                613: "(#613) Calls to this api have exceeded the rate limit."}
    return GraphError(code, messages[code], transient=True, headers=headers)


def blocked() -> GraphError:
    return GraphError(368, "It looks like you were misusing this feature by going too fast. "
                      "You\u2019ve been temporarily blocked from using it.", subcode=1390008,
                      user_title="You Can't Use This Feature Right Now",
                      user_msg="It looks like you were misusing this feature by going too fast."
                               " You\u2019ve been temporarily blocked from using it.")


def duplicate() -> GraphError:
    return GraphError(506, "(#506) Duplicate status message")


def server_error(code: int = 2) -> GraphError:
    if code == 1:
        return GraphError(1, "An unknown error has occurred.", status=500, transient=False)
    return GraphError(2, "An unexpected error has occurred. Please retry your request later.",
                      status=500, transient=True)
