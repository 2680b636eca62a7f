"""graph.facebook.com's login endpoints: /oauth/access_token (code exchange, fb_exchange_token,
client_credentials), /debug_token, /me, /me/permissions (read and revoke), /me/accounts (the
Pages picked in the dialog, each with its Page access token).

Sources: docs/facebook-login/guides/advanced/manual-flow ("Exchanging Code for an Access
Token": client_id, redirect_uri, client_secret, code; the answer
`{access_token, token_type, expires_in}`; "Inspecting Access Tokens" with /debug_token;
"Checking permissions" with /me/permissions; "Deleting permissions"),
docs/facebook-login/guides/access-tokens/get-long-lived (fb_exchange_token; "If you used a
long-lived User access token, the Page access token has no expiration date"),
docs/facebook-login/guides/access-tokens (app access tokens, client_credentials),
docs/pages-api/getting-started and docs/graph-api/reference/user/accounts (/me/accounts:
access_token, category, category_list, name, id, tasks).
The error wordings for codes (used, expired, redirect mismatch, bad secret, unknown app) are
Meta's as quoted in public reports; README.md lists them.
"""

from __future__ import annotations

import time
from typing import Any

from tests.peers.facebook.access import authenticate, grant_of
from tests.peers.facebook.render import fields, page_of, pick
from tests.peers.facebook.state import App, Store, Token
from tests.peers.facebook.wire import GraphError, Reply, Request, invalid, token_error


def _app(store: Store, req: Request, *, secret: bool = True) -> App:
    p = req.params
    app = store.apps.get(p.get("client_id", ""))
    if app is None:
        raise GraphError(101, "Error validating application. Invalid application ID.",
                         rule="unknown client_id")
    if secret and p.get("client_secret") != app.secret:
        raise GraphError(1, "Error validating client secret.", rule="wrong client_secret")
    return app


def access_token(store: Store, req: Request) -> Reply:
    p = req.params
    grant_type = p.get("grant_type")
    if grant_type == "client_credentials":
        app = _app(store, req)
        return Reply(200, {"access_token": store.app_token(app).value, "token_type": "bearer"})
    if grant_type == "fb_exchange_token":
        return _exchange(store, req)
    if grant_type not in (None, "authorization_code"):
        raise invalid(f"Unsupported grant_type: {grant_type}", rule=f"grant_type={grant_type}")
    app = _app(store, req)
    for name in ("redirect_uri", "code"):
        if not p.get(name):
            raise invalid(f"Missing {name} parameter.", rule=f"code exchange without {name}")
    code = store.codes.get(p["code"])
    now = time.time()
    if code is None or code.app_id != app.id:
        raise invalid("Invalid verification code format.", rule="an unknown code")
    if code.used:
        raise invalid("This authorization code has been used.", subcode=36009,
                      rule="an authorization code used twice")
    if code.expires_at <= now:
        raise invalid("This authorization code has expired.", subcode=36007)
    if p["redirect_uri"] != code.redirect_uri:
        raise invalid("Error validating verification code. Please make sure your redirect_uri "
                      "is identical to the one you used in the OAuth dialog request",
                      subcode=36008, rule="redirect_uri differs from the dialog's")
    code.used = True
    long_lived = store.code_gives_long_lived
    seconds = store.long_token_seconds if long_lived else store.short_token_seconds
    token = store.issue("user", app.id, code.user_id, None, seconds, long_lived)
    return Reply(200, {"access_token": token.value, "token_type": "bearer",
                       "expires_in": int(seconds)})


def _exchange(store: Store, req: Request) -> Reply:
    app = _app(store, req)
    value = req.params.get("fb_exchange_token", "")
    short = store.find_token(value)
    if short is None or not short.live(time.time()) or short.app_id != app.id:
        raise token_error(short if short and short.app_id == app.id else None, value)
    if short.kind != "user":
        raise invalid("fb_exchange_token takes a User access token",
                      rule=f"fb_exchange_token with a {short.kind} token")
    seconds = store.long_token_seconds
    token = store.issue("user", app.id, short.user_id, None, seconds, True)
    return Reply(200, {"access_token": token.value, "token_type": "bearer",
                       "expires_in": int(seconds)})


def debug_token(store: Store, req: Request) -> Reply:
    caller = authenticate(store, req)
    assert caller is not None
    value = req.params.get("input_token")
    if not value:
        raise invalid("(#100) The parameter input_token is required", rule="no input_token")
    token = store.find_token(value)
    if token is None:
        return Reply(200, {"data": {"error": {"code": 190, "message": "Invalid OAuth access "
                                              "token."}, "is_valid": False, "scopes": []}})
    app = store.apps[token.app_id]
    grant = grant_of(store, token)
    data: dict[str, Any] = {"app_id": app.id, "type": token.kind.upper(),
                            "application": app.name, "expires_at": int(token.expires_at),
                            "is_valid": token.live(time.time()) and (
                                token.kind == "app" or bool(grant and not grant.revoked))}
    if token.kind != "app":
        data.update({
            "data_access_expires_at": int(token.issued_at + 90 * 86400),
            "issued_at": int(token.issued_at), "user_id": token.user_id,
            "scopes": list(grant.scopes) if grant else [],
            "granular_scopes": [{"scope": s, **({"target_ids": list(grant.page_ids)}
                                                if s.startswith("pages_") else {})}
                                for s in grant.scopes] if grant else []})
        if token.page_id:
            data["profile_id"] = token.page_id
    if not data["is_valid"]:
        if grant is None or grant.revoked:
            token.invalid_reason = token.invalid_reason or "deauthorized"
        body = token_error(token, value).reply.body["error"]
        data["error"] = {"code": 190, "message": body["message"],
                         **({"subcode": body["error_subcode"]} if "error_subcode" in body
                            else {})}
    return Reply(200, {"data": data})


def _user_token(store: Store, req: Request) -> Token:
    token = authenticate(store, req)
    assert token is not None
    if token.kind == "app":
        raise GraphError(2500, "An active access token must be used to query information "
                         "about the current user.", rule="/me with an app token")
    return token


def me(store: Store, req: Request) -> Reply:
    token = _user_token(store, req)
    if token.kind == "page":
        page = store.pages[token.page_id or ""]
        obj = {"id": page.id, "name": page.name, "category": page.category}
        return Reply(200, pick(obj, fields(req, "Page", {"id", "name", "category"},
                                           ["name", "id"])))
    user = store.users[token.user_id or ""]
    obj = {"id": user.id, "name": user.name}
    return Reply(200, pick(obj, fields(req, "User", {"id", "name"}, ["name", "id"])))


def permissions(store: Store, req: Request) -> Reply:
    token = _user_token(store, req)
    grant = grant_of(store, token)
    rows = [{"permission": s, "status": "granted"} for s in (grant.scopes if grant else [])]
    rows += [{"permission": s, "status": "declined"} for s in (grant.declined if grant else [])]
    return Reply(200, {"data": rows})


def revoke(store: Store, req: Request) -> Reply:
    """DELETE /me/permissions (everything: the app is removed) or /me/permissions/{name}."""
    token = _user_token(store, req)
    grant = grant_of(store, token)
    if grant is None:
        return Reply(200, {"success": True})
    name = req.path.rsplit("/", 1)[-1] if req.path.count("/") == 3 else None
    if name and name != "permissions":
        grant.scopes = [s for s in grant.scopes if s != name]
        grant.declined = sorted(set(grant.declined) | {name})
    else:
        grant.revoked = True
        for other in store.tokens.values():
            if other.user_id == grant.user_id and other.app_id == grant.app_id:
                other.invalid_reason = other.invalid_reason or "deauthorized"
    return Reply(200, {"success": True})


ACCOUNT_FIELDS = {"id", "name", "access_token", "category", "category_list", "tasks"}


def accounts(store: Store, req: Request) -> Reply:
    token = _user_token(store, req)
    if token.kind != "user":
        raise invalid("(#100) /me/accounts is read with a User access token",
                      rule="/me/accounts with a Page token")
    grant = grant_of(store, token)
    names = fields(req, "Page", ACCOUNT_FIELDS,
                   ["access_token", "category", "category_list", "name", "id", "tasks"])
    if grant is None or "pages_show_list" not in grant.scopes:
        return Reply(200, {"data": []})
    pages = [store.pages[pid] for pid in grant.page_ids
             if pid in store.pages and token.user_id in store.pages[pid].roles]

    def render(page: Any) -> dict[str, Any]:
        obj: dict[str, Any] = {"id": page.id, "name": page.name, "category": page.category,
                               "category_list": [{"id": "2700", "name": page.category}],
                               "tasks": store.page_tasks(page.id, token.user_id)}
        if "access_token" in names:
            seconds = 0.0 if token.long_lived else max(1.0, token.expires_at - time.time())
            obj["access_token"] = store.issue("page", token.app_id, token.user_id, page.id,
                                              seconds, token.long_lived).value
        return pick(obj, names)

    return Reply(200, page_of(req, pages, lambda pg: pg.id, render))


ROUTES = {
    ("GET", "/oauth/access_token"): access_token,
    ("POST", "/oauth/access_token"): access_token,
    ("GET", "/debug_token"): debug_token,
    ("GET", "/me"): me,
    ("GET", "/me/permissions"): permissions,
    ("DELETE", "/me/permissions"): revoke,
    ("DELETE", "/me/permissions/{permission}"): revoke,
    ("GET", "/me/accounts"): accounts,
}
