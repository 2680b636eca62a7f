"""Calls to Meta's Graph API over one guarded requests session (core/http.py: timeouts, the SSRF
guard). Where Facebook lives comes from the environment, so tests and unusual deployments can
point the hub elsewhere:

- `HUBBUB_FACEBOOK_GRAPH_URL` (default https://graph.facebook.com): the Graph API origin, also
  the token endpoint (`/{version}/oauth/access_token`);
- `HUBBUB_FACEBOOK_DIALOG_URL` (default https://www.facebook.com): the Login dialog
  (`/{version}/dialog/oauth`) and the web addresses of Pages and posts.

Every path carries GRAPH_VERSION. A connection stores the Graph origin it was made with as its
base_url; every call goes there.

Tokens travel as the documented `access_token` parameter (in the query of a GET, in the form
body of a POST), with `appsecret_proof` (HMAC-SHA256 of the token keyed by the app secret,
"Securing Graph API Requests") when the operator's app is known. urllib3 logs request lines at
DEBUG level: a filter hides every token and secret in them.

Usage: after each answer the usage headers are read (usage.py); at THRESHOLD percent the next
call with the same token is refused here with RateLimited until Meta's estimate, instead of
being sent to be refused by Meta (a throttled app or Page stays throttled longer).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from hubbub.core.env import env_str
from hubbub.core.http import normalize_base_url
from hubbub.networks.errors import RateLimited, Rejected
from hubbub.networks.facebook import failures, usage
from hubbub.networks.facebook.failures import GraphError
from hubbub.networks.httpjson import TokenClient, json_object, stored_token

# The Graph API version every call names. Meta supports a version for at least two years
# after the next one ships ("Graph API Versioning"); v25.0 is the version the reference pages
# showed when this connector was written.
GRAPH_VERSION = "v25.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_DIALOG_URL = "https://www.facebook.com"

_HIDDEN = re.compile(
    r"((?:access_token|client_secret|fb_exchange_token|appsecret_proof|code|input_token)=)"
    r"[^&\s\"']*")

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


def graph_url() -> str:
    """The Graph API origin from HUBBUB_FACEBOOK_GRAPH_URL, normalized (scheme://host[:port])."""
    return _origin("HUBBUB_FACEBOOK_GRAPH_URL", DEFAULT_GRAPH_URL)


def dialog_url() -> str:
    """The origin of Facebook's web pages (Login dialog, Pages, posts), from
    HUBBUB_FACEBOOK_DIALOG_URL."""
    return _origin("HUBBUB_FACEBOOK_DIALOG_URL", DEFAULT_DIALOG_URL)


def _origin(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        return normalize_base_url(value)
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class Graph(TokenClient):
    """Calls to one Graph API origin with one token (a Page's, a person's, or none)."""

    def __init__(self, base_url: str, token: str | None = None, app_secret: str = "") -> None:
        super().__init__(base_url, token)
        self.app_secret = app_secret

    @classmethod
    def for_page(cls, base_url: str, credentials: Mapping[str, Any],
                 app_secret: str = "") -> Graph:
        return cls(base_url, stored_token(
            credentials, "No Facebook Page token is stored for this Page: reconnect it."),
            app_secret)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{GRAPH_VERSION}/{path.lstrip('/')}"

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
            raise _scrubbed(failures.map_transport(exc, write=write)) from None
        until = usage.pause_until(response.headers)
        if until is not None and key:
            with _paused_lock:
                _paused[key] = until
        return response

    def _token_key(self) -> str:
        return hashlib.sha256((self.token or "").encode()).hexdigest()[:16] if self.token else ""

    @staticmethod
    def _check_paused(key: str) -> None:
        if not key:
            return
        with _paused_lock:
            until = _paused.get(key)
            if until is None:
                return
            if until <= datetime.now(UTC):
                del _paused[key]
                return
        raise RateLimited("Facebook says this Page has used most of its calls: hubbub waits "
                          f"until {until:%H:%M} UTC before calling again", until)

    def result(self, response: requests.Response, *, write: bool = False,
               what: str = "") -> dict[str, Any]:
        """The JSON object of a 2xx answer; an error raises mapped."""
        if not response.ok:
            raise failures.map_error(self.error(response), write=write, what=what)
        body = json_object(response, lambda: failures.unreadable(write=write))
        if "error" in body and isinstance(body["error"], Mapping):  # an error with a 200
            raise failures.map_error(self.error(response), write=write, what=what)
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


def _scrubbed(error: Any) -> Any:
    """requests names the address (with the token in a GET's query) in its errors."""
    error.message = hide(error.message)
    error.args = (error.message,)
    return error


def clear_pauses() -> None:
    """Forget every pause (tests)."""
    with _paused_lock:
        _paused.clear()
