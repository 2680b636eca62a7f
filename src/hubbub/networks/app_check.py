"""Checking an operator's app without a user: the OAuth 2.0 client-credentials grant.

Meta documents it for Facebook (`GET https://graph.facebook.com/oauth/access_token?client_id=
{app-id}&client_secret={app-secret}&grant_type=client_credentials`, "Access Tokens", App
Access Tokens) and for Threads (`GET https://graph.threads.com/oauth/access_token` with the
Threads app ID and secret, "App Access Tokens"): a good app gets `{"access_token": ...,
"token_type": "bearer"}`, a bad one HTTP 400 with Meta's error object
(`{"error": {"message": "Error validating application. ...", "type": "OAuthException",
"code": 101, ...}}`). Connectors whose network has such an endpoint call
`check_client_credentials` from their `Connector.check_app`; the token is thrown away.

The secret travels in the query string, as Meta documents it. So it is kept out of what could
repeat that address: urllib3 logs request lines at DEBUG level (a filter below hides the value),
and requests names the address in its transport errors (every message made here is scrubbed).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import requests
from django.utils import timezone

from hubbub.core.http import classify_transport_error, guarded_session, retry_at_from_headers
from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import ConnectorError, RateLimited, Rejected, Transient

HIDDEN = "[hidden]"
_SECRET_PARAM = re.compile(r"(client_secret=)[^&\s\"']*")
MESSAGE_MAX = 300


class _HideClientSecret(logging.Filter):
    """Rewrites `client_secret=...` in the request lines urllib3 logs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PARAM.sub(rf"\1{HIDDEN}", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET_PARAM.sub(rf"\1{HIDDEN}", record.msg)
        return True


_FILTER = _HideClientSecret()
logging.getLogger("urllib3.connectionpool").addFilter(_FILTER)


def scrub(text: str, app: AppCredentials) -> str:
    """`text` without the app's secret in any form an address or a message could hold it."""
    text = _SECRET_PARAM.sub(rf"\1{HIDDEN}", text)
    secret = app.client_secret
    if secret:
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, HIDDEN)
    return text


def _said(text: str, app: AppCredentials) -> str:
    """A network's own words, fit to show: printable, short, scrubbed."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    clean = scrub(clean, app)
    return clean if len(clean) <= MESSAGE_MAX else clean[: MESSAGE_MAX - 1] + "…"


def _error_words(body: Any) -> str:
    """The error message in Meta's shape ({"error": {"message"}}) or OAuth 2.0's
    ({"error": "invalid_client", "error_description": ...}); "" when there is none."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return message if isinstance(message, str) else ""
    description = body.get("error_description")
    if isinstance(description, str) and description:
        return description
    return error if isinstance(error, str) else ""


def check_client_credentials(
    token_url: str,
    app: AppCredentials,
    network_name: str,
    session: requests.Session | None = None,
) -> None:
    """Ask `token_url` for an app access token. Returns when the network grants one; raises
    Rejected when it refuses the app (its words, scrubbed), RateLimited or Transient when the
    answer says nothing about the app."""
    params = {"client_id": app.client_id, "client_secret": app.client_secret,
              "grant_type": "client_credentials"}
    http = session or guarded_session()
    try:
        response = http.get(token_url, params=params, headers={"Accept": "application/json"})
    except (requests.RequestException, ValueError) as exc:
        failure = classify_transport_error(exc)
        reason = failure.reason if failure is not None else type(exc).__name__
        raise Transient(f"{network_name} could not be reached: {_said(reason, app)}") from None
    try:
        _settle(response, app, network_name)
    finally:
        response.close()


def _settle(response: requests.Response, app: AppCredentials, network_name: str) -> None:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status == 200:
        token = body.get("access_token") if isinstance(body, dict) else None
        if isinstance(token, str) and token:
            return
        raise Transient(f"{network_name} answered, but not with an app access token.")
    words = _said(_error_words(body), app)
    if status == 429:
        retry_at = (retry_at_from_headers(response.headers)
                    or timezone.now() + timedelta(minutes=1))
        raise RateLimited(f"{network_name} asks to wait before checking again", retry_at)
    if status >= 500:
        raise Transient(f"{network_name} had trouble answering (HTTP {status})")
    if 400 <= status < 500:
        detail = f": {words}" if words else f" (HTTP {status})"
        raise Rejected(f"{network_name} refused the app{detail}")
    raise ConnectorError(f"{network_name} gave an unexpected answer (HTTP {status})")
