"""OAuth 2.0 with X: the authorize URL (PKCE S256), the code exchange, refresh and revoke, for a
confidential client (HTTP Basic with the operator's client id and secret).

https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code and
.../user-access-token: the code lives 30 seconds, the access token two hours; `offline.access`
brings a refresh token, and each refresh answers with a new pair (the old refresh token is used
up). Keeping the new pair safe from two workers refreshing at once is tokens.py's job.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode  # quote: spaces as %20, as X shows

from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS, app_credentials
from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart
from hubbub.networks.errors import ConnectorError, Rejected, Revoked, Transient
from hubbub.networks.x import api
from hubbub.networks.x.api import XApi

SLUG = "x"
# One list, shown to the operator and asked for here (connections/network_apps.py). like.write is
# not in the list: without it X refuses likes (POST /2/users/:id/likes needs it).
SCOPES = OPERATOR_APP_NETWORKS[SLUG].scopes
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH = "/2/oauth2/revoke"
NO_APP = ("The operator has not registered an X app, so X accounts cannot be connected yet: "
          "whoever runs this hub must add the X app's client id and secret first.")


def operator_app() -> AppCredentials:
    return oauth2.operator_app(SLUG, NO_APP)


def challenge_for(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(redirect_uri: str) -> AuthStart:
    """Where to send the person, and what to keep (server side) to finish."""
    app = operator_app()
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within PKCE's 43-128
    query = urlencode({
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": challenge_for(verifier),
        "code_challenge_method": "S256",
    }, quote_via=quote)
    page = api.authorize_url()
    separator = "&" if "?" in page else "?"
    return AuthStart(
        redirect_url=f"{page}{separator}{query}",
        state=state,
        state_data={"state": state, "code_verifier": verifier, "redirect_uri": redirect_uri,
                    "client_id": app.client_id, "api_url": api.api_url()},
    )


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any]) -> str:
    """The authorization code from X's redirect, or a Rejected saying what went wrong."""
    oauth2.check_refusal(params, "X", declined=params.get("error") == "access_denied",
                         declined_sentence="Authorization was declined on X: nothing was "
                         "connected. Start again if that was a mistake.")
    oauth2.check_state(params, state_data)
    return oauth2.returned_code(params, "X")


def exchange_code(base_url: str, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    """Trade the code for tokens; returns the credentials to store."""
    app = operator_app()
    answer = _token_request(base_url, app, {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }, refusal=("X refused the authorization code ({reason}): it may have expired (X keeps it "
                "30 seconds) or been used already. Connect again."))
    return credentials_from_token(answer, client_id=app.client_id, grant_id=uuid.uuid4().hex)


def refresh(base_url: str, refresh_token: str) -> dict[str, Any]:
    """Spend a refresh token; X answers with a new access token and a new refresh token.
    Raises Revoked when X refuses it (used up, revoked, or the app changed)."""
    app = operator_app()
    answer = _token_request(base_url, app, {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }, refusal=("X refused to renew the login ({reason}); reconnect the account."),
        refused=Revoked)
    return credentials_from_token(answer, client_id=app.client_id)


def revoke(base_url: str, credentials: Mapping[str, Any]) -> None:
    """Best effort: ask X to forget the refresh token and the access token (on disconnect)."""
    app = app_credentials(SLUG)
    if app is None:
        return
    with XApi(base_url) as x:
        for name in ("refresh_token", "access_token"):
            token = credentials.get(name)
            if token:
                x.send("POST", REVOKE_PATH, data={"token": str(token), "token_type_hint": name},
                       auth=(app.client_id, app.client_secret))


def _token_request(base_url: str, app: AppCredentials, form: dict[str, str], *,
                   refusal: str, refused: type[ConnectorError] = Rejected) -> dict[str, Any]:
    with XApi(base_url) as x:
        # A refresh spends the old token: an answer lost on the way may have used it up, so a
        # transport failure is reported as passing (the stored pair is still tried next time).
        response = x.send("POST", TOKEN_PATH, data=form, auth=(app.client_id, app.client_secret))
        if response.status_code in (400, 401):
            failure = x.failure(response)
            reason = _oauth_error(response) or failure.detail or f"HTTP {response.status_code}"
            if reason == "invalid_client" or (response.status_code == 401 and not
                                              _oauth_error(response)):
                raise Rejected("X does not accept the hub's X app (client id or secret): the "
                               "person who runs this hub must check them.")
            raise refused(refusal.format(reason=reason))
        return x.result(response)


def _oauth_error(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        return str(body.get("error") or "")
    return ""


def credentials_from_token(answer: Mapping[str, Any], *, client_id: str,
                           grant_id: str = "") -> dict[str, Any]:
    """What we store from a token answer: the tokens, when the access token expires, the
    scopes granted. `grant_id` names this sign-in for good (kept through refreshes), so the
    stored row can be found again from any copy of the credentials."""
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("X issued no access token")
    stored: dict[str, Any] = {"access_token": token, "client_id": client_id}
    refresh_token = answer.get("refresh_token")
    if isinstance(refresh_token, str) and refresh_token:
        stored["refresh_token"] = refresh_token
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, int | float) and expires_in > 0:
        expires = datetime.now(UTC) + timedelta(seconds=float(expires_in))
        stored["expires_at"] = expires.isoformat()
    scope = answer.get("scope")
    if isinstance(scope, str):
        stored["scope"] = scope
    if grant_id:
        stored["grant_id"] = grant_id
    return stored
