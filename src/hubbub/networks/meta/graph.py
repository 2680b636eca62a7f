"""The part of a Meta Graph-style API client that Facebook, Instagram and Threads share: one guarded
requests session (core/http.py: timeouts, the SSRF guard), the token as the documented
`access_token` parameter (in the query of a GET, in the form body of a POST), with
`appsecret_proof` (HMAC-SHA256 of the token keyed by the app secret, "Securing Graph API
Requests") when the network takes one and the operator's app is known; tokens and secrets kept
out of logs and error messages; and the usage headers (usage.py): at THRESHOLD percent the next
call with the same token is refused here with RateLimited until Meta's estimate, instead of
being sent to be refused by Meta.

A network subclasses MetaGraph and names itself, its API version, its `Voice` (meta/errors.py:
the sentences for a request that got no answer and for an unreadable answer, which every Meta
network words alike with its own name) and how its error answers map to connector errors (its
own failures module, with its own sentences).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

import requests

from hubbub.core.env import env_str
from hubbub.core.http import normalize_base_url
from hubbub.networks.errors import ConnectorError, NotFound, RateLimited, Rejected
from hubbub.networks.httpjson import TokenClient, json_object, stored_token
from hubbub.networks.meta import usage
from hubbub.networks.meta.errors import GraphError, Voice

_HIDDEN = re.compile(
    r"((?:access_token|client_secret|fb_exchange_token|th_exchange_token|appsecret_proof|code"
    r"|input_token)=)[^&\s\"']*")

_paused: dict[str, datetime] = {}
_paused_lock = threading.Lock()


class _HideTokens(logging.Filter):
    """Rewrites tokens and secrets in the request lines urllib3 logs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = hide(record.msg)
        return True


def hide(text: str) -> str:
    return _HIDDEN.sub(r"\1[hidden]", text)


logging.getLogger("urllib3.connectionpool").addFilter(_HideTokens())


def origin(name: str, default: str) -> str:
    """The origin (scheme://host[:port]) in the environment variable `name`, normalized."""
    value = env_str(name, default)
    try:
        return normalize_base_url(value)
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class MetaGraph(TokenClient):
    """Calls to one origin with one token (or none). Subclasses set `version`, `network` and
    `voice`, and map error answers (`map_error`)."""

    version: ClassVar[str] = ""
    network: ClassVar[str] = "Meta"
    # Who is near the limit, in the sentence said while paused ("this Page").
    paused_subject: ClassVar[str] = "this account"
    # The network's wording of a failed request and an unreadable answer (its failures.VOICE).
    voice: ClassVar[Voice | None] = None
    # What is said (Revoked) when a connection has no token stored.
    nothing_stored: ClassVar[str] = "No token is stored for this connection: reconnect it."

    def __init__(self, base_url: str, token: str | None = None, app_secret: str = "") -> None:
        super().__init__(base_url, token)
        self.app_secret = app_secret

    @classmethod
    def for_account(cls, base_url: str, credentials: Mapping[str, Any],
                    app_secret: str = "") -> Self:
        """A client with the connection's stored token; Revoked, saying `nothing_stored`, when
        none is stored."""
        return cls(base_url, stored_token(credentials, cls.nothing_stored), app_secret)

    # --- per network -------------------------------------------------------------------------
    def map_error(self, error: GraphError, *, write: bool, what: str) -> ConnectorError:
        raise NotImplementedError

    def map_transport(self, exc: BaseException, *, write: bool) -> ConnectorError:
        if self.voice is None:
            raise NotImplementedError
        return self.voice.transport(exc, write=write)

    def unreadable(self, *, write: bool) -> ConnectorError:
        if self.voice is None:
            raise NotImplementedError
        return self.voice.unreadable(write=write)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

    # --- raw ---------------------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        if not self.token:
            return {}
        auth = {"access_token": self.token}
        if self.app_secret:
            auth["appsecret_proof"] = appsecret_proof(self.token, self.app_secret)
        return auth

    def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None, files: Any = None,
             write: bool = False) -> requests.Response:
        """One request; an error answer is returned, a transport failure raises mapped."""
        key = self._token_key()
        self._check_paused(key)
        query = dict(params or {})
        form = dict(data or {})
        (query if method == "GET" else form).update(self._auth())
        try:
            response = self.session.request(method, self.url(path), params=query or None,
                                            data=form or None, files=files)
        except (requests.RequestException, ValueError) as exc:
            raise _scrubbed(self.map_transport(exc, write=write)) from None
        until = usage.pause_until(response.headers)
        if until is not None and key:
            with _paused_lock:
                _paused[key] = until
        return response

    def _token_key(self) -> str:
        return hashlib.sha256((self.token or "").encode()).hexdigest()[:16] if self.token else ""

    def _check_paused(self, key: str) -> None:
        if not key:
            return
        with _paused_lock:
            until = _paused.get(key)
            if until is None:
                return
            if until <= datetime.now(UTC):
                del _paused[key]
                return
        raise RateLimited(f"{self.network} says {self.paused_subject} has used most of its "
                          f"calls: hubbub waits until {until:%H:%M} UTC before calling again",
                          until)

    def result(self, response: requests.Response, *, write: bool = False,
               what: str = "") -> dict[str, Any]:
        """The JSON object of a 2xx answer; an error raises mapped."""
        if not response.ok:
            raise self.map_error(self.error(response), write=write, what=what)
        body = json_object(response, lambda: self.unreadable(write=write))
        if "error" in body and isinstance(body["error"], Mapping):  # an error with a 200
            raise self.map_error(self.error(response), write=write, what=what)
        return body

    @staticmethod
    def error(response: requests.Response) -> GraphError:
        return GraphError.parse(response.status_code, response.content, response.headers)

    # --- calls -------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            what: str = "") -> dict[str, Any]:
        return self.result(self.send("GET", path, params=params), what=what)

    def post(self, path: str, data: Mapping[str, Any] | None = None, *, files: Any = None,
             write: bool = False, what: str = "") -> dict[str, Any]:
        return self.result(self.send("POST", path, data=data, files=files, write=write),
                           write=write, what=what)

    def delete(self, path: str, *, what: str = "") -> dict[str, Any]:
        return self.result(self.send("DELETE", path), what=what)

    def delete_gone(self, path: str, *, what: str = "") -> None:
        """DELETE `path`; something already gone (NotFound) counts as deleted."""
        try:
            self.delete(path, what=what)
        except NotFound:
            return


def _scrubbed(error: Any) -> Any:
    """requests names the address (with the token in a GET's query) in its errors."""
    error.message = hide(error.message)
    error.args = (error.message,)
    return error


def clear_pauses() -> None:
    """Forget every pause (tests)."""
    with _paused_lock:
        _paused.clear()
