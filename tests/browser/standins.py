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

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.fixtures import _free_port
from tests.integration.hubproc import Hub, wait_serving
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


@contextmanager
def serving(tmp_path: Path, extra_env: dict[str, str]) -> Iterator[tuple[Hub, str]]:
    """`hubbub serve` on a free loopback port with its own data dir; its log is printed at the
    end (pytest shows it for a failed test only)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    hub = Hub(tmp_path / "data", extra_env={"HUBBUB_SCHEDULER_INTERVAL": "0.2",
                                            "HUBBUB_RETRY_BASE_SECONDS": "0.5", **extra_env})
    log = tmp_path / "serve.log"
    proc = hub.popen("serve", "--host", "127.0.0.1", "--port", str(port), log=log)
    try:
        wait_serving(f"{url}/accounts/login/", proc, log)
        yield hub, url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
        print(f"--- last lines of {log} ---\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-60:]))
        shutil.rmtree(tmp_path / "data", ignore_errors=True)


@pytest.fixture
def standins_hub(tmp_path: Path, x_peer: XPeer, li_peer: LinkedInPeer,
                 fb_peer: FacebookPeer) -> Iterator[tuple[Hub, str]]:
    """A hub whose X, LinkedIn and Facebook connectors talk to the stand-ins; no apps yet."""
    with serving(tmp_path, standin_env(x_peer, li_peer, fb_peer)) as served:
        yield served
