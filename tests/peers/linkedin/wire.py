"""Requests, LinkedIn's error bodies, and Rest.li 2.0's encoding rules for URNs in paths and
query strings, shared by the stand-in's handlers.

Error bodies (README.md, "Sources"): LinkedIn answers errors as JSON with `status`, `message`
and, for most, `serviceErrorCode` and `code` (learn.microsoft.com/linkedin/shared/api-guide/
concepts/error-handling); schema violations come back 422 with Rest.li's
"ERROR :: /field :: reason" message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.peers.linkedin.state import App, Member, Token
from tests.peers.standin_http import Reply

__all__ = [
    "URN",
    "Problem",
    "ProtocolError",
    "Reply",
    "Request",
    "access_denied",
    "error",
    "raw_query",
    "restli_list",
    "unprocessable",
    "urn_segment",
]

URN = re.compile(r"^urn:li:[A-Za-z]+:(?:[A-Za-z0-9_-]+|\(.+\))$")


@dataclass
class Request:
    method: str
    path: str  # raw (still percent-encoded), as sent
    query_string: str
    query: dict[str, str]  # decoded
    headers: dict[str, str]
    body: bytes
    template: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # decoded path parameters
    token: Token | None = None
    member: Member | None = None
    app: App | None = None

    def json(self) -> Any:
        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ProtocolError(400, f"Content-Type must be application/json, not {kind!r}")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProtocolError(400, f"The request body is not valid JSON: {exc}") from exc


class Problem(Exception):
    """An answer LinkedIn gives to a request that did not break a documented rule (401, 403,
    404, 422 duplicate, 429, 5xx)."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body.get("message") or body))
        self.reply = Reply(status, body, headers=dict(headers or {}))


class ProtocolError(Problem):
    """A request that broke a documented rule: recorded, then answered as LinkedIn would."""

    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body or {"status": status, "message": message}, headers)
        self.rule = message


def error(status: int, message: str, code: str | None = None,
          service_code: int | None = None) -> Problem:
    body: dict[str, Any] = {"status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    if code is not None:
        body["code"] = code
    body["message"] = message
    return Problem(status, body)


def unprocessable(path: str, reason: str) -> ProtocolError:
    """Rest.li's data-validation answer (422, "ERROR :: /path :: reason")."""
    message = f"ERROR :: {path} :: {reason}\n"
    return ProtocolError(422, message.strip(), {"message": message, "status": 422})


def access_denied(req: Request, resource: str, method: str) -> Problem:
    # as observed: "Not enough permissions to access: partnerApiPostsExternal.CREATE.20240501"
    version = req.headers.get("linkedin-version", "")[:6]
    return error(403, f"Not enough permissions to access: {resource}.{method}.{version}01",
                 "ACCESS_DENIED", 100)


def urn_segment(raw: str, name: str) -> str:
    """A path segment holding a URN: Rest.li 2.0 wants it URL-encoded ("urn%3Ali%3Ashare%3A1";
    learn.microsoft.com/linkedin/shared/api-guide/concepts/urns, protocol-version 2.0.0)."""
    if ":" in raw or "(" in raw or ")" in raw or "," in raw:
        raise ProtocolError(400, f"The {name} URN in the path must be URL-encoded "
                            f"(Rest.li 2.0): {raw!r}")
    value = unquote(raw)
    if not URN.match(value):
        raise ProtocolError(400, f"{value!r} is not a URN")
    return value


def raw_query(query_string: str) -> dict[str, str]:
    """Query parameters with their values still encoded (the last one wins)."""
    found: dict[str, str] = {}
    for part in query_string.split("&"):
        if part:
            name, _, value = part.partition("=")
            found[unquote(name)] = value
    return found


def restli_list(raw: str, name: str) -> list[str]:
    """`List(a,b)` with each item URL-encoded (Rest.li 2.0 collection syntax)."""
    if not (raw.startswith("List(") and raw.endswith(")")):
        raise ProtocolError(400, f"{name} must be a Rest.li 2.0 List(...), not {raw!r}")
    items = [i for i in raw[5:-1].split(",") if i]
    for item in items:
        if ":" in item:
            raise ProtocolError(400, f"each item of {name} must be URL-encoded: {item!r}")
    return [unquote(i) for i in items]


def query_urn(raw: dict[str, str], name: str, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise ProtocolError(400, f"query parameter {name} is required")
        return None
    if ":" in value:
        raise ProtocolError(400, f"the {name} URN in the query must be URL-encoded "
                            f"(Rest.li 2.0): {value!r}")
    decoded = unquote(value)
    if not URN.match(decoded):
        raise ProtocolError(400, f"{name}={decoded!r} is not a URN")
    return decoded
