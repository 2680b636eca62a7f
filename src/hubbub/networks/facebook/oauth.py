"""Facebook Login (the manual flow) through the operator's Meta app, then the person's Pages.

"Manually Build a Login Flow" (developers.facebook.com/docs/facebook-login/guides/advanced/
manual-flow): send the person to `{www}/{version}/dialog/oauth` with client_id, redirect_uri,
state, scope and response_type=code; Facebook sends them back with `code` and `state`, or with
`error=access_denied` (`error_reason=user_denied`). The code is exchanged at
`GET {graph}/{version}/oauth/access_token` (client_id, redirect_uri, client_secret, code) for a
short-lived user token, which is exchanged for a long-lived one (grant_type=fb_exchange_token,
"Long-Lived Access Tokens": about 60 days).

"Get Page Access Tokens" (Pages API, overview): `GET /me/accounts` with the long-lived user
token lists the Pages the person can act on, each with its own Page token; a Page token got
from a long-lived user token has no expiry date. Each Page the person picks is a connection of
its own (Connected.other_accounts), holding its Page token only: the user token is not kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hubbub.connections.network_apps import OPERATOR_APP_NETWORKS, app_credentials
from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart, Connected, Identity
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.facebook import graph, reading
from hubbub.networks.facebook.graph import GRAPH_VERSION, Graph
from hubbub.networks.meta import login

SLUG = "facebook"
SCOPES = OPERATOR_APP_NETWORKS[SLUG].scopes
TOKEN_PATH = "oauth/access_token"  # noqa: S105 - a path, not a secret
ACCOUNTS_PAGE_SIZE = 100
ACCOUNTS_MAX_PAGES = 20  # 2,000 Pages: more than anyone administers
PAGE_FIELDS = "id,name,access_token,tasks"
NO_APP = ("The operator has not registered a Meta app for Facebook, so Facebook Pages cannot be "
          "connected yet: whoever runs this hub must add the app's ID and secret first.")
# What a Page task must include for hubbub to post as the Page ("Page tasks", Pages API).
POSTING_TASK = "CREATE_CONTENT"


def operator_app() -> AppCredentials:
    return oauth2.operator_app(SLUG, NO_APP)


def app_secret() -> str:
    """The app secret for appsecret_proof, or "" when no app is configured (then no proof is
    sent; Meta asks for one only when the app requires it)."""
    app = app_credentials(SLUG)
    return app.client_secret if app is not None else ""


def start(redirect_uri: str) -> AuthStart:
    """Where to send the person, and what to keep (server side) to finish."""
    return login.start(f"{graph.dialog_url()}/{GRAPH_VERSION}/dialog/oauth", operator_app(),
                       redirect_uri, SCOPES, keep={"graph_url": graph.graph_url()})


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any]) -> str:
    """The authorization code from Facebook's redirect, or a Rejected saying what went wrong."""
    return login.check_callback(
        params, state_data, "Facebook", trailing_hash=False,
        cancelled="Facebook Login was cancelled: nothing was connected. Start again if that "
                  "was a mistake.")


def exchange_code(base_url: str, code: str, redirect_uri: str) -> dict[str, Any]:
    """Trade the code for a short-lived user token, then that for a long-lived one."""
    app = operator_app()
    short = _token(base_url, {"client_id": app.client_id, "redirect_uri": redirect_uri,
                              "client_secret": app.client_secret, "code": code},
                   refusal="Facebook refused the sign-in code (it may have expired or been "
                           "used already): connect again")
    long_lived = _token(base_url, {"grant_type": "fb_exchange_token",
                                   "client_id": app.client_id,
                                   "client_secret": app.client_secret,
                                   "fb_exchange_token": short["access_token"]},
                        refusal="Facebook would not extend the sign-in to a long-lived login: "
                                "connect again")
    return long_lived


def _token(base_url: str, params: dict[str, str], *, refusal: str) -> dict[str, Any]:
    with Graph(base_url) as g:
        response = g.send("GET", TOKEN_PATH, params=params)
        if not response.ok:
            error = g.error(response)
            words = error.message.lower()
            if error.code == 101 or "client secret" in words or "client_secret" in words:
                raise Rejected("Facebook does not accept the hub's Meta app (App ID or App "
                               "Secret): the person who runs this hub must check them"
                               f"{error.said()}")
            if error.code in (1, 2) or response.status_code >= 500:
                g.result(response)  # raises Transient
            raise Rejected(f"{refusal}{error.said()}")
        body = g.result(response)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient("Facebook issued no access token")
    return body


def expires_at(answer: Mapping[str, Any]) -> str:
    """When a token answer's token expires (ISO 8601), or "" when it does not say."""
    seconds = answer.get("expires_in")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return (datetime.now(UTC) + timedelta(seconds=float(seconds))).isoformat()
    return ""


def pages(base_url: str, user_token: str) -> list[Connected]:
    """Every Page the person can act on, as a connection each (Page token, identity)."""
    found: list[Connected] = []
    grant_id = uuid.uuid4().hex
    params: dict[str, Any] = {"fields": PAGE_FIELDS, "limit": ACCOUNTS_PAGE_SIZE}
    with Graph(base_url, user_token, app_secret()) as g:
        for _ in range(ACCOUNTS_MAX_PAGES):
            body = g.get("me/accounts", params, what="list your Facebook Pages")
            entries = body.get("data")
            for entry in entries if isinstance(entries, list) else []:
                page = page_connection(base_url, entry, grant_id)
                if page is not None:
                    found.append(page)
            after = reading.after(body)
            if not after or not entries:
                break
            params = {**params, "after": after}
    return found


def page_connection(base_url: str, entry: Any, grant_id: str) -> Connected | None:
    """One /me/accounts entry as a connection; None when it has no Page token or id."""
    if not isinstance(entry, Mapping):
        return None
    page_id, token = entry.get("id"), entry.get("access_token")
    if not isinstance(page_id, str) or not page_id or not isinstance(token, str) or not token:
        return None
    tasks = entry.get("tasks")
    task_list = [t for t in tasks if isinstance(t, str)] if isinstance(tasks, list) else []
    credentials: dict[str, Any] = {"access_token": token, "page_id": page_id,
                                   "grant_id": grant_id, "tasks": task_list}
    return Connected(base_url=base_url, credentials=credentials,
                     identity=identity_from_page(entry))


def can_post(credentials: Mapping[str, Any]) -> bool:
    """Whether the person's role on the Page lets them post (when Facebook said)."""
    tasks = credentials.get("tasks")
    return not isinstance(tasks, list) or not tasks or POSTING_TASK in tasks


def identity_from_page(page: Mapping[str, Any]) -> Identity:
    page_id = str(page.get("id") or "")
    name = page.get("name")
    name = " ".join(name.split()) if isinstance(name, str) and name.strip() else page_id
    link = page.get("link")
    profile = link if isinstance(link, str) and link else f"{graph.dialog_url()}/{page_id}"
    return Identity(remote_id=page_id, handle=name, display_name=name,
                    avatar_url=_picture(page.get("picture")), profile_url=profile)


def _picture(value: Any) -> str:
    """The `picture` field: {"data": {"url": ...}} (or a bare URL in older answers)."""
    if isinstance(value, str):
        return value
    data = value.get("data") if isinstance(value, Mapping) else None
    url = data.get("url") if isinstance(data, Mapping) else None
    return url if isinstance(url, str) else ""
