"""The part of a JSON-over-HTTPS API client that is the same for every network: one guarded
requests session (core/http.py: timeouts, the SSRF guard) per origin and token, closed on leaving
a `with` block; the stored token read from a connection's credentials; a 2xx body read as one
JSON object. What goes into a request and what an error answer means stay with each network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import requests

from hubbub.core.http import guarded_session
from hubbub.networks.errors import ConnectorError, Revoked


class TokenClient:
    """Calls to one API origin with one access token (or none, e.g. for a token endpoint)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = guarded_session()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.session.close()


def stored_token(credentials: Mapping[str, Any], missing: str) -> str:
    """The connection's access token; Revoked with the sentence `missing` when none is stored."""
    token = credentials.get("access_token")
    if not token:
        raise Revoked(missing)
    return str(token)


def json_object(response: requests.Response,
                unreadable: Callable[[], ConnectorError]) -> dict[str, Any]:
    """The body of an answer as a JSON object; `unreadable()` is raised for anything else."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise unreadable()
    return body
