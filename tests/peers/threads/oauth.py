"""Threads' authorization: the Authorization Window (threads.net/oauth/authorize: what a person
sees and clicks) and graph.threads.net's token endpoints: /oauth/access_token (code exchange,
client_credentials), /access_token (th_exchange_token), /refresh_access_token
(th_refresh_token).

Sources: get-started/get-access-tokens-and-permissions (the window's client_id, redirect_uri
"exactly matches one of the base URIs in your list of valid OAuth URIs", scope comma- or
space-separated with threads_basic required, response_type=code, optional state passed back,
"#_" appended to the redirect; codes "valid for 1 hour and can only be used once"; the
exchange's client_id, client_secret, code, grant_type=authorization_code, redirect_uri "must
be the same URI"; the answer `{access_token, user_id}`), get-started/long-lived-tokens
(`GET /access_token?grant_type=th_exchange_token&client_secret&access_token` and
`GET /refresh_access_token?grant_type=th_refresh_token&access_token`, both answering
`{access_token, token_type: "bearer", expires_in}`; refresh only for long-lived tokens "at
least 24 hours old but have not expired", valid 60 days from the refresh), App Access Tokens
(`TH|<APP_ID>|...`). README.md says where the error wordings come from.
"""

from __future__ import annotations

import html
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from tests.peers.facebook.wire import GraphError, Reply, Request, invalid, token_error
from tests.peers.threads.access import th_invalid
from tests.peers.threads.state import PERMISSIONS, App, Code, Grant, Store, Token

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto}}
button{{margin:.5rem .5rem 0 0}}</style></head><body><main>{body}</main></body></html>"""


def _page(status: int, title: str, body: str) -> Reply:
    return Reply(status, PAGE.format(title=html.escape(title), body=body),
                 "text/html; charset=utf-8")


def _refuse(store: Store, req: Request, text: str) -> Reply:
    store.protocol.append({"method": req.method, "path": req.path, "rule": text,
                           "status": 400})
    return _page(400, "Threads", f"<h1>Something went wrong</h1><p>{html.escape(text)}</p>")


def window(store: Store, req: Request) -> Reply:
    """GET /oauth/authorize: the consent screen, or an error page (no redirect) when the app or
    its redirect URI is wrong."""
    p = req.params
    app = store.apps.get(p.get("client_id", ""))
    if app is None:
        return _refuse(store, req, "Invalid platform app: no app has this client_id.")
    redirect = p.get("redirect_uri", "")
    if redirect not in app.redirect_uris:
        return _refuse(store, req, "Invalid redirect_uri: it is not one of the app's valid "
                       "OAuth redirect URIs (exact match).")
    if p.get("response_type") != "code":
        return _refuse(store, req, f"response_type must be code, not "
                       f"{p.get('response_type')!r}.")
    scopes = [s for s in p.get("scope", "").replace(",", " ").split() if s]
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown or "threads_basic" not in scopes:
        return _refuse(store, req, "Invalid scope: " + (", ".join(unknown) if unknown else
                                                       "threads_basic is required") + ".")
    form = secrets.token_urlsafe(12)
    request = {"client_id": app.id, "redirect_uri": redirect, "state": p.get("state"),
               "scopes": scopes, "form": form}
    store.forms[form] = request
    store.windows.append(dict(request))
    user = store.users.get(store.signed_in or "")
    if user is None:
        return _page(200, "Log in • Threads", "<h1>Log in to Threads</h1>"
                     "<p>No one is signed in (create a user first).</p>")
    body = (f"<h1>Allow {html.escape(app.name)} to access your Threads profile?</h1>"
            f"<p>Signed in as <strong>@{html.escape(user.username)}</strong></p>"
            f"<p>{html.escape(app.name)} would like: {html.escape(', '.join(scopes))}</p>"
            '<form method=post action="/oauth/authorize">'
            f"<input type=hidden name=form value={form}>"
            f"<input type=hidden name=user_id value={user.id}>"
            "<button type=submit name=decision value=allow>Allow</button>"
            "<button type=submit name=decision value=cancel>Cancel</button></form>")
    return _page(200, "Threads", body)


def decide(store: Store, req: Request) -> Reply:
    """POST /oauth/authorize: Allow (a code) or Cancel (the error redirect), both with state."""
    request = store.forms.pop(req.params.get("form", ""), None)
    if request is None:
        return _refuse(store, req, "This window has expired or was already answered.")
    user = store.users.get(req.params.get("user_id", ""))
    if user is None:
        return _refuse(store, req, "No such person.")
    state = {"state": request["state"]} if request["state"] is not None else {}
    if req.params.get("decision") != "allow":
        return _redirect(request["redirect_uri"], urlencode({
            "error": "access_denied", "error_reason": "user_denied",
            "error_description": "The user denied your request.", **state}))
    key = (user.id, request["client_id"])
    old = store.grants.get(key)
    kept = set(old.scopes) if old and not old.revoked else set()
    store.grants[key] = Grant(user.id, request["client_id"],
                              sorted(set(request["scopes"]) | kept))
    code = Code(secrets.token_urlsafe(150)[:200], request["client_id"], user.id,
                request["redirect_uri"], time.time() + store.code_seconds)
    store.codes[code.value] = code
    return _redirect(request["redirect_uri"], urlencode({"code": code.value, **state}))


def _redirect(uri: str, query: str) -> Reply:
    joiner = "&" if "?" in uri else "?"
    return Reply(302, None, headers={"Location": f"{uri}{joiner}{query}#_"})


# --- graph.threads.net ---------------------------------------------------------------------
class CodeError(GraphError):
    """A refused code exchange. Answered flat, `{"error_type", "code", "error_message"}`, as
    the authorization endpoints Threads shares with Instagram's Authorization Window answer
    (README.md); `settings(code_error_shape="graph")` answers Graph's `{"error": {...}}`."""

    def __init__(self, store: Store, message: str, rule: str | None = None) -> None:
        super().__init__(100 if store.code_error_shape == "graph" else 400, message,
                         rule=rule)
        if store.code_error_shape != "graph":
            self.reply = Reply(400, {"error_type": "OAuthException", "code": 400,
                                     "error_message": message})


def _app(store: Store, req: Request) -> App:
    app = store.apps.get(req.params.get("client_id", ""))
    if app is None:
        raise CodeError(store, "Invalid platform app", rule="unknown client_id")
    if req.params.get("client_secret") != app.secret:
        raise CodeError(store, "Error validating client secret.", rule="wrong client_secret")
    return app


def access_token(store: Store, req: Request) -> Reply:
    """/oauth/access_token: grant_type=authorization_code (the window's code) or
    client_credentials (an app token)."""
    p = req.params
    grant_type = p.get("grant_type")
    if grant_type == "client_credentials":
        app = _app(store, req)
        value = f"TH|{app.id}|{secrets.token_urlsafe(27)}"
        store.tokens[value] = Token(value, "app", app.id, None, None, time.time(), 0.0, True)
        return Reply(200, {"access_token": value, "token_type": "bearer"})
    if grant_type != "authorization_code":
        raise CodeError(store, f"Invalid grant_type: {grant_type}",
                        rule=f"grant_type={grant_type!r} on /oauth/access_token")
    app = _app(store, req)
    for name in ("redirect_uri", "code"):
        if not p.get(name):
            raise CodeError(store, f"Missing required parameter {name}",
                            rule=f"code exchange without {name}")
    code = store.codes.get(p["code"])
    if code is None or code.app_id != app.id:
        raise CodeError(store, "Matching code was not found or was already used",
                        rule="an unknown code")
    if code.used:
        raise CodeError(store, "This authorization code has been used",
                        rule="an authorization code used twice")
    if code.expires_at <= time.time():
        raise CodeError(store, "This authorization code has expired")
    if p["redirect_uri"] != code.redirect_uri:
        raise CodeError(store, "Error validating verification code. Please make sure your "
                        "redirect_uri is identical to the one you used in the OAuth dialog "
                        "request", rule="redirect_uri differs from the window's")
    code.used = True
    token = store.issue(app.id, code.user_id, long_lived=False)
    return Reply(200, {"access_token": token.value, "user_id": int(code.user_id)})


def _live(store: Store, value: str) -> Token:
    token = store.find_token(value)
    if token is None or not token.live(time.time()) or token.kind != "user":
        raise token_error(token if token and token.kind == "user" else None, value)
    grant = store.grants.get((token.user_id or "", token.app_id))
    if grant is None or grant.revoked:
        token.invalid_reason = "deauthorized"
        raise token_error(token, value)
    return token


def _long_answer(token: Token) -> Reply:
    return Reply(200, {"access_token": token.value, "token_type": "bearer",
                       "expires_in": int(token.expires_at - time.time())})


def exchange(store: Store, req: Request) -> Reply:
    """GET /access_token?grant_type=th_exchange_token&client_secret&access_token."""
    p = req.params
    if p.get("grant_type") != "th_exchange_token":
        raise invalid(f"Unsupported grant_type: {p.get('grant_type')}",
                      rule="/access_token without grant_type=th_exchange_token")
    short = _live(store, p.get("access_token", ""))
    app = store.apps[short.app_id]
    if p.get("client_secret") != app.secret:
        raise GraphError(1, "Error validating client secret.", rule="wrong client_secret")
    if short.long_lived:
        store.protocol.append({"method": req.method, "path": req.path, "status": 200,
                               "rule": "th_exchange_token with a long-lived token"})
    token = store.issue(app.id, short.user_id or "", long_lived=True)
    return _long_answer(token)


def refresh(store: Store, req: Request) -> Reply:
    """GET /refresh_access_token?grant_type=th_refresh_token&access_token: a long-lived token
    at least 24 hours old and not expired; the new one is valid 60 days from now."""
    p = req.params
    if p.get("grant_type") != "th_refresh_token":
        raise invalid(f"Unsupported grant_type: {p.get('grant_type')}",
                      rule="/refresh_access_token without grant_type=th_refresh_token")
    token = _live(store, p.get("access_token", ""))
    if not token.long_lived:
        raise th_invalid("Only long-lived access tokens can be refreshed",
                         rule="th_refresh_token with a short-lived token")
    age = time.time() - token.issued_at
    if age < store.refresh_min_age_seconds:
        raise th_invalid("The access token must be at least 24 hours old to be refreshed",
                         rule=f"th_refresh_token on a token {int(age)} s old")
    grant = store.grants[(token.user_id or "", token.app_id)]
    if "threads_basic" not in grant.scopes:
        raise GraphError(10, "Application does not have permission for this action",
                         rule="refresh without threads_basic")
    fresh = store.issue(token.app_id, token.user_id or "", long_lived=True)
    return _long_answer(fresh)


def debug_token(store: Store, req: Request) -> Reply:
    """GET /debug_token?input_token=... with an app token (TH|...) or a user token of that
    app: `{"data": {type, application, is_valid, issued_at, expires_at,
    data_access_expires_at, scopes, user_id}}` (reference/debug-token)."""
    caller_value = req.params.get("access_token") or ""
    caller = store.find_token(caller_value)
    if caller is None or not caller.live(time.time()):
        raise token_error(caller, caller_value)
    value = req.params.get("input_token")
    if not value:
        raise invalid("(#100) The parameter input_token is required", rule="no input_token")
    token = store.find_token(value)
    if token is None or token.kind != "user" or token.app_id != caller.app_id:
        return Reply(200, {"data": {"is_valid": False, "scopes": [], "error": {
            "code": 190, "message": "Invalid OAuth access token."}}})
    grant = store.grants.get((token.user_id or "", token.app_id))
    live = token.live(time.time()) and grant is not None and not grant.revoked
    data: dict[str, Any] = {
        "type": "USER", "application": store.apps[token.app_id].name,
        "data_access_expires_at": int(token.issued_at + 90 * 86400),
        "expires_at": int(token.expires_at), "is_valid": live,
        "issued_at": int(token.issued_at), "scopes": list(grant.scopes) if grant else [],
        "user_id": token.user_id}
    if not live:
        body = token_error(token, value).reply.body["error"]
        data["error"] = {"code": 190, "message": body["message"],
                         **({"subcode": body["error_subcode"]}
                            if "error_subcode" in body else {})}
    return Reply(200, {"data": data})


def token_dict(token: Token) -> dict[str, Any]:
    return {"access_token": token.value, "user_id": token.user_id, "app_id": token.app_id,
            "long_lived": token.long_lived, "issued_at": token.issued_at,
            "expires_at": token.expires_at, "invalid_reason": token.invalid_reason}


ROUTES = {
    ("GET", "/oauth/authorize"): window,
    ("POST", "/oauth/authorize"): decide,
    ("POST", "/oauth/access_token"): access_token,
    ("GET", "/oauth/access_token"): access_token,
    ("GET", "/access_token"): exchange,
    ("GET", "/refresh_access_token"): refresh,
    ("GET", "/debug_token"): debug_token,
}
