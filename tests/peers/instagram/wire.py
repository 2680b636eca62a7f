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

# error-codes page ("Error Codes Defined"): subcode -> (code, message). Wordings marked
# (stand-in) are not on the page: README.md says so.
IG_ERRORS: dict[int, tuple[int, str]] = {
    2207001: (-1, "Instagram server error. Try again."),
    2207003: (-2, "It takes too long to download the media."),
    2207004: (36000, "The image size is too large."),
    2207005: (36001, "The image format is not supported."),
    2207006: (24, "The media with the given id cannot be found."),
    2207008: (24, "Media builder not found. Try again later."),
    2207009: (36003, "The submitted image with aspect ratio is not supported."),
    2207010: (36004, "The caption you provided is too long."),
    2207020: (-2, "The media you are trying to access has expired. Please try to upload "
                  "again."),
    2207023: (100, "The media type is unknown."),
    2207026: (352, "The video format is not supported."),
    2207027: (9007, "Media ID is not available"),
    2207028: (100, "Your post won't work as a carousel. Carousels need at least 2 "
                   "photos/videos and no more than 10 photos/videos."),
    2207032: (-1, "Create media fail, please try to re-create media"),
    2207042: (9, "You reached maximum number of posts that is allowed to be published by "
                 "Content Publishing API."),
    2207050: (25, "The Instagram account is restricted."),
    2207051: (4, "We restrict certain activity to protect our community. Tell us if you "
                 "think we made a mistake."),
    2207052: (9004, "The media could not be fetched from this uri"),
}
USER_TITLES = {2207004: ("Image size too large",
                         "The image is too large to download. It should be less than 8 MiB."),
               2207052: ("Media download has failed.",
                         "The media URI doesn't meet our requirements."),
               2207027: ("Media not ready for publishing",
                         "The media is not ready for publishing, please wait for a moment"),
               2207042: ("Reached maximum number of posts",
                         "You reached maximum number of posts that is allowed to be published "
                         "by Content Publishing API.")}


def ig_error(subcode: int, *, rule: str | None = None, detail: str = "") -> GraphError:
    """The error the error-codes page lists for `subcode` (HTTP 400)."""
    code, message = IG_ERRORS[subcode]
    title, text = USER_TITLES.get(subcode, (None, None))
    return GraphError(code, message + (f" ({detail})" if detail else ""), subcode=subcode,
                      transient=subcode in {2207001, 2207003, 2207008, 2207027, 2207032},
                      user_title=title, user_msg=text, rule=rule)


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
