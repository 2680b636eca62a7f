"""Signing in with a handle and an app password, finding a handle's PDS, refreshing sessions.

createSession is called once per connect (it is rate-limited: 30 per 5 min, 300 per day per
account on bsky.social); afterwards the stored session is renewed with refreshSession.
"""

from __future__ import annotations

import contextlib
from typing import Any

import requests
from django.conf import settings

from hubbub.core.http import classify_transport_error, guarded_session, normalize_base_url
from hubbub.networks.bluesky import mapping
from hubbub.networks.bluesky.facets import is_handle
from hubbub.networks.bluesky.xrpc import Xrpc
from hubbub.networks.errors import (
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Revoked,
    Transient,
)

DEFAULT_RESOLVER_URL = "https://bsky.social"  # answers com.atproto.identity.resolveHandle
DEFAULT_PLC_URL = "https://plc.directory"
APP_PASSWORD_SCOPES = ("com.atproto.appPass", "com.atproto.appPassPrivileged")
SETTINGS_HINT = (
    "Create an app password in Bluesky (Settings > Privacy and security > App passwords) "
    "and use it here."
)


def normalize_service(base_url: str) -> str:
    try:
        return normalize_base_url(base_url)
    except ValueError as exc:
        raise Rejected(str(exc)) from None


def normalize_handle(value: str) -> str:
    """What people type: '@alice.bsky.social', 'Alice.bsky.social' or a DID."""
    text = value.strip().lstrip("@").strip()
    if text.startswith("did:"):
        return text
    text = text.lower()
    if not is_handle(text):
        raise Rejected(f"{value.strip()!r} is not a Bluesky handle (like alice.bsky.social)")
    return text


def unreachable(service: str, error: ConnectorError) -> ConnectorError:
    """A transport failure while connecting, said for a person who typed an address."""
    cause = error.__cause__
    transport = classify_transport_error(cause) if cause is not None else None
    if transport is None:
        return error
    if transport.kind == "blocked":
        return Rejected(f"{service} cannot be used: {transport.reason}")
    message = f"No Bluesky server answered at {service}: {transport.reason}"
    if transport.kind in ("dns", "invalid_url", "tls"):
        return NotFound(message)
    return Transient(message)


# --- finding the PDS --------------------------------------------------------------------------


def resolve_service(handle: str) -> str:
    """The PDS of a handle: handle -> DID (com.atproto.identity.resolveHandle on
    HUBBUB_BLUESKY_RESOLVER_URL), DID -> DID document (PLC directory, or did:web's
    /.well-known/did.json) -> its #atproto_pds endpoint."""
    did = handle if handle.startswith("did:") else resolve_handle(handle)
    endpoint = mapping.pds_from_did_doc(did_document(did))
    if not endpoint:
        raise NotFound(f"The DID document of {handle} names no Bluesky server (PDS)")
    return endpoint


def resolve_handle(handle: str) -> str:
    resolver = str(getattr(settings, "HUBBUB_BLUESKY_RESOLVER_URL", DEFAULT_RESOLVER_URL))
    with Xrpc(resolver) as api:
        try:
            response = api.send(
                "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}, auth=False
            )
        except ConnectorError as exc:
            raise unreachable(resolver, exc) from None
        if response.status_code == 400:
            raise Rejected(f"No Bluesky account has the handle @{handle}")
        body = api.result(response)
    did = body.get("did")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise NotFound(f"{resolver} gave no DID for @{handle}")
    return did


def did_document(did: str) -> dict[str, Any]:
    if did.startswith("did:plc:"):
        plc = str(getattr(settings, "HUBBUB_BLUESKY_PLC_URL", DEFAULT_PLC_URL)).rstrip("/")
        url = f"{plc}/{did}"
    elif did.startswith("did:web:"):
        host = did.removeprefix("did:web:").replace("%3A", ":")
        url = f"https://{host}/.well-known/did.json"
    else:
        raise Rejected(f"{did}: hubbub knows did:plc and did:web identities only")
    session = guarded_session()
    try:
        response = session.get(url, headers={"Accept": "application/json"})
        document = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as exc:
        transport = classify_transport_error(exc)
        reason = transport.reason if transport else "its answer is not JSON"
        raise Transient(f"Could not read the DID document of {did}: {reason}") from None
    finally:
        session.close()
    if not isinstance(document, dict) or document.get("id") != did:
        raise NotFound(f"No DID document found for {did}")
    return document


# --- sessions ---------------------------------------------------------------------------------


def create_session(service: str, identifier: str, password: str) -> dict[str, Any]:
    """com.atproto.server.createSession with an app password; the session's JSON."""
    host = mapping.host_of(service)
    with Xrpc(service) as api:
        try:
            response = api.send(
                "POST",
                "com.atproto.server.createSession",
                json_body={"identifier": identifier, "password": password},
                auth=False,
            )
        except ConnectorError as exc:
            raise unreachable(service, exc) from None
        if response.status_code in (400, 401):
            raise _login_refused(api.failure(response), host)
        if response.status_code == 429:
            error = mapping.map_failure(api.failure(response), base_url=service)
            if isinstance(error, RateLimited):
                raise RateLimited(
                    f"{host} limits sign-ins: try again after {error.retry_at:%H:%M} UTC",
                    error.retry_at,
                )
            raise error
        if response.status_code >= 500:
            raise mapping.map_failure(api.failure(response), base_url=service)
        try:
            session = api.result(response)
        except ConnectorError:
            session = {}
        if response.status_code != 200 or not _is_session(session):
            raise NotFound(
                f"No Bluesky server answered at {service}: it answered HTTP "
                f"{response.status_code} to com.atproto.server.createSession"
            )
        scope = mapping.jwt_claims(str(session["accessJwt"])).get("scope")
        if scope not in APP_PASSWORD_SCOPES:
            # The account's own password: it can change the password, delete the account. We
            # keep nothing that strong. End the session we just made (best effort).
            with contextlib.suppress(ConnectorError):
                api.send("POST", "com.atproto.server.deleteSession", token=session["refreshJwt"])
            raise Rejected(f"That is the account's own password, not an app password. "
                           f"{SETTINGS_HINT}")
    return session


def _is_session(body: dict[str, Any]) -> bool:
    return all(isinstance(body.get(k), str) and body[k] for k in ("accessJwt", "refreshJwt", "did"))


def _login_refused(failure: mapping.XrpcFailure, host: str) -> ConnectorError:
    if failure.error == "AuthFactorTokenRequired":
        return Rejected(
            f"{host} asks this account for a sign-in code sent by email; app passwords skip "
            f"it. {SETTINGS_HINT}"
        )
    if failure.error in ("AccountTakedown", "AccountDeactivated"):
        return mapping.map_failure(failure, base_url=host)
    if failure.status == 401:
        return Revoked(
            f"Bluesky refused that handle or app password ({host}). Check both: an app "
            "password looks like xxxx-xxxx-xxxx-xxxx."
        )
    return Rejected(f"{host} refused the sign-in{failure.said()}")


def refresh_session(service: str, refresh_jwt: str) -> dict[str, Any]:
    """com.atproto.server.refreshSession: a new session, or Revoked when the refresh token is
    no longer accepted (expired after 90 days, revoked app password, signed out)."""
    with Xrpc(service) as api:
        response = api.send("POST", "com.atproto.server.refreshSession", token=refresh_jwt)
        if response.status_code in (400, 401, 403):
            failure = api.failure(response)
            raise Revoked(
                f"{mapping.host_of(service)} ended this Bluesky login{failure.said()}. "
                "Reconnect the account with an app password."
            )
        session = api.result(response)
    if not _is_session(session):
        raise Transient(f"{mapping.host_of(service)} sent an unreadable session")
    return session


def delete_session(service: str, refresh_jwt: str) -> None:
    """Sign out: the refresh token stops working (the access token lives out its 2 hours)."""
    with Xrpc(service) as api:
        response = api.send("POST", "com.atproto.server.deleteSession", token=refresh_jwt)
        if response.status_code >= 500 or response.status_code == 429:
            raise mapping.map_failure(api.failure(response), base_url=service)
