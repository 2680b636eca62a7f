"""Who is calling graph.threads.net, and the Threads error answers the handlers share.

The token comes as `access_token` (query or form) or `Authorization: Bearer` (read by the
Facebook stand-in's `token_value`); an expired, revoked or unknown token is the Graph 190 error
with its subcode (the Facebook stand-in's `token_error`), no token is 104. The error object is
Meta's Graph one (tests/peers/facebook/wire.py, `GraphError`).

Sources: get-started ("threads_basic — Required for all Threads endpoints", the other
permissions and what each allows), posts/delete-posts (threads_delete), the public reports
README.md names for the wordings (code 24 / subcode 4279009 "The requested resource does not
exist", THApiException for "Tried accessing nonexisting field").
"""

from __future__ import annotations

import time

from tests.peers.facebook.access import token_value
from tests.peers.facebook.wire import GraphError, Request, no_token, token_error
from tests.peers.threads.state import Store, Token


def authenticate(store: Store, req: Request, *permissions: str) -> Token:
    """The caller's live user token, with threads_basic and `permissions` granted."""
    value = token_value(req)
    if value is None:
        raise no_token()
    token = store.find_token(value)
    if token is None or not token.live(time.time()):
        raise token_error(token, value)
    grant = store.grants.get((token.user_id or "", token.app_id))
    if grant is None or grant.revoked:
        token.invalid_reason = "deauthorized"
        raise token_error(token, value)
    missing = [p for p in ("threads_basic", *permissions) if p not in grant.scopes]
    if missing:
        raise GraphError(10, "Application does not have permission for this action",
                         rule=f"missing permission {', '.join(missing)}")
    req.token = token
    return token


def me_or(req: Request, token: Token, user_id: str) -> str:
    """`me` or the token's own user id; anyone else's id is refused (Threads apps act only for
    the app-scoped user who granted the token)."""
    if user_id in {"me", token.user_id}:
        return token.user_id or ""
    raise unsupported(user_id, rule=f"{req.method} on another user's {user_id}")


def unsupported(object_id: str, *, rule: str | None = None) -> GraphError:
    """Graph's answer for an id that does not exist or cannot be seen with this token."""
    return GraphError(100, f"Unsupported request - method type: get. Object with ID "
                      f"'{object_id}' does not exist, cannot be loaded due to missing "
                      "permissions, or does not support this operation.",
                      kind="THApiException", subcode=33, rule=rule)


def media_not_found(rule: str | None = None) -> GraphError:
    """Code 24 / subcode 4279009, as Threads answers threads_publish for a container it cannot
    publish (public reports: github.com/exileum/meta-mcp/issues/142, trypostit/trypost#280)."""
    return GraphError(24, "The requested resource does not exist", subcode=4279009,
                      user_title="Media Not Found",
                      user_msg="Cannot find media with the given ID", rule=rule)


def th_invalid(message: str, *, rule: str | None = None) -> GraphError:
    """Code 100 as Threads words its parameter errors (type THApiException)."""
    return GraphError(100, message, kind="THApiException", rule=rule)


def quota_error(what: str) -> GraphError:
    """Over a publishing quota. Threads documents the limits, not the refusal: the stand-in
    answers the Instagram Content Publishing refusal (code 9, subcode 2207042)."""
    return GraphError(9, "Application request limit reached", subcode=2207042,
                      user_title=f"Too many {what}",
                      user_msg=f"You reached the maximum number of {what} allowed through "
                               "the API in 24 hours.")


def fields_of(req: Request, known: set[str], default: list[str]) -> list[str]:
    """The comma-separated `fields` asked for; an unknown one is refused as Threads does."""
    raw = req.params.get("fields")
    if not raw:
        return default
    names = [n.split("{", 1)[0].split(".", 1)[0].strip() for n in _top_level(raw)]
    for name in names:
        if name not in known:
            raise th_invalid(f"Tried accessing nonexisting field ({name})",
                             rule=f"unknown field {name}")
    return names


def _top_level(raw: str) -> list[str]:
    """`a,children{id,media_url},b.limit(2)` split at its top-level commas (a nested field
    list is answered whole: the stand-in does not expand below the top level)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(raw):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [p for p in (x.strip() for x in parts) if p]
