"""What an Instagram API answer or a failed request means for the hub: one connector error each.

Pure functions (no I/O). The Instagram API answers errors in Meta's Graph shape
(`{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"fbtrace_id"}}`, read by networks/meta/errors.py); the code and subcode decide. Sources: Graph
API "Handling Errors" (the common codes) and the Instagram Platform "Error Codes" reference
(the 2207xxx subcodes of publishing). What each means here:

- 190 (and 102, or a bare 401): subcode 463 (expired) is AuthExpired, which the connector
  answers by refreshing the long-lived token where Instagram still allows it; 458 (app
  removed), 459 (checkpoint), 460 (password changed), 464 (unconfirmed), 467 (invalid), 492
  (session) and 190 without a subcode are Revoked, each with what the person must do.
- 4, 17, 32, 613, 80001, 80002, 341 (and HTTP 429): RateLimited until Retry-After, Meta's
  estimate in the usage headers, or the rolling hour. Except 4 with subcode 2207051: Instagram
  restricted the account's publishing as suspected spam, which waiting does not undo
  (Rejected).
- 9 with subcode 2207042: the daily publishing limit is used up: RateLimited for an hour (the
  window rolls: a slot frees when a post of the last 24 hours turns 24 hours old).
- Media the network could not fetch or take (2207052 could not fetch from the address,
  2207004 too large, 2207005 unknown format, 2207009 shape, 2207026 unsupported): Rejected with
  a sentence saying what to change; 2207003 (fetching took too long) is Transient.
- 2207050 (account inactive, checkpointed or restricted): Rejected, saying to open the app.
- 2207027 (not ready to publish yet), 2207020 (expired) and 2207006 (not this account's
  container): Transient, even for media_publish, which they say did not publish. 2207008
  (temporary), 2207001 and 2207032 (server errors, codes -1 and -2): Transient, or
  OutcomeUnknown for the publish call itself.
- 10 and 200-299: Rejected naming the permission when the message names one.
- 1, 2 and HTTP 5xx: Transient, or OutcomeUnknown for a publish (all but a 503).
- 404 or 100/33: NotFound.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hubbub.networks.errors import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
)
from hubbub.networks.failures_common import server_trouble
from hubbub.networks.meta.errors import GraphError, Voice

NETWORK = "Instagram"
RECONNECT = "reconnect Instagram on the Connections page"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 341})
QUOTA_CODE, QUOTA_SUBCODE = 9, 2207042
SPAM_SUBCODE = 2207051
FETCH_FAILED = 2207052
ACCOUNT_RESTRICTED = 2207050
# The daily limit's window rolls; the hub looks again after this long.
QUOTA_WAIT = timedelta(hours=1)
RETRY_SUBCODES = frozenset({2207027, 2207008, 2207001, 2207032, 2207003})
# media_publish refused without publishing: the container is not ready (2207027), expired
# (2207020) or not this account's to publish (2207006).
NOT_PUBLISHED = frozenset({2207027, 2207020, 2207006})
MEDIA_SENTENCES = {
    2207052: "Instagram could not fetch the picture from the hub's public address "
             "(HUBBUB_PUBLIC_URL): the internet must reach the hub there. Check the address "
             "and that nothing in front of the hub blocks /public/media/, then retry.",
    2207004: "Instagram refused the picture as too large (it takes up to 8 MB): attach a "
             "smaller one.",
    2207005: "Instagram could not read the picture's format: attach a JPEG.",
    2207009: "Instagram refused the picture's shape: the width must be between 4/5 of the "
             "height and 1.91 times it. Crop it and attach it again.",
    2207026: "Instagram does not take this kind of media in a post.",
}
_PERMISSION = re.compile(r"\b(instagram_[a-z_]+)\b")

_SUBCODE_SENTENCES = {
    458: "Instagram says hubbub's app was removed from this Instagram account: " + RECONNECT
         + " and allow the app again.",
    459: "Instagram has locked this account until its owner signs in to Instagram and follows "
         "the steps shown there; then " + RECONNECT + ".",
    460: "The password of this Instagram account was changed, which ends its logins: "
         + RECONNECT + ".",
    463: "The Instagram login of this account has expired (Instagram logins last 60 days "
         "unless renewed): " + RECONNECT + ".",
    464: "This Instagram account is not confirmed: its owner must confirm it in Instagram, "
         "then " + RECONNECT + ".",
    467: "Instagram no longer accepts this account's login (it was signed out or the app's "
         "access was taken back): " + RECONNECT + ".",
    492: "Instagram ended the session behind this account: " + RECONNECT + ".",
}


def map_error(error: GraphError, *, write: bool = False, what: str = "",
              now: datetime | None = None) -> ConnectorError:
    """An error answer. `write`: the request would have published something (media_publish,
    a comment); `what` names the action for permission messages ("publish the post")."""
    current = now or datetime.now(UTC)
    code, subcode, said = error.code, error.subcode, error.said()
    if error.is_token:
        return VOICE.token_error(error)
    if code == QUOTA_CODE or subcode == QUOTA_SUBCODE:
        return quota_used_up(current + QUOTA_WAIT)
    if subcode == SPAM_SUBCODE:
        return Rejected("Instagram restricted publishing from this account because it judged "
                        f"the activity spam (error {code}/{subcode}){said}. Open the Instagram "
                        "app, and tell Instagram there if this is a mistake.")
    if code in RATE_LIMIT_CODES or error.status == 429:
        return VOICE.rate_limited(error, current)
    if subcode in NOT_PUBLISHED:
        return Transient(f"Instagram did not publish the post yet (error {code}/{subcode})"
                         f"{said}; hubbub tries again")
    if subcode in MEDIA_SENTENCES:
        sentence = MEDIA_SENTENCES[subcode]
        return Rejected(f"{sentence} (error {subcode}{said})")
    if subcode == ACCOUNT_RESTRICTED:
        return Rejected("Instagram says this account is inactive, checkpointed or restricted: "
                        "its owner must open the Instagram app and do what it asks, then "
                        f"retry (error {subcode}){said}")
    if subcode in RETRY_SUBCODES or code in (-1, -2):
        if write:
            return OutcomeUnknown(f"Instagram had a problem while publishing; the post may "
                                  f"have been made (error {code}/{subcode}){said}")
        return Transient(f"Instagram had a passing problem (error {code}/{subcode}){said}")
    if code is not None and (code == 10 or 200 <= code < 300):
        return VOICE.permission_error(error, what)
    if error.is_temporary:
        return server_trouble(NETWORK, error.status, said, error.headers, now=current,
                              write=write)
    if error.is_missing:
        return NotFound(f"Instagram has no such post or comment{said}")
    return VOICE.refused(error)


def quota_used_up(until: datetime, total: int | None = None) -> RateLimited:
    """The daily publishing limit is reached (read from the API, or Instagram's refusal)."""
    limit = f"{total} posts" if total else "its limit of posts"
    return RateLimited(f"This Instagram account has published {limit} through apps in the "
                       "last 24 hours, which is what Instagram allows: hubbub tries again at "
                       f"{until:%H:%M} UTC", until)


VOICE = Voice(
    network=NETWORK,
    subcode_sentences=_SUBCODE_SENTENCES,
    token_fallback=("Instagram no longer accepts this account's login (it expired, was revoked "
                    "or is otherwise invalid{said}): " + RECONNECT + "."),
    permission=_PERMISSION,
    lacks="the account's login lacks the {name} permission. Reconnect and allow it",
    missing="a permission is missing",
    missing_then="Reconnect and allow everything hubbub asks for.",
    limited={4: "the hub's Instagram app", 17: "this Instagram account"},
    limited_else="this Instagram account",
)
map_transport = VOICE.transport
unreadable = VOICE.unreadable
