"""Calls to the X API v2 over one guarded requests session (core/http.py: timeouts, the SSRF
guard), with a user's bearer token. Where X lives comes from the environment, so that tests
and unusual deployments can point the hub elsewhere:

- `HUBBUB_X_API_URL` (default https://api.x.com): the API origin, also the OAuth token and
  revoke endpoints (`/2/oauth2/token`, `/2/oauth2/revoke`);
- `HUBBUB_X_AUTHORIZE_URL` (default https://x.com/i/oauth2/authorize): the consent page.

A connection stores the API origin it was made with as its base_url; every call goes there.

Rate limits: X says on every answer how many requests are left in the window
(`x-rate-limit-remaining`) and when it resets. When an answer says none are left, the next
call with the same token to the same endpoint is refused here (RateLimited until the reset)
instead of being sent to be refused by X.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from hubbub.core.env import env_str
from hubbub.core.http import normalize_base_url
from hubbub.networks.errors import RateLimited, Rejected
from hubbub.networks.httpjson import TokenClient, json_object, stored_token
from hubbub.networks.x import failures
from hubbub.networks.x.failures import Failure

DEFAULT_API_URL = "https://api.x.com"
DEFAULT_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
WEB_URL = "https://x.com"  # profile and post links

_exhausted: dict[tuple[str, str], datetime] = {}
_exhausted_lock = threading.Lock()


def api_url() -> str:
    """The X API origin from HUBBUB_X_API_URL, normalized (scheme://host[:port])."""
    return _origin("HUBBUB_X_API_URL", DEFAULT_API_URL)


def authorize_url() -> str:
    """The consent page from HUBBUB_X_AUTHORIZE_URL (a path is kept)."""
    value = env_str("HUBBUB_X_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL).strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Rejected(f"HUBBUB_X_AUTHORIZE_URL is not a web address: {value!r}")
    return value


def _origin(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        return normalize_base_url(value)
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


class XApi(TokenClient):
    """Calls to one X API origin, with one access token (or none, for the token endpoint)."""

    @classmethod
    def for_account(cls, base_url: str, credentials: Mapping[str, Any]) -> XApi:
        return cls(base_url, stored_token(
            credentials, "No X access token is stored for this account: reconnect it."))

    # --- raw ---------------------------------------------------------------------------------
    def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json_body: Any = None, data: Any = None, files: Any = None,
             auth: Any = None, write: bool = False, limit_key: str = "") -> requests.Response:
        """One request; an error answer is returned, a transport failure raises mapped.
        `limit_key` names the endpoint for the remaining-requests bookkeeping."""
        key = (self._token_key(), limit_key or path)
        self._check_exhausted(key)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and auth is None else {}
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", params=dict(params) if params else None,
                json=json_body, data=data, files=files, headers=headers, auth=auth)
        except (requests.RequestException, ValueError) as exc:
            raise failures.map_transport(exc, write=write) from exc
        if response.ok:
            until = failures.exhausted_until(response.headers)
            if until is not None:
                with _exhausted_lock:
                    _exhausted[key] = until
        return response

    def _token_key(self) -> str:
        return hashlib.sha256((self.token or "").encode()).hexdigest()[:16]

    @staticmethod
    def _check_exhausted(key: tuple[str, str]) -> None:
        with _exhausted_lock:
            until = _exhausted.get(key)
            if until is None:
                return
            if until <= datetime.now(UTC):
                del _exhausted[key]
                return
        raise RateLimited(f"X has no requests left for this account until {until:%H:%M:%S} UTC",
                          until)

    def result(self, response: requests.Response, *, write: bool = False,
               what: str = "") -> dict[str, Any]:
        """The JSON object of a 2xx answer (an empty one for 204); an error raises mapped."""
        if not response.ok:
            raise failures.map_failure(self.failure(response), write=write, what=what)
        if response.status_code == 204 or not response.content:
            return {}
        body = json_object(response, lambda: failures.unreadable(write=write))
        return body

    @staticmethod
    def failure(response: requests.Response) -> Failure:
        return Failure.parse(response.status_code, response.content, response.headers)

    # --- calls -------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None, *, what: str = "",
            limit_key: str = "") -> dict[str, Any]:
        return self.result(self.send("GET", path, params=params, limit_key=limit_key),
                           what=what)

    def post(self, path: str, body: Any = None, *, write: bool = False,
             limit_key: str = "") -> dict[str, Any]:
        return self.result(self.send("POST", path, json_body=body, write=write,
                                     limit_key=limit_key), write=write)

    def delete(self, path: str, *, limit_key: str = "") -> dict[str, Any]:
        return self.result(self.send("DELETE", path, limit_key=limit_key))
