"""XRPC (the AT Protocol's HTTP calls) over one guarded requests session.

Why not the atproto SDK's client: its Client refreshes sessions by itself inside any call (the
new tokens would never reach our encrypted store), it has no py.typed marker for mypy strict,
and importing its models costs ~1.2 s. The calls are plain HTTP + JSON: they go through
`core.http.guarded_session()` (timeouts, SSRF guard) like every other network's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import requests

from hubbub.core.http import Timeout, guarded_session
from hubbub.networks.bluesky.mapping import (
    XrpcFailure,
    host_of,
    map_failure,
    map_transport_error,
)
from hubbub.networks.errors import OutcomeUnknown, Transient


class Xrpc:
    """Calls to one service (a PDS), optionally with a session's access token."""

    def __init__(
        self, base_url: str, token: str | None = None, *, timeout: Timeout | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = guarded_session(timeout)

    def __enter__(self) -> Xrpc:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # --- raw ---------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        nsid: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        token: str | None = None,
        auth: bool = True,
        unsafe_write: bool = False,
    ) -> requests.Response:
        """One call; an HTTP error answer is returned, a transport failure raises mapped."""
        headers: dict[str, str] = {}
        bearer = token or (self.token if auth else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if content_type:
            headers["Content-Type"] = content_type
        try:
            return self.session.request(
                method,
                f"{self.base_url}/xrpc/{nsid}",
                params=dict(params) if params else None,
                json=json_body,
                data=data,
                headers=headers,
            )
        except (requests.RequestException, ValueError) as exc:
            raise map_transport_error(
                exc, base_url=self.base_url, unsafe_write=unsafe_write
            ) from exc

    def failure(self, response: requests.Response) -> XrpcFailure:
        return XrpcFailure.parse(response.status_code, response.content, response.headers)

    def result(self, response: requests.Response, *, unsafe_write: bool = False) -> dict[str, Any]:
        """The JSON body of a 2xx answer; an error answer raises its connector error."""
        if not 200 <= response.status_code < 300:
            raise map_failure(
                self.failure(response), base_url=self.base_url, unsafe_write=unsafe_write
            )
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            host = host_of(self.base_url)
            if unsafe_write:
                raise OutcomeUnknown(
                    f"{host} accepted the request but its answer was unreadable; "
                    "the post may have been made"
                )
            raise Transient(f"{host} sent an unreadable answer")
        return body

    # --- calls -------------------------------------------------------------------------------
    def query(
        self, nsid: str, params: Mapping[str, Any] | None = None, *, auth: bool = True
    ) -> dict[str, Any]:
        return self.result(self.send("GET", nsid, params=params, auth=auth))

    def procedure(
        self,
        nsid: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
        token: str | None = None,
        unsafe_write: bool = False,
    ) -> dict[str, Any]:
        response = self.send(
            "POST",
            nsid,
            json_body=body,
            data=data,
            content_type=content_type,
            token=token,
            unsafe_write=unsafe_write,
        )
        return self.result(response, unsafe_write=unsafe_write)
