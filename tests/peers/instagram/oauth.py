"""Business Login for Instagram: the authorization window (www.instagram.com/oauth/authorize),
the code exchange (POST api.instagram.com/oauth/access_token), the long-lived exchange (GET
graph.instagram.com/access_token, grant_type=ig_exchange_token), the refresh (GET
graph.instagram.com/refresh_access_token, grant_type=ig_refresh_token) and /me.

Sources (developers.facebook.com/docs/instagram-platform/...): instagram-api-with-instagram-
login/business-login (window parameters client_id, redirect_uri, response_type=code, scope as
a comma-separated list, state; the code "valid for 1 hour" and single use; `#_` appended to
the redirect; the exchange answer with access_token, user_id, permissions; a denied request
redirects with error, error_reason and error_description), reference/oauth-authorize
(redirect_uri must match a valid OAuth redirect URI exactly; state passed back),
reference/access_token (short-lived tokens last an hour, long-lived 60 days; the answer
`{access_token, token_type: "bearer", expires_in}`), reference/refresh_access_token (only a
long-lived token at least 24 hours old and unexpired; the refreshed one lasts 60 days;
instagram_business_basic needed), reference/me and reference/user (fields).
"""

from __future__ import annotations

import html
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from tests.peers.facebook.render import fields, pick
from tests.peers.facebook.wire import GraphError, Reply, Request, invalid
from tests.peers.instagram.access import authenticate, token_value
from tests.peers.instagram.state import PERMISSIONS, Code, Grant, Store
from tests.peers.instagram.wire import oauth_error, token_error

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:30rem;margin:2rem auto}}
button{{margin:.5rem .5rem 0 0}}</style></head><body><main>{body}</main></body></html>"""


def _page(status: int, title: str, body: str) -> Reply:
    return Reply(status, PAGE.format(title=html.escape(title), body=body),
                 "text/html; charset=utf-8")


def _refuse(store: Store, req: Request, text: str) -> Reply:
    store.protocol.append({"method": req.method, "path": req.path, "rule": text,
                           "status": 400})
    return _page(400, "Instagram", f"<h1>Sorry, this page isn't available.</h1>"
                 f"<p>{html.escape(text)}</p>")


def scopes_of(raw: str) -> list[str]:
    return [s for s in raw.replace(" ", ",").split(",") if s]


def show(store: Store, req: Request) -> Reply:
    p = req.params
    app = store.apps.get(p.get("client_id", ""))
    if app is None:
        return _refuse(store, req, "Invalid platform app")
    redirect = p.get("redirect_uri", "")
    if redirect not in app.redirect_uris:
        return _refuse(store, req, "Invalid redirect_uri: it must match one of the app's "
                       "valid OAuth redirect URIs exactly")
    if p.get("response_type") != "code":
        return _refuse(store, req, f"response_type must be code, not "
                       f"{p.get('response_type')!r}")
    scopes = scopes_of(p.get("scope", ""))
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown:
        return _refuse(store, req, "Invalid Scopes: " + ", ".join(unknown))
    if "instagram_business_basic" not in scopes:
        return _refuse(store, req, "Invalid Scopes: instagram_business_basic is required")
    if not p.get("state"):
        store.protocol.append({"method": req.method, "path": req.path, "status": 200,
                               "rule": "no state: oauth-authorize offers it against CSRF"})
    form = secrets.token_urlsafe(12)
    request = {"client_id": app.id, "redirect_uri": redirect, "state": p.get("state"),
               "scopes": scopes, "response_type": p.get("response_type"), "form": form,
               "force_reauth": p.get("force_reauth")}
    store.forms[form] = request
    store.windows.append(dict(request))
    user = store.users.get(store.signed_in or "")
    if user is None:
        return _page(200, "Instagram", "<h1>Log in to Instagram</h1>"
                     "<p>No one is signed in (create a user first).</p>")
    wanted = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    body = (f"<h1>Allow {html.escape(app.name)} to access your Instagram account?</h1>"
            f"<p>Signed in as <strong>@{html.escape(user.username)}</strong></p>"
            f"<ul>{wanted}</ul><form method=post action=/oauth/authorize>"
            f"<input type=hidden name=form value={form}>"
            f"<input type=hidden name=user_id value={user.id}>"
            "<button type=submit name=decision value=allow>Allow</button>"
            "<button type=submit name=decision value=cancel>Cancel</button></form>")
    return _page(200, "Instagram", body)


def submit(store: Store, req: Request) -> Reply:
    request = store.forms.pop(req.params.get("form", ""), None)
    if request is None:
        return _refuse(store, req, "This authorization window expired or was answered.")
    user = store.users.get(req.params.get("user_id", ""))
    if user is None:
        return _refuse(store, req, "No such account.")
    state = {"state": request["state"]} if request["state"] is not None else {}
    if req.params.get("decision") != "allow":
        return _redirect(request["redirect_uri"], urlencode({
            "error_reason": "user_denied", "error": "access_denied",
            "error_description": "The user denied your request.", **state}))
    app_id = request["client_id"]
    old = store.grants.get((user.id, app_id))
    kept = set(old.scopes) if old and not old.revoked else set()
    store.grants[(user.id, app_id)] = Grant(user.id, app_id,
                                            sorted(kept | set(request["scopes"])))
    code = Code("AQ" + secrets.token_urlsafe(150), app_id, user.id, request["redirect_uri"],
                time.time() + store.code_seconds)
    store.codes[code.value] = code
    return _redirect(request["redirect_uri"], urlencode({"code": code.value, **state}))


def _redirect(uri: str, query: str) -> Reply:
    joiner = "&" if "?" in uri else "?"
    return Reply(302, None, headers={"Location": f"{uri}{joiner}{query}#_"})


def exchange_code(store: Store, req: Request) -> Reply:
    """POST api.instagram.com/oauth/access_token (form fields client_id, client_secret,
    grant_type=authorization_code, redirect_uri, code)."""
    if req.method != "POST":
        raise oauth_error("The code exchange is a POST", rule="GET /oauth/access_token",
                          status=405)
    p = req.params
    for name in ("client_id", "client_secret", "grant_type", "redirect_uri", "code"):
        if not p.get(name):
            raise oauth_error(f"You must provide a {name}", rule=f"code exchange without {name}")
    app = store.apps.get(p["client_id"])
    if app is None:
        raise oauth_error("Invalid platform app", rule="unknown client_id")
    if p["client_secret"] != app.secret:
        raise oauth_error("Error validating client secret.", rule="wrong client_secret")
    if p["grant_type"] != "authorization_code":
        raise oauth_error(f"Invalid grant_type {p['grant_type']}",
                          rule=f"grant_type={p['grant_type']}")
    value = p["code"]
    if value.endswith("#_"):
        raise oauth_error("Invalid authorization code", rule="the code sent with its #_")
    code = store.codes.get(value)
    if code is None or code.app_id != app.id or code.used:
        raise oauth_error("Matching code was not found or was already used",
                          rule="an authorization code used twice" if code and code.used
                          else "an unknown code")
    if code.expires_at <= time.time():
        raise oauth_error("This authorization code has expired.")
    if p["redirect_uri"] != code.redirect_uri:
        raise oauth_error("Error validating verification code. Please make sure your "
                          "redirect_uri is identical to the one you used in the OAuth dialog "
                          "request", rule="redirect_uri differs from the window's")
    code.used = True
    token = store.issue(app.id, code.user_id, long_lived=False)
    grant = store.grants[(code.user_id, app.id)]
    user = store.users[code.user_id]
    row: dict[str, Any] = {"access_token": token.value,
                           "user_id": store.scoped_id(user, app.id),
                           "permissions": ",".join(grant.scopes)}
    if store.code_answer == "flat":  # reference/oauth-access-token's example: a number
        row["permissions"] = list(grant.scopes)
        row["user_id"] = int(row["user_id"])
        return Reply(200, row)
    return Reply(200, {"data": [row]})


def _app_of(store: Store, req: Request) -> Any:
    value = token_value(req) or ""
    token = store.tokens.get(value)
    if token is None or not token.live(time.time()):
        raise token_error(token, value)
    return token


def long_lived(store: Store, req: Request) -> Reply:
    """GET graph.instagram.com/access_token?grant_type=ig_exchange_token&client_secret&
    access_token (a valid short-lived token)."""
    p = req.params
    if p.get("grant_type") != "ig_exchange_token":
        raise invalid(f"(#100) grant_type must be ig_exchange_token, not "
                      f"{p.get('grant_type')!r}", rule="ig_exchange_token without grant_type")
    token = _app_of(store, req)
    app = store.apps[token.app_id]
    if p.get("client_secret") != app.secret:
        raise GraphError(101, "Error validating client secret.", rule="wrong client_secret")
    if token.long_lived:
        raise invalid("(#100) The access token is already long-lived",
                      rule="ig_exchange_token with a long-lived token")
    new = store.issue(app.id, token.user_id, long_lived=True)
    return Reply(200, {"access_token": new.value, "token_type": "bearer",
                       "expires_in": int(store.long_token_seconds)})


def refresh(store: Store, req: Request) -> Reply:
    """GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token."""
    if req.params.get("grant_type") != "ig_refresh_token":
        raise invalid("(#100) grant_type must be ig_refresh_token",
                      rule="refresh without grant_type=ig_refresh_token")
    token = authenticate(store, req)
    if not token.long_lived:
        raise invalid("(#100) Only a long-lived access token can be refreshed",
                      rule="a short-lived token refreshed")
    if time.time() - token.issued_at < store.refresh_after_seconds:
        raise invalid("(#100) The access token can be refreshed once it is at least 24 hours "
                      "old", rule="a token refreshed before it was 24 hours old")
    grant = store.grants[(token.user_id, token.app_id)]
    if "instagram_business_basic" not in grant.scopes:
        raise GraphError(10, "(#10) refresh_access_token requires instagram_business_basic",
                         rule="refresh without instagram_business_basic")
    new = store.issue(token.app_id, token.user_id, long_lived=True)
    return Reply(200, {"access_token": new.value, "token_type": "bearer",
                       "expires_in": int(store.long_token_seconds)})


ME_FIELDS = {"id", "user_id", "username", "name", "account_type", "profile_picture_url",
             "followers_count", "follows_count", "media_count"}


def me(store: Store, req: Request) -> Reply:
    token = authenticate(store, req)
    user = store.users[token.user_id]
    count = sum(1 for m in store.media.values()
                if m.user_id == user.id and not m.deleted and m.parent_id is None)
    obj = {"id": store.scoped_id(user, token.app_id), "user_id": user.id,
           "username": user.username, "name": user.name, "account_type": user.account_type,
           "profile_picture_url": f"{req.origin}/_cdn/profile/{user.id}.jpg",
           "followers_count": 0, "follows_count": 0, "media_count": count}
    answer = pick(obj, fields(req, "User", ME_FIELDS, ["id"]))
    if store.me_answer == "data":  # as the get-started page prints it
        return Reply(200, {"data": [answer]})
    return Reply(200, answer)


ROUTES = {
    ("GET", "/oauth/authorize"): show,
    ("POST", "/oauth/authorize"): submit,
    ("POST", "/oauth/access_token"): exchange_code,
    ("GET", "/oauth/access_token"): exchange_code,
    ("GET", "/access_token"): long_lived,
    ("GET", "/refresh_access_token"): refresh,
    ("GET", "/me"): me,
}
