"""OAuth 2.0 Authorization Code with PKCE, as X documents it.

- GET /i/oauth2/authorize (x.com; also /2/oauth2/authorize, the document's authorizationUrl):
  the consent page. It checks response_type=code, the client id, the redirect URI exactly as
  registered, a state (at most 500 characters), a code challenge and its method (S256; `plain`
  too once a test allows it, as X does), and the scopes. A bad request gets an error page and
  no redirect. "Authorize app" redirects with ?state=&code=, "Cancel" with
  ?error=access_denied&state=.
- POST /2/oauth2/token: authorization_code (code single-use and short-lived, redirect_uri as
  authorized, PKCE verifier checked) and refresh_token (single-use, rotated: a spent one is
  refused). Confidential clients authenticate with HTTP Basic; public ones send client_id.
- POST /2/oauth2/revoke: an access or refresh token.

Pages: docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code and
/oauth-2-0/user-access-token. Error bodies as X answers them (README.md, "Sources").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import secrets
import time
from urllib.parse import parse_qs, urlencode

from tests.peers.x.spec import document
from tests.peers.x.state import App, Grant, Store
from tests.peers.x.wire import Problem, Reply, Request

SCOPES = set(
    document().components["securitySchemes"]["OAuth2UserToken"]["flows"]["authorizationCode"][
        "scopes"
    ]
)
FORM = "application/x-www-form-urlencoded"


def _error(status: int, error: str, description: str) -> Problem:
    return Problem(status, {"error": error, "error_description": description},
                   content_type="application/json; charset=utf-8")


def _page(status: int, title: str, body: str) -> Reply:
    text = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<p><small>hubbub's X stand-in (a test server built from X's documentation, "
        "not X)</small></p></main></body></html>"
    )
    return Reply(status, text, "text/html; charset=utf-8")


def _refuse(reason: str) -> Reply:
    # X shows "Something went wrong" and does not send the browser back to the app.
    return _page(400, "Something went wrong",
                 f"<p>You weren't able to give access to the App.</p>"
                 f"<p id=reason>{html.escape(reason)}</p>")


def _check(store: Store, q: dict[str, str]) -> tuple[App, list[str]] | str:
    if q.get("response_type") != "code":
        return "response_type must be code"
    app = store.apps.get(q.get("client_id", ""))
    if app is None:
        return "unknown client_id"
    if q.get("redirect_uri") not in app.redirect_uris:
        return "redirect_uri does not match a callback URL registered for this app"
    state = q.get("state", "")
    if not state or len(state) > 500:
        return "state is required (at most 500 characters)"
    method = q.get("code_challenge_method", "")
    if not q.get("code_challenge"):
        return "code_challenge is required"
    if method != "S256" and not (method == "plain" and store.allow_plain_pkce):
        return f"code_challenge_method {method!r} is not accepted (S256)"
    scopes = q.get("scope", "").split()
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        return f"invalid scope: {' '.join(unknown) or '(none)'}"
    return app, scopes


def authorize_page(store: Store, req: Request) -> Reply:
    with store.lock:
        checked = _check(store, req.query)
        if isinstance(checked, str):
            return _refuse(checked)
        app, scopes = checked
        store.authorizations.append({k: req.query.get(k) for k in (
            "client_id", "redirect_uri", "scope", "state", "code_challenge_method")})
        form_id = secrets.token_urlsafe(16)
        store.consent_forms[form_id] = dict(req.query)
        users = sorted(store.users.values(), key=lambda u: u.username.lower())
        signed_in = store.signed_in
    if not users:
        return _refuse("no account is signed in on this stand-in (create a user first)")
    options = "".join(
        f"<option value={html.escape(u.id)}{' selected' if u.id == signed_in else ''}>"
        f"@{html.escape(u.username)}</option>" for u in users)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    body = (
        f"<p><strong>{html.escape(app.name)}</strong> wants to access your X account.</p>"
        f"<ul aria-label=scopes>{items}</ul>"
        f"<form method=post action=/i/oauth2/authorize>"
        f"<input type=hidden name=form value={form_id}>"
        f"<label>Signed in as <select name=user_id>{options}</select></label>"
        "<button type=submit name=decision value=allow>Authorize app</button>"
        "<button type=submit name=decision value=deny>Cancel</button></form>"
    )
    return _page(200, f"Authorize {app.name} to access your account", body)


def authorize_decide(store: Store, req: Request) -> Reply:
    form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
    with store.lock:
        query = store.consent_forms.pop(form.get("form", ""), None)
        if query is None:
            return _refuse("this consent form was already used or never shown")
        checked = _check(store, query)
        if isinstance(checked, str):
            return _refuse(checked)
        app, scopes = checked
        redirect = query["redirect_uri"]
        sep = "&" if "?" in redirect else "?"
        if form.get("decision") != "allow":
            target = redirect + sep + urlencode({"error": "access_denied",
                                                 "state": query["state"]})
            return Reply(302, b"", "text/plain", {"Location": target})
        user = store.users.get(form.get("user_id", ""))
        if user is None:
            return _refuse("unknown account")
        store.signed_in = user.id
        code = secrets.token_urlsafe(48)
        store.grants[code] = Grant(code, app.client_id, user.id, redirect, scopes,
                                   query["code_challenge"], query["code_challenge_method"],
                                   time.time() + store.code_seconds)
    target = redirect + sep + urlencode({"state": query["state"], "code": code})
    return Reply(302, b"", "text/plain", {"Location": target})


def _client(store: Store, req: Request, form: dict[str, str]) -> App:
    """Confidential clients by HTTP Basic; public clients by client_id in the body."""
    auth = req.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise _error(401, "unauthorized_client", "Missing valid authorization header") from exc
        client_id, _, secret = raw.partition(":")
        app = store.apps.get(client_id)
        if app is None or app.client_secret is None or not hmac.compare_digest(
                app.client_secret, secret):
            raise _error(401, "unauthorized_client", "Missing valid authorization header")
        return app
    app = store.apps.get(form.get("client_id", ""))
    if app is None:
        raise _error(400, "invalid_request", "Missing required parameter [client_id].")
    if app.client_secret is not None:
        raise _error(401, "unauthorized_client", "Missing valid authorization header")
    return app


def _form(req: Request) -> dict[str, str]:
    if req.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise _error(400, "invalid_request", f"Content-Type must be {FORM}.")
    return {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}


def _verifies(grant: Grant, verifier: str) -> bool:
    if grant.method == "plain":
        return hmac.compare_digest(verifier, grant.challenge)
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(expected, grant.challenge)


def token(store: Store, req: Request) -> Reply:
    form = _form(req)
    with store.lock:
        app = _client(store, req, form)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = store.grants.get(form.get("code", ""))
            bad = "Value passed for the authorization code was invalid."
            if (grant is None or grant.used or grant.client_id != app.client_id
                    or time.time() >= grant.expires_at):
                raise _error(400, "invalid_request", bad)
            grant.used = True  # single use, even when the rest of the request is wrong
            if form.get("redirect_uri") != grant.redirect_uri:
                raise _error(400, "invalid_request", bad)
            if not _verifies(grant, form.get("code_verifier", "")):
                raise _error(400, "invalid_request", bad)
            access, refresh = store.issue(app.client_id, grant.user_id, grant.scopes)
        elif grant_type == "refresh_token":
            old = store.tokens.get(form.get("refresh_token", ""))
            if old is None or old.kind != "refresh" or old.client_id != app.client_id:
                raise _error(400, "invalid_request", "Value passed for the token was invalid.")
            if old.used or old.revoked:
                if old.used and store.revoke_family_on_reuse:
                    store.revoke_family(old.family)
                raise _error(400, "invalid_request", "Value passed for the token was invalid.")
            old.used = True
            access, refresh = store.issue(app.client_id, old.user_id, old.scopes, old.family)
        else:
            raise _error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not "
                         "supported (authorization_code, refresh_token).")
    body: dict[str, object] = {
        "token_type": "bearer", "expires_in": int(store.token_seconds),
        "access_token": access.value, "scope": " ".join(access.scopes),
    }
    if refresh is not None:
        body["refresh_token"] = refresh.value
    return Reply(200, body)


def revoke(store: Store, req: Request) -> Reply:
    form = _form(req)
    with store.lock:
        app = _client(store, req, form)
        found = store.tokens.get(form.get("token", ""))
        if found is not None and found.client_id == app.client_id:
            found.revoked = True
    return Reply(200, {"revoked": True})


ROUTES = {
    ("GET", "/i/oauth2/authorize"): authorize_page,
    ("GET", "/2/oauth2/authorize"): authorize_page,
    ("POST", "/i/oauth2/authorize"): authorize_decide,
    ("POST", "/2/oauth2/token"): token,
    ("POST", "/2/oauth2/revoke"): revoke,
}
