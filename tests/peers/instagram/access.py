"""Who is calling graph.instagram.com: the Instagram User access token (query/form
`access_token` or `Authorization: Bearer`), the permissions granted with it, and the
Business Use Case usage header with the limit behind it.

Sources: instagram-platform/overview (Instagram User access tokens; the host
graph.instagram.com), the endpoint references (the permissions each one needs), and
instagram-platform/overview#rate-limiting with graph-api/overview/rate-limiting ("Business Use
Case Rate Limits": the X-Business-Use-Case-Usage header, call_count / total_cputime /
total_time in percent, estimated_time_to_regain_access in minutes; Instagram's budget is
4800 x impressions per 24 h; code 80002 for Instagram once it is spent).
"""

from __future__ import annotations

import json
import time

from tests.peers.facebook.access import token_value as token_value
from tests.peers.facebook.wire import GraphError, Request, permission_error
from tests.peers.instagram.state import Store, Token, User
from tests.peers.instagram.wire import no_token, token_error


def authenticate(store: Store, req: Request) -> Token:
    value = token_value(req)
    if value is None:
        raise no_token()
    token = store.tokens.get(value)
    if token is None or not token.live(time.time()):
        raise token_error(token, value)
    grant = store.grants.get((token.user_id, token.app_id))
    if grant is None or grant.revoked:
        token.invalid_reason = "deauthorized"
        raise token_error(token, value)
    return token


def owner(store: Store, token: Token) -> User:
    return store.users[token.user_id]


def need(store: Store, token: Token, *names: str, what: str) -> None:
    grant = store.grants.get((token.user_id, token.app_id))
    have = set(grant.scopes) if grant else set()
    missing = [n for n in names if n not in have]
    if missing:
        raise permission_error(f"{what} requires the {' and '.join(missing)} permission",
                               code=10, rule=f"missing permission {', '.join(missing)}")


def rate_limited(headers: dict[str, str]) -> GraphError:
    return GraphError(80002, "There have been too many calls to this Instagram account. Wait "
                      "a bit and try again. For more info, please refer to "
                      "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                      transient=True, headers=headers)


def usage(store: Store, token: Token, forced: bool = False) -> dict[str, str]:
    """Count the call against the account's budget; answer X-Business-Use-Case-Usage; a spent
    budget (or `forced`, a fault) raises 80002 with the header at 100% or more."""
    key = "ig:" + token.user_id
    before = store.usage(key, 86400, store.calls_per_day, count=False)
    pct = store.usage(key, 86400, store.calls_per_day, count=True)
    throttled = before >= 100 or forced
    if forced:
        pct = max(pct, 100)
    regain = 0
    if throttled:
        calls = store.calls.get(key) or [time.time()]
        regain = max(1, int((calls[0] + 86400 - time.time()) // 60) + 1)
    headers = {"X-Business-Use-Case-Usage": json.dumps({token.user_id: [{
        "type": "instagram", "call_count": pct,
        "total_cputime": pct if pct >= 100 else pct // 4,
        "total_time": pct if pct >= 100 else pct // 3,
        "estimated_time_to_regain_access": regain}]}, separators=(",", ":"))}
    if pct < store.usage_header_from and not throttled:
        headers = {}
    if throttled:
        raise rate_limited(headers)
    return headers
