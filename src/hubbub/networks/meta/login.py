"""The first leg and the redirect back of a Meta sign-in (Facebook Login, Business Login for
Instagram, Threads' Authorization Window), which read alike: the operator's app id, the
redirect, the scopes comma-separated, response_type=code and a fresh state; back, the state
check, then a refusal (`error=access_denied` or `error_reason=user_denied` when the person
declined), then the code. What differs is passed in: where the dialog is, the order each
connector has always written the query in (so each redirect is the same as before), what else
to keep for the second leg, the sentence for a cancelled sign-in, and whether the code may end
in Instagram's and Threads' `#_`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from hubbub.networks import oauth2
from hubbub.networks.base import AppCredentials, AuthStart

# The query's keys in the order Facebook's connector sends them (Instagram's and Threads'
# name their own).
QUERY_ORDER = ("client_id", "redirect_uri", "state", "scope", "response_type")


def start(dialog: str, app: AppCredentials, redirect_uri: str, scopes: Sequence[str], *,
          order: Sequence[str] = QUERY_ORDER, keep: Mapping[str, str]) -> AuthStart:
    """Where to send the person (`dialog`?query), and what to keep (server side) to finish:
    the state, the redirect, the app id and `keep`."""
    state = secrets.token_urlsafe(32)
    values = {"client_id": app.client_id, "redirect_uri": redirect_uri, "state": state,
              "scope": ",".join(scopes), "response_type": "code"}
    return AuthStart(
        redirect_url=f"{dialog}?{urlencode({key: values[key] for key in order})}",
        state=state,
        state_data={"state": state, "redirect_uri": redirect_uri, "client_id": app.client_id,
                    **keep},
    )


def check_callback(params: Mapping[str, str], state_data: Mapping[str, Any], network: str, *,
                   cancelled: str, trailing_hash: bool) -> str:
    """The authorization code from the network's redirect, or a Rejected saying what went
    wrong (`cancelled` when the person declined). `trailing_hash`: the network appends "#_"
    to the redirect, which is no part of the code."""
    oauth2.check_state(params, state_data)
    oauth2.check_refusal(params, network, declined=(
        params.get("error") == "access_denied" or params.get("error_reason") == "user_denied"),
        declined_sentence=cancelled)
    code = oauth2.returned_code(params, network)
    return code.removesuffix("#_") if trailing_hash else code
