"""Requests, answers and X's problem bodies, shared by the stand-in's handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.peers.standin_http import Reply
from tests.peers.x.state import Token, User

__all__ = ["Problem", "Reply", "Request", "forbidden", "generic", "invalid", "missing",
           "unauthorized"]

PROBLEM = "application/problem+json"
# Problem types as X sends them on the wire (the document's mapping and observed answers
# still say api.twitter.com; docs.x.com/x-api/fundamentals/response-codes-and-errors lists them).
TYPES = "https://api.twitter.com/2/problems/"


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    template: str | None = None  # the document's path template, when documented
    params: dict[str, str] = field(default_factory=dict)
    token: Token | None = None
    user: User | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise invalid(f"The request body is not valid JSON: {exc}") from exc


class Problem(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                 content_type: str = PROBLEM) -> None:
        super().__init__(body.get("detail") or body.get("title"))
        self.reply = Reply(status, body, content_type, dict(headers or {}))


def generic(status: int, title: str, detail: str | None = None) -> Problem:
    """The `about:blank` problem X answers for plain HTTP failures."""
    return Problem(status, {"title": title, "detail": detail or title, "type": "about:blank",
                            "status": status})


def invalid(message: str, parameters: dict[str, list[str]] | None = None) -> Problem:
    error: dict[str, Any] = {"message": message}
    if parameters:
        error["parameters"] = parameters
    return Problem(400, {
        "errors": [error],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": TYPES + "invalid-request",
    })


def missing(kind: str, parameter: str, value: str) -> dict[str, Any]:
    """The partial error a lookup answers (200, in `errors`) for a resource that is gone."""
    return {
        "value": value, "detail": f"Could not find {kind} with {parameter}: [{value}].",
        "title": "Not Found Error", "resource_type": kind, "parameter": parameter,
        "resource_id": value, "type": TYPES + "resource-not-found",
    }


def unauthorized() -> Problem:
    return generic(401, "Unauthorized")


def forbidden(detail: str = "Forbidden") -> Problem:
    return generic(403, "Forbidden", detail)
