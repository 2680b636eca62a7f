"""The steps of an OAuth 2.0 authorization-code sign-in that read the same on every network:
the operator's app or a clear refusal, the state check on the redirect back, a refusal the
person made on the network's consent page, and the code itself. Which error codes mean "the
person declined", and in what order a network's callback checks things, stay with the network.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from hubbub.connections.network_apps import app_credentials
from hubbub.networks.base import AppCredentials
from hubbub.networks.errors import Rejected

STATE_MISMATCH = ("The sign-in could not be completed (state mismatch: the link is stale or was "
                  "not started here). Please connect again.")


def operator_app(slug: str, missing: str) -> AppCredentials:
    """The operator's registered app for the network `slug`; Rejected(missing) without one."""
    app = app_credentials(slug)
    if app is None:
        raise Rejected(missing)
    return app


def check_state(params: Mapping[str, str], state_data: Mapping[str, Any]) -> None:
    """Rejected unless the redirect carries the state this hub issued when the sign-in began."""
    expected = str(state_data.get("state") or "")
    if not expected or not secrets.compare_digest(str(params.get("state", "")), expected):
        raise Rejected(STATE_MISMATCH)


def check_refusal(params: Mapping[str, str], network: str, *, declined: bool,
                  declined_sentence: str) -> None:
    """Rejected when the redirect carries an `error`: `declined_sentence` when the network's
    code for it means the person said no (`declined`), the network's own description else."""
    error = params.get("error")
    if not error:
        return
    if declined:
        raise Rejected(declined_sentence)
    detail = params.get("error_description") or error
    raise Rejected(f"{network} did not authorize hubbub: {detail}")


def returned_code(params: Mapping[str, str], network: str) -> str:
    """The authorization code of the redirect; Rejected when it has none."""
    code = params.get("code")
    if not code:
        raise Rejected(f"{network} sent no authorization code back. Please connect again.")
    return str(code)
