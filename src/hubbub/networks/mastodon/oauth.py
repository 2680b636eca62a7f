"""Talking to a Mastodon server before and around its API client: is it Mastodon at all
(/api/v2/instance), registering hubbub as an app, exchanging an authorization code (PKCE), and
errors said as people read them. Over the guarded HTTP session, like everything else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from hubbub.core.http import classify_transport_error, normalize_base_url
from hubbub.networks.errors import NotFound, Rejected, Transient
from hubbub.networks.mastodon import apps, failures, mapping

SLUG = "mastodon"  # the connector's slug, under which app registrations are kept
SCOPES = ("read", "write")
CLIENT_NAME = "hubbub"
WEBSITE = "https://github.com/hubbub-social/hubbub"


def normalize(base_url: str) -> str:
    try:
        return normalize_base_url(base_url)
    except ValueError as exc:
        raise Rejected(str(exc)) from None


def no_server(base: str, why: str) -> str:
    return f"No Mastodon server answered at {base}: {why}"


def send(session: requests.Session, method: str, url: str, base: str, **kwargs: Any) -> Any:
    try:
        return session.request(method, url, **kwargs)
    except (requests.RequestException, ValueError) as exc:
        raise failures.map_error(exc, None, base_url=base) from exc


def post_form(
    session: requests.Session, url: str, data: Mapping[str, str], base: str
) -> requests.Response:
    response: requests.Response = send(session, "POST", url, base, data=data)
    return response


def probe_instance(session: requests.Session, base: str) -> Mapping[str, Any]:
    """Check that `base` is a Mastodon server (GET /api/v2/instance) with messages a person
    who typed a wrong address understands."""
    try:
        response = session.get(f"{base}/api/v2/instance")
    except (requests.RequestException, ValueError) as exc:
        error = failures.map_error(exc, None, base_url=base)
        transport = classify_transport_error(exc)
        reason = transport.reason if transport else str(exc)
        if isinstance(error, Rejected):
            raise Rejected(f"{base} cannot be used: {reason}") from exc
        if transport is not None and transport.kind in ("dns", "invalid_url", "tls"):
            raise NotFound(no_server(base, reason)) from exc
        raise Transient(no_server(base, reason)) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise failures.map_status(response.status_code, "", response.headers, base_url=base)
    if response.status_code != 200:
        raise NotFound(
            no_server(base, f"it answered HTTP {response.status_code} to /api/v2/instance")
        )
    try:
        data = response.json()
    except ValueError:
        raise NotFound(no_server(base, "its answer to /api/v2/instance is not JSON")) from None
    if not mapping.is_instance_document(data):
        raise NotFound(no_server(base, "its /api/v2/instance does not look like Mastodon's"))
    result: Mapping[str, Any] = data
    return result


def register_app(session: requests.Session, base: str, redirect_uri: str) -> apps.RegisteredApp:
    response = post_form(
        session,
        f"{base}/api/v1/apps",
        {
            "client_name": CLIENT_NAME,
            "redirect_uris": redirect_uri,
            "scopes": " ".join(SCOPES),
            "website": WEBSITE,
        },
        base,
    )
    if not response.ok:
        raise failures.map_status(
            response.status_code, error_text(response), response.headers, base_url=base
        )
    try:
        body = response.json()
        return apps.RegisteredApp(str(body["client_id"]), str(body["client_secret"]))
    except (ValueError, KeyError, TypeError):
        raise NotFound(no_server(base, "registering the app gave an unexpected answer")) from None


def exchange_code(
    session: requests.Session,
    base: str,
    app: apps.RegisteredApp,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> str:
    response = post_form(
        session,
        f"{base}/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "scope": " ".join(SCOPES),
        },
        base,
    )
    host = urlsplit(base).netloc
    if response.status_code in (400, 401):
        error = error_code(response)
        if error == "invalid_client":
            apps.forget_app(SLUG, base, app.client_id)
            raise Rejected(f"{host} no longer knows hubbub's app registration. Connect again.")
        raise Rejected(
            f"{host} refused the authorization code ({error or response.status_code}): it may "
            "have expired or been used already. Connect again."
        )
    if not response.ok:
        raise failures.map_status(
            response.status_code, error_text(response), response.headers, base_url=base
        )
    try:
        token = response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        raise Transient(f"{host} sent an unreadable answer when issuing the token") from None
    if not isinstance(token, str) or not token:
        raise Transient(f"{host} issued no access token")
    return token


def error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, Mapping) else ""


def error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        return str(body.get("error_description") or body.get("error") or "")
    return ""


