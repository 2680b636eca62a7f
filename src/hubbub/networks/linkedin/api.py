"""Calls to LinkedIn's REST API over one guarded requests session (core/http.py: timeouts,
the SSRF guard), with a member's bearer token.

Where LinkedIn lives comes from the environment, so tests and unusual deployments can point
the hub elsewhere:

- `HUBBUB_LINKEDIN_API_URL` (default https://api.linkedin.com): the REST API (`/rest/...`)
  and OpenID Connect's userinfo (`/v2/userinfo`);
- `HUBBUB_LINKEDIN_AUTH_URL` (default https://www.linkedin.com): the consent page
  (`/oauth/v2/authorization`) and the token endpoint (`/oauth/v2/accessToken`).

Every REST call carries `LinkedIn-Version: 202605` (the version of the documents this was
built against; LinkedIn serves each version for at least a year) and
`X-Restli-Protocol-Version: 2.0.0`. URNs in paths and query values are URL-encoded whole
(`urn%3Ali%3Aperson%3Aabc`), as Rest.li 2.0 requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from hubbub.core.env import env_str
from hubbub.core.http import normalize_base_url
from hubbub.networks.errors import Rejected
from hubbub.networks.httpjson import TokenClient, json_object, stored_token
from hubbub.networks.linkedin import failures
from hubbub.networks.linkedin.failures import Failure

DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_AUTH_URL = "https://www.linkedin.com"
WEB_URL = "https://www.linkedin.com"  # post and profile links
LINKEDIN_VERSION = "202605"
RESTLI_PROTOCOL = "2.0.0"


def api_url() -> str:
    return _origin("HUBBUB_LINKEDIN_API_URL", DEFAULT_API_URL)


def auth_url() -> str:
    return _origin("HUBBUB_LINKEDIN_AUTH_URL", DEFAULT_AUTH_URL)


def _origin(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        return normalize_base_url(value)
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}") from None


def urn_path(urn: str) -> str:
    """A URN as one path segment or query value: every reserved character encoded."""
    return quote(urn, safe="")


def post_url(urn: str) -> str:
    return f"{WEB_URL}/feed/update/{urn}/" if urn else ""


class LinkedInApi(TokenClient):
    """Calls to one API origin with one access token (or none, for the token endpoint)."""

    @classmethod
    def for_account(cls, base_url: str, credentials: Mapping[str, Any]) -> LinkedInApi:
        return cls(base_url, stored_token(
            credentials, "No LinkedIn access token is stored for this account: reconnect it."))

    def headers(self, *, rest: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if rest:
            headers["LinkedIn-Version"] = LINKEDIN_VERSION
            headers["X-Restli-Protocol-Version"] = RESTLI_PROTOCOL
        return headers

    def send(self, method: str, path: str, *, query: str = "", json_body: Any = None,
             data: Any = None, write: bool = False, rest: bool = True,
             headers: Mapping[str, str] | None = None,
             url: str = "") -> requests.Response:
        """One request. `query` is sent as written (already encoded: Rest.li's URNs and
        lists must not be encoded twice). A transport failure raises mapped."""
        target = url or f"{self.base_url}{path}"
        if query:
            target = f"{target}?{query}"
        sent = {**self.headers(rest=rest), **(headers or {})}
        try:
            return self.session.request(method, target, json=json_body, data=data,
                                        headers=sent)
        except (requests.RequestException, ValueError) as exc:
            raise failures.map_transport(exc, write=write) from exc

    @staticmethod
    def failure(response: requests.Response) -> Failure:
        return Failure.parse(response.status_code, response.content, response.headers)

    def result(self, response: requests.Response, *, write: bool = False,
               scope: str = "") -> dict[str, Any]:
        """The JSON object of a 2xx answer (empty for 201/204 without a body); an error
        answer raises mapped."""
        if not response.ok:
            raise failures.map_failure(self.failure(response), write=write, scope=scope)
        if not response.content:
            return {}
        body = json_object(response, lambda: failures.unreadable(write=write))
        return body

    def get(self, path: str, query: str = "", *, scope: str = "") -> dict[str, Any]:
        return self.result(self.send("GET", path, query=query), scope=scope)

    def post(self, path: str, body: Any, *, query: str = "", write: bool = False,
             scope: str = "") -> dict[str, Any]:
        return self.result(self.send("POST", path, query=query, json_body=body, write=write),
                           write=write, scope=scope)


def encode_query(params: Mapping[str, str | int]) -> str:
    """A query string with each value encoded whole (URNs included)."""
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}"
                    for k, v in params.items())
