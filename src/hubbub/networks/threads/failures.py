"""What a Threads API answer or a failed request means for the hub: one connector error each.

Pure functions (no I/O). The Threads API answers errors in Meta's shape, read once and grouped
in networks/meta/errors.py (shared with Facebook); the sentences here are Threads':

- 190 (access token): subcode 463 (expired) is AuthExpired, so the engine refreshes the
  long-lived token once ("Long-Lived Tokens": a token can be refreshed until it expires);
  458 (app removed), 460 (password changed), 467 (invalid) and the rest are Revoked with what
  the person must do. 102 likewise.
- 4, 17, 32, 613 (and Meta's other rate-limit codes, or HTTP 429): RateLimited until the
  usage headers' estimate, else the documented rolling window.
- 10 and 200-299 (permissions): Rejected naming the missing threads_* permission.
- A container Threads could not build (status ERROR, "Troubleshooting": FAILED_DOWNLOADING_VIDEO,
  FAILED_PROCESSING_*, INVALID_*, UNKNOWN) and an image Threads could not fetch: Rejected, in
  words, with why the hub's address may not reach Threads (core/public_media.reachability).
- 1, 2 and HTTP 5xx: Transient, or OutcomeUnknown for a publish that may have taken effect.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hubbub.networks.errors import ConnectorError, NotFound, RateLimited, Rejected
from hubbub.networks.failures_common import server_trouble
from hubbub.networks.meta.errors import (
    BLOCKED_CODE,
    PERMISSION_CODES,
    GraphError,
    Voice,
)

RECONNECT = "reconnect Threads on the Connections page"
# Over the publishing limit: code 9 ("Application request limit reached", as Instagram's
# Content Publishing answers it); the moving 24-hour window frees a post as its oldest leaves.
QUOTA_CODE = 9
QUOTA_WAIT = timedelta(hours=1)
# Publishing a container Threads cannot publish (gone, not ready, or published already):
# code 24, subcode 4279009 "The requested resource does not exist".
NO_RESOURCE_CODE = 24
_PERMISSION = re.compile(r"\b(threads_[a-z_]+)\b")
# Words in an error answer that say Threads could not get the media from the address given.
_FETCH_WORDS = re.compile(r"download|fetch|retriev|image_url|video_url|media (?:uri|url)|"
                          r"could not get|couldn't get|unable to get", re.IGNORECASE)

_SUBCODE_SENTENCES = {
    458: "Threads says hubbub's app was removed from this Threads account: " + RECONNECT
         + " and allow the app again.",
    460: "The password of this Threads account (its Instagram login) was changed, which ends "
         "its logins: " + RECONNECT + ".",
    463: "The Threads login has expired (a login lasts 60 days unless it is renewed): "
         + RECONNECT + ".",
    467: "Threads no longer accepts this account's token (it was signed out or revoked): "
         + RECONNECT + ".",
}

# Container errors ("Threads API Troubleshooting"): what each means, said to a person.
CONTAINER_ERRORS = {
    "FAILED_DOWNLOADING_VIDEO": "Threads could not download the video from the hub",
    "FAILED_DOWNLOADING_IMAGE": "Threads could not download the image from the hub",
    "FAILED_PROCESSING_AUDIO": "Threads could not process the video's sound",
    "FAILED_PROCESSING_VIDEO": "Threads could not process the video",
    "INVALID_ASPEC_RATIO": "the picture's shape (aspect ratio) is outside what Threads takes",
    "INVALID_ASPECT_RATIO": "the picture's shape (aspect ratio) is outside what Threads takes",
    "INVALID_BIT_RATE": "the video's bit rate is outside what Threads takes",
    "INVALID_DURATION": "the video is too long or too short for Threads",
    "INVALID_FRAME_RATE": "the video's frame rate is outside what Threads takes (23-60)",
    "INVALID_AUDIO_CHANNELS": "the video's sound has more channels than Threads takes",
    "INVALID_AUDIO_CHANNEL_LAYOUT": "the video's sound channels are laid out in a way Threads "
                                    "does not take",
}


def map_error(error: GraphError, *, write: bool = False, what: str = "",
              now: datetime | None = None, reachability: str = "") -> ConnectorError:
    """An error answer from the Threads API. `write`: the request would have posted something;
    `what` names the action; `reachability`: why the hub's public address may not be
    reachable ("" when it looks fine), said when Threads could not fetch an image."""
    current = now or datetime.now(UTC)
    code, said = error.code, error.said()
    if error.is_token:
        return VOICE.token_error(error)
    if error.is_rate_limit:
        return VOICE.rate_limited(error, current)
    if code == QUOTA_CODE:
        until = current + QUOTA_WAIT
        return RateLimited("This Threads account has used the posts (or replies) it may publish "
                           f"in 24 hours; hubbub tries again at {until:%H:%M} UTC{said}", until)
    if code == BLOCKED_CODE:
        return Rejected("Threads has temporarily blocked this account from doing this, because "
                        f"it judged it abusive or against its policies (error 368){said}. Wait "
                        "before trying again.")
    if code in PERMISSION_CODES:
        return VOICE.permission_error(error, what)
    if error.is_temporary:
        return server_trouble("Threads", error.status, said, error.headers, now=current,
                              write=write)
    if error.is_missing:
        return NotFound(f"Threads has no such post{said}")
    if _FETCH_WORDS.search(f"{error.message} {error.user_message}"):
        return media_not_fetched(said, reachability)
    return VOICE.refused(error)


def media_not_fetched(said: str, reachability: str) -> Rejected:
    """Threads could not download a post's image from the hub's public address."""
    why = f" {reachability}" if reachability else (
        " Check that the hub's public address (HUBBUB_PUBLIC_URL) answers from the internet.")
    return Rejected(f"Threads could not fetch the post's image from the hub{said}; nothing was "
                    f"posted.{why}")


def container_error(error_message: str, reachability: str = "", *,
                    images: bool = False) -> Rejected:
    """A container Threads could not build (status ERROR), with its `error_message`. With
    images, UNKNOWN is what Threads says of one it could not fetch or read."""
    key = error_message.strip().upper()
    sentence = CONTAINER_ERRORS.get(key)
    if key.startswith("FAILED_DOWNLOADING"):
        return media_not_fetched(f" ({key})", reachability)
    if images and key in ("UNKNOWN", ""):
        why = f" {reachability}" if reachability else ""
        named = key or "no reason given"
        return Rejected(f"Threads could not fetch or read the post's image from the hub ({named}"
                        "); nothing was posted. Check that the image is a "
                        "JPEG or PNG under 8 MB, no more than 10 times as wide as high, and that "
                        f"the hub's public address answers from the internet.{why}")
    if sentence is None:
        named = f" ({error_message.strip()[:100]})" if error_message.strip() else ""
        return Rejected(f"Threads could not prepare the post{named}; nothing was posted. "
                        "Check the attachments and try again.")
    return Rejected(f"Threads could not prepare the post: {sentence} ({key}); nothing was "
                    "posted.")


VOICE = Voice(
    network="Threads",
    subcode_sentences=_SUBCODE_SENTENCES,
    token_fallback=("Threads no longer accepts the token for this account (it expired, was "
                    "revoked or is otherwise invalid{said}): " + RECONNECT + "."),
    permission=_PERMISSION,
    lacks="the login lacks the {name} permission. Reconnect Threads and allow it",
    missing="a permission is missing",
    missing_then="Reconnect Threads and allow everything hubbub asks for.",
    limited={4: "the hub's Threads app", 17: "this Threads account"},
    limited_else="this Threads account",
)
map_transport = VOICE.transport
unreadable = VOICE.unreadable
