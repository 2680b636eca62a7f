"""The Login dialog (www.facebook.com/{version}/dialog/oauth): what a person sees and clicks.

From docs/facebook-login/guides/advanced/manual-flow ("Invoking the Login Dialog": client_id,
redirect_uri, state, response_type, scope; "Canceled Login": the redirect carries
`error_reason=user_denied&error=access_denied&error_description=Permissions+error`; the
redirect_uri must match one of the app's "Valid OAuth Redirect URIs" exactly) and
docs/facebook-login/guides/permissions (comma-separated scope). The Page picker is the
checkbox list Facebook shows when an app asks for pages_* permissions (the "Choose the Pages
you want ... to access" step of business login); the person may tick only some Pages.

The page has a "Signed in as" line, one checkbox per Page the person has a role on, and two
buttons: **Continue** and **Cancel**.
"""

from __future__ import annotations

import html
import secrets
import time
from urllib.parse import urlencode

from tests.peers.facebook.state import PERMISSIONS, Code, Grant, Store
from tests.peers.facebook.wire import Reply, Request

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:34rem;margin:2rem auto}}
fieldset{{border:1px solid #ccd;padding:.5rem 1rem}}button{{margin:.5rem .5rem 0 0}}</style>
</head><body><main>{body}</main></body></html>"""


def _page(status: int, title: str, body: str) -> Reply:
    return Reply(status, PAGE.format(title=html.escape(title), body=body),
                 "text/html; charset=utf-8")


def refuse(store: Store, req: Request, title: str, text: str) -> Reply:
    store.protocol.append({"method": req.method, "path": req.path, "rule": text,
                           "status": 400})
    return _page(400, title, f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>")


def show(store: Store, req: Request) -> Reply:
    p = req.params
    app = store.apps.get(p.get("client_id", ""))
    if app is None:
        return refuse(store, req, "Error", "Invalid App ID: The provided app ID does not look "
                      "like a valid app ID.")
    redirect = p.get("redirect_uri", "")
    if redirect not in app.redirect_uris:
        return refuse(store, req, "URL blocked", "This redirect failed because the redirect "
                      "URI is not whitelisted in the app\u2019s Client OAuth Settings. Make sure "
                      "Client and Web OAuth Login are on and add all your app domains as Valid "
                      "OAuth Redirect URIs.")
    response_type = p.get("response_type", "code")
    if response_type != "code":
        store.protocol.append({"method": req.method, "path": req.path, "status": 200,
                               "rule": f"response_type={response_type}: a server app asks "
                                       "for code"})
    scopes = [s for s in p.get("scope", "").replace(" ", ",").split(",") if s]
    unknown = [s for s in scopes if s not in PERMISSIONS]
    if unknown:
        return refuse(store, req, "Invalid Scopes", "Invalid Scopes: " + ", ".join(unknown)
                      + ". This message is only shown to developers.")
    if not p.get("state"):
        store.protocol.append({"method": req.method, "path": req.path, "status": 200,
                               "rule": "no state: manual-flow says to use it against CSRF"})
    form = secrets.token_urlsafe(12)
    request = {"client_id": app.id, "redirect_uri": redirect, "state": p.get("state"),
               "scopes": scopes, "response_type": response_type, "form": form}
    store.forms[form] = request
    store.dialogs.append(dict(request))
    user = store.users.get(store.signed_in or "")
    if user is None:
        return _page(200, "Log in to Facebook", "<h1>Log in to Facebook</h1>"
                     "<p>No one is signed in (create a user first).</p>")
    pages = [pg for pg in store.pages.values() if user.id in pg.roles]
    asks_pages = any(s.startswith("pages_") for s in scopes)
    boxes = "".join(
        f'<label><input type=checkbox name=page value={pg.id} checked> '
        f"{html.escape(pg.name)}</label><br>" for pg in pages) if asks_pages else ""
    picker = (f"<fieldset><legend>Choose the Pages you want {html.escape(app.name)} to "
              f"access</legend>{boxes or 'You have no Pages.'}</fieldset>") if asks_pages else ""
    wanted = ", ".join(scopes) or "public_profile"
    action = f"/{req.version}/dialog/oauth" if req.version else "/dialog/oauth"
    body = (f"<h1>{html.escape(app.name)} is requesting access</h1>"
            f"<p>Signed in as <strong>{html.escape(user.name)}</strong></p>"
            f"<p>{html.escape(app.name)} would like: {html.escape(wanted)}</p>"
            f'<form method=post action="{action}">'
            f"<input type=hidden name=form value={form}>"
            f"<input type=hidden name=user_id value={user.id}>{picker}"
            "<button type=submit name=decision value=continue>Continue</button>"
            "<button type=submit name=decision value=cancel>Cancel</button></form>")
    return _page(200, "Facebook", body)


def submit(store: Store, req: Request) -> Reply:
    request = store.forms.pop(req.params.get("form", ""), None)
    if request is None:
        return refuse(store, req, "Error", "This dialog has expired or was already answered.")
    user = store.users.get(req.params.get("user_id", ""))
    if user is None:
        return refuse(store, req, "Error", "No such person.")
    redirect = request["redirect_uri"]
    state = {"state": request["state"]} if request["state"] is not None else {}
    if req.params.get("decision") != "continue":
        query = urlencode({"error_reason": "user_denied", "error": "access_denied",
                           "error_description": "Permissions error", **state})
        return _redirect(redirect, query)
    picked = [pid for pid in req.lists.get("page", []) if user.id in
              (store.pages[pid].roles if pid in store.pages else {})]
    app_id = request["client_id"]
    key = (user.id, app_id)
    old = store.grants.get(key)
    scopes = sorted(set(request["scopes"]) | {"public_profile"}
                    | (set(old.scopes) if old and not old.revoked else set()))
    if not any(s.startswith("pages_") for s in request["scopes"]) and old and not old.revoked:
        picked = old.page_ids
    store.grants[key] = Grant(user.id, app_id, scopes, picked)
    code = Code(secrets.token_urlsafe(180)[:240], app_id, user.id, redirect,
                time.time() + store.code_seconds)
    store.codes[code.value] = code
    return _redirect(redirect, urlencode({"code": code.value, **state}))


def _redirect(uri: str, query: str) -> Reply:
    # Facebook appends "#_=_" to the redirect (a long-known quirk; browsers keep it).
    joiner = "&" if "?" in uri else "?"
    return Reply(302, None, headers={"Location": f"{uri}{joiner}{query}#_=_"})
