"""A `hubbub serve` pointed at the local stand-ins for X, LinkedIn and Facebook (tests/peers/x,
linkedin, facebook), for browser tests that connect those networks through the hub's pages.

Only where each connector sends its requests is set (HUBBUB_X_API_URL/_AUTHORIZE_URL,
HUBBUB_LINKEDIN_API_URL/_AUTH_URL, HUBBUB_FACEBOOK_GRAPH_URL/_DIALOG_URL, as each connector's
README names them); the operator's apps are not: a test registers them as the owner would, on
Network apps, or passes them in `extra_env`. Loopback is reachable because tests.integration
.hubproc.Hub allows 127.0.0.0/8 for the hub's guarded HTTP client, as for the Mastodon mock.

Register the module as a plugin (`pytest_plugins = ["tests.browser.standins"]`) or import the
fixture into the test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.fixtures import serving_hub
from tests.integration.hubproc import Hub
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.linkedin.peer import LinkedInPeer
from tests.peers.x.peer import XPeer


def standin_env(x: XPeer, linkedin: LinkedInPeer, facebook: FacebookPeer) -> dict[str, str]:
    """Each connector pointed at its stand-in, no app registered."""
    return {
        "HUBBUB_X_API_URL": x.base_url,
        "HUBBUB_X_AUTHORIZE_URL": x.authorize_url,
        "HUBBUB_LINKEDIN_API_URL": linkedin.base_url,
        "HUBBUB_LINKEDIN_AUTH_URL": linkedin.base_url,
        "HUBBUB_FACEBOOK_GRAPH_URL": facebook.base_url,
        "HUBBUB_FACEBOOK_DIALOG_URL": facebook.base_url,
    }


@pytest.fixture
def standins_hub(tmp_path: Path, x_peer: XPeer, li_peer: LinkedInPeer,
                 fb_peer: FacebookPeer) -> Iterator[tuple[Hub, str]]:
    """A hub whose X, LinkedIn and Facebook connectors talk to the stand-ins; no apps yet."""
    env = {"HUBBUB_SCHEDULER_INTERVAL": "0.2", "HUBBUB_RETRY_BASE_SECONDS": "0.5",
           **standin_env(x_peer, li_peer, fb_peer)}
    with serving_hub(tmp_path, env) as served:
        yield served
