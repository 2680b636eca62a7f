"""What a Graph API answer or a failed request means for the hub: one connector error each.

Pure functions (no I/O). Meta answers every error with one JSON object ("Handling Errors",
developers.facebook.com/docs/graph-api/guides/error-handling):
`{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"fbtrace_id"}}`; the code decides, not the HTTP status. The answer is read and the codes
grouped in networks/meta/errors.py (shared with Threads); the sentences are Facebook's. What
each code means here:

- 190 (access token): subcode 463 "expired" is AuthExpired; 458 (the person removed the app),
  459 (a checkpoint on their account), 460 (password changed), 464 (unconfirmed user), 467
  (invalid token), 492 (invalid session) and 190 without a subcode are Revoked, each with a
  sentence saying what the person must do. 102 (API session) likewise.
- 4 (app), 17 (user), 32 (page), 613 (custom), 80001 (Pages business use case) and 341
  (application limit): RateLimited, until the time the usage headers say (usage.py) or the
  documented rolling window.
- 368 (temporarily blocked for policy violations): Rejected, saying Facebook blocked it.
- 10 and 200-299 (permissions): Rejected naming the permission the Page's login lacks.
- 506 (duplicate post): Rejected unless the post is found (the connector looks first).
- 1, 2 (unknown, service) and HTTP 5xx: Transient, or OutcomeUnknown for a publish that may
  have reached Facebook (anything but a 503, which says the request was not taken).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hubbub.networks.errors import ConnectorError, NotFound, Rejected
from hubbub.networks.failures_common import server_trouble
from hubbub.networks.meta.errors import (
    BLOCKED_CODE,
    DEFAULT_RATE_LIMIT_WAIT,
    DUPLICATE_CODE,
    EXPIRED_SUBCODE,
    PERMISSION_CODES,
    RATE_LIMIT_CODES,
    TEMPORARY_CODES,
    TOKEN_CODES,
    GraphError,
    Voice,
)

__all__ = ["BLOCKED_CODE", "DEFAULT_RATE_LIMIT_WAIT", "DUPLICATE_CODE", "EXPIRED_SUBCODE",
           "PERMISSION_CODES", "RATE_LIMIT_CODES", "RECONNECT", "TEMPORARY_CODES", "TOKEN_CODES",
           "GraphError", "map_error", "map_transport", "unreadable"]

RECONNECT = "reconnect Facebook on the Connections page (sign in again and pick this Page)"
_PERMISSION = re.compile(r"\b((?:pages|publish|business|read|manage)_[a-z_]+)\b")

_SUBCODE_SENTENCES = {
    458: "Facebook says hubbub's app was removed from the Facebook account that connected this "
         "Page: " + RECONNECT + " and allow the app again.",
    459: "Facebook has locked the Facebook account that connected this Page until its owner "
         "signs in at facebook.com and follows the steps shown there; then " + RECONNECT + ".",
    460: "The password of the Facebook account that connected this Page was changed, which "
         "ends its logins: " + RECONNECT + ".",
    463: "The Facebook login behind this Page has expired (Facebook logins last about 60 "
         "days): " + RECONNECT + ".",
    464: "The Facebook account that connected this Page is not confirmed: its owner must "
         "confirm it at facebook.com, then " + RECONNECT + ".",
    467: "Facebook no longer accepts the token for this Page (it was signed out, or the "
         "person's role on the Page changed): " + RECONNECT + ".",
    492: "Facebook ended the session behind this Page (the person's role on the Page may have "
         "changed): " + RECONNECT + ".",
}


def map_error(error: GraphError, *, write: bool = False, what: str = "",
              now: datetime | None = None) -> ConnectorError:
    """An error answer from the Graph API. `write`: the request would have posted something.
    `what` names the action for permission messages ("publish to the Page")."""
    current = now or datetime.now(UTC)
    code, said = error.code, error.said()
    if error.is_token:
        return VOICE.token_error(error)
    if error.is_rate_limit:
        return VOICE.rate_limited(error, current)
    if code == BLOCKED_CODE:
        return Rejected("Facebook has temporarily blocked this Page from doing this, because it "
                        f"judged it abusive or against its policies (error 368){said}. Wait "
                        "before trying again, and check the Page's notifications on Facebook.")
    if code in PERMISSION_CODES:
        return VOICE.permission_error(error, what)
    if code == DUPLICATE_CODE:
        return Rejected("Facebook refused this post as a duplicate of one the Page just posted; "
                        "it was not posted again. Change the text to post it.")
    if error.is_temporary:
        return server_trouble("Facebook", error.status, said, error.headers, now=current,
                              write=write)
    if error.is_missing:
        return NotFound(f"Facebook has no such post or Page{said}")
    return VOICE.refused(error)


VOICE = Voice(
    network="Facebook",
    subcode_sentences=_SUBCODE_SENTENCES,
    token_fallback=("Facebook no longer accepts the token for this Page (it expired, was "
                    "revoked or is otherwise invalid{said}): " + RECONNECT + "."),
    permission=_PERMISSION,
    lacks="the Page's login lacks the {name} permission. Reconnect the Page and allow it",
    missing="a permission or the person's role on the Page does not allow it",
    missing_then="Reconnect the Page and allow everything hubbub asks for.",
    limited={4: "the hub's Facebook app", 17: "this Facebook account", 32: "this Page",
             80001: "this Page"},
    limited_else="this Page",
)
map_transport = VOICE.transport
unreadable = VOICE.unreadable
