"""OAuth 2.0 (3-legged, authorization code) as LinkedIn documents it, and OpenID userinfo.

- GET /oauth/v2/authorization (www.linkedin.com): the consent page. Checks response_type=code,
  the client id, the redirect URI exactly as registered (an error page, no redirect, when it
  does not match), and that every scope is one of the app's products (otherwise a redirect with
  error=unauthorized_scope_error). "Allow" redirects with ?code=&state=, "Cancel" with
  ?error=user_cancelled_authorize&error_description=...&state=. State is echoed as sent.
- POST /oauth/v2/accessToken: grant_type=authorization_code with client_id and client_secret in
  the form body (code single-use, 30 minutes, redirect_uri as authorized); refresh_token only
  for an app with programmatic refresh tokens turned on (the refresh token keeps its one-year
  life and is returned unchanged; the access token gets 60 days again).
- POST /oauth/v2/introspectToken: client_id, client_secret, token -> active/status/expires_at.
- GET /v2/userinfo (api.linkedin.com): sub, name, given_name, family_name, picture, locale,
  email, email_verified, as the scopes allow.

Pages: learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow,
/programmatic-refresh-tokens, /token-introspection, and /linkedin/consumer/integrations/
self-serve/sign-in-with-linkedin-v2. Error bodies: README.md, "Sources".
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from urllib.parse import parse_qs, urlencode

from tests.peers.linkedin.state import App, Grant, Store
from tests.peers.linkedin.wire import Problem, ProtocolError, Reply, Request, error

FORM = "application/x-www-form-urlencoded"
BAD_CODE = ("Unable to retrieve access token: appid/redirect uri/code verifier does not match "
            "authorization code. Or authorization code expired. Or external member binding "
            "exists")


def _oauth_error(status: int, code: str, description: str, *, rule: bool = False) -> Problem:
    body = {"error": code, "error_description": description}
    if rule:
        return ProtocolError(status, description, body)
    return Problem(status, body)


def _page(status: int, title: str, body: str) -> Reply:
    text = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{body}"
        "<p><small>hubbub's LinkedIn stand-in (a test server built from LinkedIn's "
        "documentation, not LinkedIn)</small></p></main></body></html>"
    )
    return Reply(status, text, "text/html; charset=utf-8")


def _refuse(reason: str) -> ProtocolError:
    # LinkedIn shows an error page and does not send the browser back to the app.
    page = _page(400, "Bummer, something went wrong.", f"<p id=reason>{html.escape(reason)}</p>")
    problem = ProtocolError(400, reason)
    problem.reply = page
    return problem


def _redirect(redirect_uri: str, params: dict[str, str]) -> Reply:
    sep = "&" if "?" in redirect_uri else "?"
    return Reply(302, b"", "text/plain", {"Location": redirect_uri + sep + urlencode(params)})


def _check(store: Store, q: dict[str, str]) -> tuple[App, list[str]] | Reply:
    """The app and scopes, or the answer to give; raises for a request that must not redirect."""
    app = store.apps.get(q.get("client_id", ""))
    if app is None:
        raise _refuse("The passed in client_id is invalid")
    if q.get("redirect_uri") not in app.redirect_uris:
        raise _refuse("The redirect_uri does not match the registered value")
    state = {"state": q["state"]} if "state" in q else {}
    if q.get("response_type") != "code":
        problem = ProtocolError(400, "response_type must be code")
        problem.reply = _redirect(q["redirect_uri"], {
            "error": "invalid_request", "error_description": "response_type must be code",
            **state})
        raise problem
    scopes = q.get("scope", "").replace(",", " ").split()
    unknown = [s for s in scopes if s not in app.scopes]
    if not scopes:
        raise ProtocolError(400, "scope is required")
    if unknown:
        return _redirect(q["redirect_uri"], {
            "error": "unauthorized_scope_error",
            "error_description": f'Scope "{unknown[0]}" is not authorized for your application',
            **state})
    return app, scopes


def authorize_page(store: Store, req: Request) -> Reply:
    checked = _check(store, req.query)
    if isinstance(checked, Reply):
        return checked
    app, scopes = checked
    store.authorizations.append({k: req.query.get(k) for k in (
        "client_id", "redirect_uri", "scope", "state", "response_type")})
    members = sorted(store.members.values(), key=lambda m: m.name.lower())
    if not members:
        raise _refuse("no member is signed in on this stand-in (create a member first)")
    form_id = secrets.token_urlsafe(16)
    store.consent_forms[form_id] = dict(req.query)
    options = "".join(
        f"<option value={html.escape(m.id)}{' selected' if m.id == store.signed_in else ''}>"
        f"{html.escape(m.name)}</option>" for m in members)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    body = (
        f"<p><strong>{html.escape(app.name)}</strong> would like to access your LinkedIn "
        f"account.</p><ul aria-label=permissions>{items}</ul>"
        "<form method=post action=/oauth/v2/authorization>"
        f"<input type=hidden name=form value={form_id}>"
        f"<label>Signed in as <select name=member_id>{options}</select></label>"
        "<button type=submit name=decision value=allow>Allow</button>"
        "<button type=submit name=decision value=cancel>Cancel</button></form>"
    )
    return _page(200, f"{app.name} would like to access your LinkedIn account", body)


def authorize_decide(store: Store, req: Request) -> Reply:
    form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
    query = store.consent_forms.pop(form.get("form", ""), None)
    if query is None:
        raise _refuse("this consent form was already used or never shown")
    checked = _check(store, query)
    if isinstance(checked, Reply):
        return checked
    app, scopes = checked
    state = {"state": query["state"]} if "state" in query else {}
    if form.get("decision") != "allow":
        return _redirect(query["redirect_uri"], {
            "error": "user_cancelled_authorize",
            "error_description": "The user cancelled the authorization", **state})
    member = store.members.get(form.get("member_id", ""))
    if member is None:
        raise _refuse("unknown member")
    store.signed_in = member.id
    code = "AQ" + secrets.token_urlsafe(96)
    store.grants[code] = Grant(code, app.client_id, member.id, query["redirect_uri"], scopes,
                               time.time() + store.code_seconds)
    return _redirect(query["redirect_uri"], {"code": code, **state})


def _form(req: Request) -> dict[str, str]:
    if req.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise _oauth_error(400, "invalid_request", f"Content-Type must be {FORM}", rule=True)
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _oauth_error(400, "invalid_request", "the form is not UTF-8", rule=True) from exc
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _client(store: Store, form: dict[str, str]) -> App:
    """client_id and client_secret in the form body, as the page documents."""
    for name in ("client_id", "client_secret"):
        if not form.get(name):
            raise _oauth_error(400, "invalid_request",
                               f"A required parameter \"{name}\" is missing", rule=True)
    app = store.apps.get(form["client_id"])
    if app is None or not hmac.compare_digest(app.client_secret, form["client_secret"]):
        raise _oauth_error(401, "invalid_client", "Client authentication failed")
    return app


def _token_body(store: Store, access_value: str, refresh_value: str | None) -> dict[str, object]:
    access = store.tokens[access_value]
    body: dict[str, object] = {
        "access_token": access.value,
        "expires_in": max(0, round(access.expires_at - time.time())),
        "scope": ",".join(access.scopes),
        "token_type": "Bearer",
    }
    if refresh_value is not None:
        refresh = store.tokens[refresh_value]
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = max(0, round(refresh.expires_at - time.time()))
    return body


def access_token(store: Store, req: Request) -> Reply:
    form = _form(req)
    grant_type = form.get("grant_type")
    if grant_type not in {"authorization_code", "refresh_token"}:
        raise _oauth_error(400, "unsupported_grant_type",
                           f"grant_type {grant_type!r} is not supported", rule=True)
    app = _client(store, form)
    if grant_type == "authorization_code":
        for name in ("code", "redirect_uri"):
            if not form.get(name):
                raise _oauth_error(400, "invalid_request",
                                   f"A required parameter \"{name}\" is missing", rule=True)
        grant = store.grants.get(form["code"])
        if (grant is None or grant.used or grant.client_id != app.client_id
                or time.time() >= grant.expires_at):
            raise _oauth_error(400, "invalid_request", BAD_CODE)
        grant.used = True
        if form["redirect_uri"] != grant.redirect_uri:
            raise _oauth_error(400, "invalid_request", BAD_CODE, rule=True)
        access, refresh = store.issue(app.client_id, grant.member_id, grant.scopes)
        return Reply(200, _token_body(store, access.value, refresh.value if refresh else None))
    if not app.refresh_tokens:
        raise _oauth_error(400, "invalid_request",
                           "Refresh tokens are not enabled for this application")
    old = store.tokens.get(form.get("refresh_token", ""))
    now = time.time()
    if (old is None or old.kind != "refresh" or old.client_id != app.client_id or old.revoked
            or now >= old.expires_at):
        raise _oauth_error(400, "invalid_request",
                           "The provided authorization grant or refresh token is invalid, "
                           "expired or revoked.")
    # the refresh token is kept (not rotated) and keeps its first expiry
    access = store.issue(app.client_id, old.member_id, old.scopes, with_refresh=False)[0]
    return Reply(200, _token_body(store, access.value, old.value))


def introspect(store: Store, req: Request) -> Reply:
    form = _form(req)
    app = _client(store, form)
    found = store.tokens.get(form.get("token", ""))
    if found is None or found.client_id != app.client_id:
        return Reply(200, {"active": False})
    now = time.time()
    status = "revoked" if found.revoked else ("expired" if now >= found.expires_at else "active")
    return Reply(200, {
        "active": status == "active", "client_id": found.client_id,
        "authorized_at": int(found.created_at), "created_at": int(found.created_at),
        "status": status, "expires_at": int(found.expires_at),
        "scope": ",".join(found.scopes), "auth_type": "3L",
    })


def userinfo(store: Store, req: Request) -> Reply:
    assert req.token is not None
    assert req.member is not None
    scopes = set(req.token.scopes)
    if "openid" not in scopes:
        raise error(403, "Not enough permissions to access: userinfo.GET.NO_VERSION",
                    "ACCESS_DENIED", 100)
    member = req.member
    body: dict[str, object] = {"sub": member.id}
    if "profile" in scopes:
        body.update({"name": member.name, "given_name": member.given_name,
                     "family_name": member.family_name, "picture": member.picture,
                     "locale": {"country": "US", "language": "en"}})
    if "email" in scopes:
        body.update({"email": member.email, "email_verified": True})
    return Reply(200, body)


ROUTES = {
    ("GET", "/oauth/v2/authorization"): authorize_page,
    ("POST", "/oauth/v2/authorization"): authorize_decide,
    ("POST", "/oauth/v2/accessToken"): access_token,
    ("POST", "/oauth/v2/introspectToken"): introspect,
}
