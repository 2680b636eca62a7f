"""Who is calling: the access token (query/form `access_token` or an `Authorization: Bearer`
/ `OAuth` header), `appsecret_proof` when sent, permissions and Page tasks, and the usage
headers with the limits behind them.

Sources: docs/facebook-login/guides/access-tokens (token kinds, app_id|app_secret),
docs/graph-api/securing-requests (appsecret_proof = HMAC-SHA256 of the token keyed by the app
secret), docs/pages-api/overview (tasks), docs/graph-api/overview/rate-limiting (X-App-Usage for
user and app tokens, X-Business-Use-Case-Usage for Page tokens, percentages, 200 calls per user
per hour, 4800 per engaged user per 24 h for Pages).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from tests.peers.facebook.state import Grant, Store, Token
from tests.peers.facebook.wire import (
    GraphError,
    Request,
    invalid,
    no_token,
    permission_error,
    rate_limited,
    token_error,
)


def token_value(req: Request) -> str | None:
    header = req.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and rest.strip():
        return rest.strip()
    return req.params.get("access_token") or None


def authenticate(store: Store, req: Request, *, required: bool = True) -> Token | None:
    value = token_value(req)
    if value is None:
        if required:
            raise no_token()
        return None
    token = store.find_token(value)
    if token is None or not token.live(time.time()):
        raise token_error(token, value)
    if token.kind == "user" or token.kind == "page":
        grant = store.grants.get((token.user_id or "", token.app_id))
        if grant is None or grant.revoked:
            token.invalid_reason = "deauthorized"
            raise token_error(token, value)
    proof = req.params.get("appsecret_proof")
    if proof is not None:
        app = store.apps[token.app_id]
        wanted = hmac.new(app.secret.encode(), value.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, wanted):
            raise invalid("Invalid appsecret_proof provided in the API argument",
                          rule="appsecret_proof does not match the token")
    req.token = token
    req.app = store.apps.get(token.app_id)
    req.user = store.users.get(token.user_id or "")
    return token


def grant_of(store: Store, token: Token) -> Grant | None:
    return store.grants.get((token.user_id or "", token.app_id))


def need_permissions(store: Store, token: Token, *names: str, what: str) -> None:
    grant = grant_of(store, token)
    have = set(grant.scopes) if grant else set()
    missing = [n for n in names if n not in have]
    if missing:
        raise permission_error(f"{what} requires {' and '.join(missing)}",
                               rule=f"missing permission {', '.join(missing)}")


def page_token_for(store: Store, token: Token, page_id: str, task: str, *perms: str,
                   what: str) -> None:
    """Writes to a Page need that Page's own token, a task that allows it, and the
    permissions (docs/pages-api/posts: "a Page access token requested by a person who can
    perform the CREATE_CONTENT task on the Page", pages_manage_posts, pages_read_engagement)."""
    if token.kind != "page":
        raise permission_error(
            "If posting to a page, requires both pages_read_engagement and pages_manage_posts "
            "as an admin with sufficient administrative permission" if task == "CREATE_CONTENT"
            else f"{what} requires a Page access token",
            rule=f"{what} with a {token.kind} token; a Page access token is required")
    if token.page_id != page_id:
        raise permission_error(f"{what}: the Page access token is for another Page",
                               rule="a Page access token used for another Page")
    if task not in store.page_tasks(page_id, token.user_id):
        raise permission_error(f"{what} requires the {task} task on the Page",
                               code=10 if task == "MODERATE" else 200)
    need_permissions(store, token, *perms, what=what)


def usage(store: Store, token: Token | None, fault_code: int | None) -> dict[str, str]:
    """Count this call and answer the usage headers; a spent budget (or a rate-limit fault)
    raises Meta's rate-limit error with the headers at 100% or more."""
    if token is None:
        return {}
    if token.kind == "page" and token.page_id:
        key = "page:" + token.page_id
        before = store.usage(key, 86400, store.page_calls_per_day, count=False)
        pct = store.usage(key, 86400, store.page_calls_per_day, count=True)
        if fault_code is not None:
            pct = max(pct, 100)
        throttled = before >= 100 or fault_code is not None
        headers = {"X-Business-Use-Case-Usage": json.dumps({token.page_id: [{
            "type": "pages", "call_count": pct, "total_cputime": _cpu(pct),
            "total_time": _time(pct),
            "estimated_time_to_regain_access": _regain(store, key, 86400) if throttled else 0,
        }]}, separators=(",", ":"))}
        code = fault_code or 32
    else:
        key = "app:" + token.app_id
        before = store.usage(key, 3600, store.app_calls_per_hour, count=False)
        pct = store.usage(key, 3600, store.app_calls_per_hour, count=True)
        if fault_code is not None:
            pct = max(pct, 100)
        throttled = before >= 100 or fault_code is not None
        headers = {"X-App-Usage": json.dumps({"call_count": pct, "total_cputime": _cpu(pct),
                                              "total_time": _time(pct)},
                                             separators=(",", ":"))}
        code = fault_code or 4
    if pct < store.usage_header_from and not throttled:
        headers = {}
    if throttled:
        raise rate_limited(code, headers)
    return headers


def _cpu(pct: int) -> int:
    return pct if pct >= 100 else pct // 4


def _time(pct: int) -> int:
    return pct if pct >= 100 else pct // 3


def _regain(store: Store, key: str, window: float) -> int:
    """Minutes until the oldest call leaves the window (estimated_time_to_regain_access)."""
    calls = store.calls.get(key) or [time.time()]
    return max(1, int((calls[0] + window - time.time()) // 60) + 1)


def check(cond: bool, error: GraphError) -> None:
    if not cond:
        raise error
