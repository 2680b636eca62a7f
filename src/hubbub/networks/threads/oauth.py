"""Connecting a Threads account through the operator's Threads app.

"Get Access Tokens" (Threads API): send the person to `{threads.com}/oauth/authorize` with
client_id, redirect_uri, scope (comma-separated), response_type=code and state; Threads sends
them back with `code` and `state`, or with `error=access_denied` (error_reason=user_denied)
when they decline. The code is exchanged at `POST {graph}/oauth/access_token` (client_id,
client_secret, grant_type=authorization_code, redirect_uri, code) for a short-lived token
(one hour) and the person's `user_id`.

"Long-Lived Tokens": `GET {graph}/access_token?grant_type=th_exchange_token&client_secret=...
&access_token=<short-lived>` gives a token for 60 days (`expires_in` seconds); while it is
valid and at least 24 hours old, `GET {graph}/refresh_access_token?grant_type=
th_refresh_token&access_token=...` gives a new one for another 60 days. An expired token
cannot be refreshed: the person signs in again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS
from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart
from hubbub.networks.errors import AuthExpired, Rejected, Transient
from hubbub.networks.meta import login
from hubbub.networks.threads import api
from hubbub.networks.threads.api import ThreadsApi

SLUG = "threads"
SCOPES = OPERATOR_APP_NETWORKS[SLUG].scopes
CODE_PATH = "oauth/access_token"
EXCHANGE_PATH = "access_token"
REFRESH_PATH = "refresh_access_token"
NO_APP = ("The operator has not registered a Threads app, so Threads accounts cannot be "
          "connected yet: whoever runs this hub must add the Threads app ID and secret first.")
# "Long-Lived Tokens": valid 60 days; refreshable once at least 24 hours old.
LONG_LIVED = timedelta(days=60)
REFRESHABLE_AFTER = timedelta(hours=24)
# The hub renews a token this close to its end, the next time it uses it.
RENEW_WITHIN = timedelta(days=7)
# The Authorization Window's query, in the order this connector has always sent it.
QUERY_ORDER = ("client_id", "redirect_uri", "scope", "response_type", "state")


def operator_app() -> AppCredentials:
    return oauth2.operator_app(SLUG, NO_APP)


def start(redirect_uri: str) -> AuthStart:
    """Where to send the person, and what to keep (server side) to finish."""
    return login.start(f"{api.authorize_url()}/oauth/authorize", operator_app(), redirect_uri,
                       SCOPES, order=QUERY_ORDER, keep={"graph_url": api.graph_url()})


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any]) -> str:
    """The authorization code from Threads' redirect, or a Rejected saying what went wrong."""
    # Threads appends "#_" to the redirect; a code copied with it would be refused.
    return login.check_callback(
        params, state_data, "Threads", trailing_hash=True,
        cancelled="Threads sign-in was cancelled: nothing was connected. Start again if that "
                  "was a mistake.")


def exchange_code(base_url: str, code: str, redirect_uri: str) -> dict[str, Any]:
    """Trade the code for a short-lived token, then that for a long-lived one. Returns the
    credentials to store: access_token, user_id, issued_at and expires_at (ISO 8601)."""
    app = operator_app()
    short = _token(base_url, "POST", CODE_PATH, {
        "client_id": app.client_id, "client_secret": app.client_secret,
        "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code},
        refusal="Threads refused the sign-in code (it may have expired or been used already): "
                "connect again")
    long_lived = _token(base_url, "GET", EXCHANGE_PATH, {
        "grant_type": "th_exchange_token", "client_secret": app.client_secret,
        "access_token": short["access_token"]},
        refusal="Threads would not extend the sign-in to a long-lived login: connect again")
    credentials = stored(long_lived)
    user_id = short.get("user_id")
    if isinstance(user_id, int | str) and not isinstance(user_id, bool) and str(user_id):
        credentials["user_id"] = str(user_id)
    return credentials


def refresh(base_url: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
    """A new long-lived token for a valid one at least 24 hours old. Raises AuthExpired when
    Threads refuses (the engine then asks the person to reconnect)."""
    token = str(credentials.get("access_token") or "")
    if not token:
        raise AuthExpired("No Threads token is stored for this account: reconnect it.")
    body = _token(base_url, "GET", REFRESH_PATH, {"grant_type": "th_refresh_token",
                                                  "access_token": token},
                  refusal="Threads would not renew the login: reconnect Threads on the "
                          "Connections page")
    return {**dict(credentials), **stored(body)}


def stored(answer: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """What a token answer leaves in the credentials."""
    current = now or datetime.now(UTC)
    seconds = answer.get("expires_in")
    life = LONG_LIVED
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        life = timedelta(seconds=float(seconds))
    return {"access_token": str(answer["access_token"]), "issued_at": current.isoformat(),
            "expires_at": (current + life).isoformat()}


def due_for_renewal(credentials: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether the token is near its end and old enough for Threads to renew it."""
    current = now or datetime.now(UTC)
    expires, issued = _time(credentials.get("expires_at")), _time(credentials.get("issued_at"))
    if expires is None or issued is None or expires <= current:
        return False
    return expires - current <= RENEW_WITHIN and current - issued >= REFRESHABLE_AFTER


def expires_at(credentials: Mapping[str, Any]) -> datetime | None:
    return _time(credentials.get("expires_at"))


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _token(base_url: str, method: str, path: str, params: dict[str, str], *,
           refusal: str) -> dict[str, Any]:
    with ThreadsApi(base_url) as g:
        if method == "GET":
            response = g.send("GET", path, params=params)
        else:
            response = g.send("POST", path, data=params)
        if not response.ok:
            error = g.error(response)
            words = error.message.lower()
            if (error.code == 101 or "client secret" in words or "client_secret" in words
                    or "invalid platform app" in words):
                raise Rejected("Threads does not accept the hub's Threads app (app ID or app "
                               "secret): the person who runs this hub must check them"
                               f"{error.said()}")
            if error.is_temporary or error.is_rate_limit:
                g.result(response)  # raises Transient or RateLimited
            raise Rejected(f"{refusal}{error.said()}")
        body = g.result(response)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("Threads issued no access token")
    return body
