"""Instagram's answers and errors, on top of the Graph plumbing the Facebook stand-in already
has (tests/peers/facebook/wire.py: `Request`, `Reply`, `GraphError` and Meta's error object
`{"error": {"message", "type", "code", "error_subcode", "is_transient", "error_user_title",
"error_user_msg", "fbtrace_id"}}`).

Instagram's own parts: the table of Instagram error codes and subcodes
(instagram-platform/instagram-graph-api/reference/error-codes), the 190 token errors, and the
answer api.instagram.com gives to a bad code exchange: `{"error_type": "OAuthException",
"code": 400, "error_message": "..."}` (the Instagram OAuth shape, as public reports quote it).
"""

from __future__ import annotations

import time

from tests.peers.facebook.wire import GraphError, Reply
from tests.peers.instagram.state import Token

# error-codes page ("Error Codes Defined"): subcode -> (code, message, user message). The user
# messages are the table's "User Message" column, its {placeholders} filled in by ig_error;
# where public reports quote a different `message` (2207052, 2207027, the sample's 2207004),
# that one is the message and the table's text the error_user_msg.
IG_ERRORS: dict[int, tuple[int, str, str]] = {
    2207001: (-1, "An unexpected error has occurred. Please retry your request later.",
              "Instagram server error. Try again."),
    2207003: (-2, "It takes too long to download the media.",
              "It takes too long to download the media."),
    2207004: (36000, "The image size is too large.",
              "The image is too large to download. It should be less than 8 MiB."),
    2207005: (36001, "The image format {format} is not supported. Supported formats are: "
                     "JPEG.", ""),
    2207006: (24, "The media with {id} cannot be found", ""),
    2207008: (24, "The media builder with creation id = {id} does not exist or has been "
                  "expired.", ""),
    2207009: (36003, "The submitted image with aspect ratio {ratio} cannot be published. "
                     "Please submit an image with a valid aspect ratio.", ""),
    2207010: (36004, "The submitted image's caption was {length} characters long. The maximum "
                     "number of characters permitted for a caption is 2200. Please submit "
                     "media with a shorter caption.", ""),
    2207020: (-2, "The media you are trying to access has expired. Please try to upload "
                  "again.", ""),
    2207023: (100, "The media type {media_type} is unknown.", ""),
    2207026: (352, "The video format is not supported. Please check spec for supported video "
                   "format", ""),
    2207027: (9007, "Media ID is not available",
              "The media is not ready for publishing, please wait for a moment"),
    2207028: (100, "Your post won't work as a carousel. Carousels need at least 2 "
                   "photos/videos and no more than 10 photos/videos.", ""),
    2207032: (-1, "Create media fail, please try to re-create media", ""),
    2207040: (100, "Cannot use more than 20 tags per created media.", ""),
    2207042: (9, "You reached maximum number of posts that is allowed to be published by "
                 "Content Publishing API.", ""),
    2207050: (25, "The Instagram account is restricted.", ""),
    2207051: (4, "We restrict certain activity to protect our community. Tell us if you "
                 "think we made a mistake.", ""),
    2207052: (9004, "Only photo or video can be accepted as media type.",
              "The media could not be fetched from this uri: {uri}"),
}
USER_TITLES = {2207004: "Image size too large", 2207052: "Media download has failed.",
               2207027: "Media not ready for publishing"}
TRANSIENT = {2207001, 2207003, 2207008, 2207027, 2207032}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "(unknown)"


def ig_error(subcode: int, *, rule: str | None = None, detail: str = "",
             **values: object) -> GraphError:
    """The error the error-codes page lists for `subcode` (HTTP 400); `values` fill the
    table's placeholders (id, uri, format, ratio, length, media_type)."""
    code, message, user_msg = IG_ERRORS[subcode]
    fill = _Blank({k: str(v) for k, v in values.items()})
    message = message.format_map(fill) + (f" ({detail})" if detail else "")
    text = user_msg.format_map(fill) if user_msg else message
    return GraphError(code, message, subcode=subcode, transient=subcode in TRANSIENT,
                      user_title=USER_TITLES.get(subcode), user_msg=text, rule=rule)


def no_token() -> GraphError:
    return GraphError(190, "An active access token must be used to query information about "
                      "the current user.", rule="no access token")


def token_error(token: Token | None, value: str) -> GraphError:
    """Code 190: an unknown token (no subcode), expired (463), password changed (460), the
    app removed by the person (458), a token replaced by its refresh (stand-in: 463)."""
    head = "Error validating access token: "
    www = {"WWW-Authenticate": 'OAuth "Instagram Graph API" "invalid_token" '
                               '"Invalid OAuth access token."'}
    if token is None:
        return GraphError(190, "Invalid OAuth access token - Cannot parse access token",
                          headers=www)
    if token.invalid_reason == "password":
        return GraphError(190, head + "The session has been invalidated because the user "
                          "changed their password or Instagram has changed the session for "
                          "security reasons.", subcode=460, headers=www)
    if token.invalid_reason == "deauthorized":
        return GraphError(190, head + f"The user has not authorized application "
                          f"{token.app_id}.", subcode=458, headers=www)
    when = time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(token.expires_at))
    now = time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(time.time()))
    return GraphError(190, head + f"Session has expired on {when}. The current time is "
                      f"{now}.", subcode=463, headers=www)


def oauth_error(message: str, *, rule: str | None = None, status: int = 400) -> GraphError:
    """api.instagram.com's refusal of a code exchange: {"error_type", "code", "error_message"}."""
    error = GraphError(status, message, status=status, rule=rule)
    error.reply = Reply(status, {"error_type": "OAuthException", "code": status,
                                 "error_message": message})
    return error
