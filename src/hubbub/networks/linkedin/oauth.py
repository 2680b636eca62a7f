"""Signing in to LinkedIn: OAuth 2.0's authorization code flow through the operator's app
(learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow), the member from
OpenID Connect's userinfo, and the organization pages the member administers
(organizationAcls, role ADMINISTRATOR).

LinkedIn's access tokens last 60 days (`expires_in`); a refresh token comes only to apps
LinkedIn enabled for it (`refresh_token`, valid a year). Both are stored with their expiry;
without a refresh token, the person signs in again before the access token runs out (the hub
says "reconnect by <date>" two weeks ahead).
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from hubbub.connections.network_apps import app_credentials, spec_for
from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart, Connected, Identity
from hubbub.networks.errors import (
    ConnectorError,
    NotFound,
    Rejected,
    Revoked,
    Transient,
)
from hubbub.networks.linkedin import api, mapping
from hubbub.networks.linkedin.api import LinkedInApi, encode_query, urn_path

SLUG = "linkedin"
AUTHORIZE_PATH = "/oauth/v2/authorization"
TOKEN_PATH = "/oauth/v2/accessToken"  # noqa: S105 - a path, not a secret
INTROSPECT_PATH = "/oauth/v2/introspectToken"
NO_APP = ("The operator has not registered a LinkedIn app, so LinkedIn accounts cannot be "
          "connected yet: whoever runs this hub must add the LinkedIn app's client id and "
          "secret first.")
MAX_ORGANIZATIONS = 50
# The `error` codes of a person who said no on the consent page.
DECLINED = ("user_cancelled_login", "user_cancelled_authorize", "access_denied")


def scopes() -> tuple[str, ...]:
    return spec_for(SLUG).scopes


def operator_app() -> AppCredentials:
    return oauth2.operator_app(SLUG, NO_APP)


def start(redirect_uri: str) -> AuthStart:
    app = operator_app()
    state = secrets.token_urlsafe(32)
    query = urlencode({
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": " ".join(scopes()),
    }, quote_via=quote)
    return AuthStart(
        redirect_url=f"{api.auth_url()}{AUTHORIZE_PATH}?{query}",
        state=state,
        state_data={"state": state, "redirect_uri": redirect_uri, "client_id": app.client_id,
                    "api_url": api.api_url(), "auth_url": api.auth_url()},
    )


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any]) -> str:
    """The authorization code from LinkedIn's redirect, or a Rejected saying what went wrong."""
    oauth2.check_refusal(params, "LinkedIn", declined=params.get("error") in DECLINED,
                         declined_sentence="Authorization was declined on LinkedIn: nothing "
                         "was connected. Start again if that was a mistake.")
    oauth2.check_state(params, state_data)
    return oauth2.returned_code(params, "LinkedIn")


def exchange_code(auth_base: str, code: str, redirect_uri: str) -> dict[str, Any]:
    app = operator_app()
    answer = _token_request(auth_base, app, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
    }, refusal=("LinkedIn refused the authorization code ({reason}): it may have expired "
                "(LinkedIn keeps it 30 minutes) or been used already. Connect again."))
    return credentials_from_token(answer, grant_id=uuid.uuid4().hex)


def refresh(auth_base: str, refresh_token: str) -> dict[str, Any]:
    app = operator_app()
    answer = _token_request(auth_base, app, {
        "grant_type": "refresh_token", "refresh_token": refresh_token,
    }, refusal="LinkedIn refused to renew the login ({reason}); reconnect the account.",
        refused=Revoked)
    return credentials_from_token(answer)


def _token_request(auth_base: str, app: AppCredentials, form: dict[str, str], *,
                   refusal: str, refused: type[ConnectorError] = Rejected) -> dict[str, Any]:
    with LinkedInApi(auth_base) as li:
        response = li.send("POST", TOKEN_PATH, rest=False, data={
            **form, "client_id": app.client_id, "client_secret": app.client_secret})
        if response.status_code in (400, 401):
            reason = _oauth_error(response) or li.failure(response).message \
                or f"HTTP {response.status_code}"
            if "invalid_client" in reason:
                raise Rejected("LinkedIn does not accept the hub's LinkedIn app (client id or "
                               "secret): the person who runs this hub must check them.")
            raise refused(refusal.format(reason=reason))
        return li.result(response)


def _oauth_error(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        return " ".join(str(body.get(k) or "") for k in ("error", "error_description")).strip()
    return ""


def credentials_from_token(answer: Mapping[str, Any], grant_id: str = "") -> dict[str, Any]:
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("LinkedIn issued no access token")
    now = datetime.now(UTC)
    stored: dict[str, Any] = {"access_token": token}
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) \
            and expires_in > 0:
        stored["expires_at"] = (now + timedelta(seconds=float(expires_in))).isoformat()
    refresh_token = answer.get("refresh_token")
    if isinstance(refresh_token, str) and refresh_token:
        stored["refresh_token"] = refresh_token
        lasts = answer.get("refresh_token_expires_in")
        if isinstance(lasts, int | float) and not isinstance(lasts, bool) and lasts > 0:
            stored["refresh_expires_at"] = (now + timedelta(seconds=float(lasts))).isoformat()
    scope = answer.get("scope")
    if isinstance(scope, str):
        stored["scope"] = scope
    if grant_id:
        stored["grant_id"] = grant_id
    return stored


def introspect(auth_base: str, token: str) -> dict[str, Any]:
    """What LinkedIn says about a token given by hand (token introspection: `expires_at` in
    epoch seconds, `scope`), as credentials to store; {} when it cannot say (best effort:
    the token is checked by using it)."""
    app = app_credentials(SLUG)
    if app is None:
        return {}
    try:
        with LinkedInApi(auth_base) as li:
            answer = li.result(li.send("POST", INTROSPECT_PATH, rest=False, data={
                "token": token, "client_id": app.client_id,
                "client_secret": app.client_secret}))
    except ConnectorError:
        return {}
    found: dict[str, Any] = {}
    expires = answer.get("expires_at")
    if isinstance(expires, int | float) and not isinstance(expires, bool) and expires > 0:
        with contextlib.suppress(OverflowError, OSError, ValueError):
            found["expires_at"] = datetime.fromtimestamp(expires, UTC).isoformat()
    if isinstance(answer.get("scope"), str):
        found["scope"] = answer["scope"]
    return found


def granted(credentials: Mapping[str, Any]) -> set[str]:
    return set(str(credentials.get("scope") or "").replace(",", " ").split())


def member(li: LinkedInApi) -> Identity:
    """The signed-in member (OpenID Connect userinfo)."""
    response = li.send("GET", "/v2/userinfo", rest=False)
    body = li.result(response, scope="openid profile")
    try:
        return mapping.member_identity(body)
    except ValueError:
        raise Transient("LinkedIn described the signed-in member in a way hubbub cannot "
                        "read") from None


def organizations(li: LinkedInApi) -> list[Identity]:
    """The pages the member administers; [] when the login may not ask (no organization
    scope granted, or the app lacks the Community Management API)."""
    try:
        acls = li.get("/rest/organizationAcls", encode_query({
            "q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED",
            "count": MAX_ORGANIZATIONS}), scope="rw_organization_admin")
    except (Rejected, NotFound):
        return []
    found = []
    for urn in mapping.administered(acls)[:MAX_ORGANIZATIONS]:
        number = urn.removeprefix(mapping.ORGANIZATION)
        try:
            organization = li.get(f"/rest/organizations/{urn_path(number)}")
        except (Rejected, NotFound):
            organization = {}
        found.append(mapping.organization_identity(urn, organization))
    return found


def connect(api_base: str, credentials: dict[str, Any]) -> Connected:
    """The member's connection, with each page they administer offered beside it (the same
    token acts for them; each chosen one becomes a connection of its own)."""
    with LinkedInApi.for_account(api_base, credentials) as li:
        person = member(li)
        # Ask for pages when the login may (or does not say what it may).
        may_ask = not credentials.get("scope") or bool(granted(credentials) & {
            "rw_organization_admin", "r_organization_admin"})
        pages = organizations(li) if may_ask else []
    own = {**credentials, "member": person.remote_id, "author": person.remote_id}
    others = tuple(
        Connected(base_url=api_base, identity=page,
                  credentials={**credentials, "member": person.remote_id,
                               "author": page.remote_id})
        for page in pages)
    return Connected(base_url=api_base, credentials=own, identity=person,
                     other_accounts=others)
