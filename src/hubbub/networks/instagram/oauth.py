"""Business Login for Instagram through the operator's Instagram app, and the token's life.

"Business Login for Instagram" (developers.facebook.com/docs/instagram-platform/
instagram-api-with-instagram-login/business-login): send the person to
`{www.instagram.com}/oauth/authorize` with client_id, redirect_uri, response_type=code, scope
(comma-separated) and state; Instagram sends them back with `code` (which may end in `#_`, not
part of it) and `state`, or with `error=access_denied` / `error_reason=user_denied`. The code
is exchanged at `POST {api.instagram.com}/oauth/access_token` (form: client_id, client_secret,
grant_type=authorization_code, redirect_uri, code) for a short-lived token (an hour), the
account's id and the permissions granted; that token is exchanged at
`GET {graph.instagram.com}/access_token?grant_type=ig_exchange_token` (with the app secret)
for a long-lived one (60 days, `expires_in` in seconds), which `GET /refresh_access_token?
grant_type=ig_refresh_token` renews for another 60 days once it is at least 24 hours old and
while it has not expired ("Refresh Access Token" reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS
from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart, Identity
from hubbub.networks.errors import AuthExpired, Rejected, Revoked, Transient
from hubbub.networks.instagram import graph
from hubbub.networks.instagram.graph import InstagramGraph, Unversioned
from hubbub.networks.meta import login

SLUG = "instagram"
SCOPES = OPERATOR_APP_NETWORKS[SLUG].scopes
PUBLISH_SCOPE = "instagram_business_content_publish"
NO_APP = ("The operator has not registered an Instagram app, so Instagram accounts cannot be "
          "connected yet: whoever runs this hub must add the Instagram app's ID and secret "
          "first.")
ME_FIELDS = "user_id,username,name,account_type,profile_picture_url"
# A long-lived token may be refreshed once it is a day old ("Refresh Access Token").
REFRESH_MIN_AGE = timedelta(hours=24)
# The hub renews a token once it is this old, long before its 60 days run out.
REFRESH_AFTER = timedelta(days=7)
LONG_LIVED = timedelta(days=60)
# The consent page's query, in the order this connector has always sent it.
QUERY_ORDER = ("client_id", "redirect_uri", "response_type", "scope", "state")


def operator_app() -> AppCredentials:
    return oauth2.operator_app(SLUG, NO_APP)


def start(redirect_uri: str) -> AuthStart:
    """Where to send the person, and what to keep (server side) to finish."""
    return login.start(f"{graph.authorize_url()}/oauth/authorize", operator_app(), redirect_uri,
                       SCOPES, order=QUERY_ORDER,
                       keep={"graph_url": graph.graph_url(), "api_url": graph.api_url()})


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any]) -> str:
    """The authorization code from Instagram's redirect, or a Rejected saying what went wrong."""
    return login.check_callback(
        params, state_data, "Instagram", trailing_hash=True,
        cancelled="Instagram sign-in was cancelled: nothing was connected. Start again if that "
                  "was a mistake.")


def exchange_code(api_base: str, graph_base: str, code: str,
                  redirect_uri: str) -> dict[str, Any]:
    """The stored credentials for a sign-in code: a long-lived token, its expiry, the account
    id, and the permissions granted."""
    app = operator_app()
    with Unversioned(api_base) as g:
        response = g.send("POST", "oauth/access_token", data={
            "client_id": app.client_id, "client_secret": app.client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code})
        if not response.ok:
            _refused(g, response, "Instagram refused the sign-in code (it may have expired or "
                                  "been used already): connect again")
        body = g.result(response)
    entry = body.get("data")
    short = entry[0] if isinstance(entry, list) and entry and isinstance(entry[0], Mapping) \
        else body
    token = short.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("Instagram issued no access token")
    granted = _permissions(short.get("permissions"))
    if granted and PUBLISH_SCOPE not in granted:
        raise Rejected("Instagram was not allowed to let hubbub publish (the "
                       f"{PUBLISH_SCOPE} permission was left out): connect again and allow "
                       "everything hubbub asks for.")
    credentials = long_lived(graph_base, token, app)
    user_id = short.get("user_id")
    if isinstance(user_id, int | str) and not isinstance(user_id, bool) and str(user_id):
        credentials["user_id"] = str(user_id)
    if granted:
        credentials["permissions"] = sorted(granted)
    return credentials


def long_lived(graph_base: str, short_token: str, app: AppCredentials) -> dict[str, Any]:
    """Trade a short-lived token for a long-lived one."""
    with Unversioned(graph_base) as g:
        response = g.send("GET", "access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": app.client_secret,
            "access_token": short_token})
        if not response.ok:
            _refused(g, response, "Instagram would not extend the sign-in to a long-lived "
                                  "login: connect again")
        body = g.result(response)
    return token_credentials(body)


def refresh(graph_base: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
    """A renewed long-lived token (60 more days); Revoked when Instagram refuses it."""
    token = str(credentials.get("access_token") or "")
    if not token:
        raise Revoked("No Instagram login is stored for this account: reconnect it.")
    with Unversioned(graph_base) as g:
        try:
            body = g.get("refresh_access_token", {"grant_type": "ig_refresh_token",
                                                  "access_token": token})
        except AuthExpired as exc:  # an expired token cannot be renewed: only signing in
            raise Revoked(exc.message) from None
    fresh = token_credentials(body)
    return {**dict(credentials), **fresh}


def token_credentials(body: Mapping[str, Any]) -> dict[str, Any]:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("Instagram issued no access token")
    now = datetime.now(UTC)
    seconds = body.get("expires_in")
    life = timedelta(seconds=float(seconds)) \
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0 \
        else LONG_LIVED
    return {"access_token": token, "issued_at": now.isoformat(),
            "expires_at": (now + life).isoformat()}


def _refused(g: InstagramGraph, response: Any, refusal: str) -> None:
    """Raise for an error answer of a token endpoint, in Instagram's words."""
    error = g.error(response)
    said = error.said()
    if not said:
        try:
            body = response.json()
        except ValueError:
            body = None
        words = body.get("error_message") if isinstance(body, Mapping) else None
        said = f": {' '.join(str(words).split())[:300]}" if words else ""
    words = said.lower()
    if error.code == 101 or "client secret" in words or "client_secret" in words \
            or "invalid platform app" in words:
        raise Rejected("Instagram does not accept the hub's Instagram app (app ID or secret): "
                       f"the person who runs this hub must check them{said}")
    if error.is_temporary or response.status_code >= 500:
        g.result(response)  # raises Transient
    if error.is_rate_limit:
        g.result(response)  # raises RateLimited
    raise Rejected(f"{refusal}{said}")


def _permissions(value: Any) -> set[str]:
    if isinstance(value, str):
        return {p.strip() for p in value.split(",") if p.strip()}
    if isinstance(value, list):
        return {p.strip() for p in value if isinstance(p, str) and p.strip()}
    return set()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def needs_refresh(credentials: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Whether the stored long-lived token is old enough that the hub should renew it."""
    current = now or datetime.now(UTC)
    issued = parse_time(credentials.get("issued_at"))
    if issued is None:
        expires = parse_time(credentials.get("expires_at"))
        if expires is None:
            return False
        issued = expires - LONG_LIVED
    age = current - issued
    return age >= max(REFRESH_AFTER, REFRESH_MIN_AGE)


def identity(g: InstagramGraph) -> Identity:
    """Who the token belongs to (GET /me), refusing accounts that cannot publish."""
    answer = g.get("me", {"fields": ME_FIELDS}, what="read the Instagram account")
    # The object itself, or (as "Get Started" prints it) wrapped in a one-entry data list.
    data = answer.get("data")
    body = data[0] if isinstance(data, list) and data and isinstance(data[0], Mapping) \
        else answer
    account_id = body.get("user_id") or body.get("id")
    if not isinstance(account_id, int | str) or isinstance(account_id, bool) or not account_id:
        raise Transient("Instagram described the account in a way hubbub cannot read")
    kind = body.get("account_type")
    if isinstance(kind, str) and kind.upper() == "PERSONAL":
        raise Rejected("This Instagram account is a personal one: Instagram lets apps publish "
                       "only for professional (business or creator) accounts. Switch it in "
                       "Instagram's settings, then connect again.")
    username = body.get("username")
    username = username if isinstance(username, str) and username else str(account_id)
    name = body.get("name")
    picture = body.get("profile_picture_url")
    return Identity(remote_id=str(account_id), handle=f"@{username}",
                    display_name=name if isinstance(name, str) and name else username,
                    avatar_url=picture if isinstance(picture, str) else "",
                    profile_url=f"{graph.authorize_url()}/{username}")
