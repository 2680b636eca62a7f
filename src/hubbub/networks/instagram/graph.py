"""Calls to the Instagram API with Instagram Login (Meta's graph.instagram.com) over one
guarded requests session (networks/meta/graph.py: timeouts, the SSRF guard, tokens kept out of
logs, the usage pause). Where Instagram lives comes from the environment, so tests and unusual
deployments can point the hub elsewhere:

- `HUBBUB_INSTAGRAM_GRAPH_URL` (default https://graph.instagram.com): the API, and the
  long-lived token exchange and refresh (`/access_token`, `/refresh_access_token`);
- `HUBBUB_INSTAGRAM_API_URL` (default https://api.instagram.com): where the sign-in code is
  exchanged (`POST /oauth/access_token`);
- `HUBBUB_INSTAGRAM_AUTHORIZE_URL` (default https://www.instagram.com): the consent page
  (`/oauth/authorize`), and the web addresses of profiles.

Every API path carries GRAPH_VERSION. The token travels as the documented `access_token`
parameter; no appsecret_proof (the Instagram Login pages document none).
"""

from __future__ import annotations

from typing import ClassVar

from hubbub.core.public_media import reachability
from hubbub.networks.errors import ConnectorError
from hubbub.networks.instagram import failures
from hubbub.networks.meta.errors import GraphError, Voice
from hubbub.networks.meta.graph import MetaGraph, origin

# The version the IG Media reference names as latest when this connector was written.
GRAPH_VERSION = "v25.0"
DEFAULT_GRAPH_URL = "https://graph.instagram.com"
DEFAULT_API_URL = "https://api.instagram.com"
DEFAULT_AUTHORIZE_URL = "https://www.instagram.com"


def graph_url() -> str:
    return origin("HUBBUB_INSTAGRAM_GRAPH_URL", DEFAULT_GRAPH_URL)


def api_url() -> str:
    return origin("HUBBUB_INSTAGRAM_API_URL", DEFAULT_API_URL)


def authorize_url() -> str:
    return origin("HUBBUB_INSTAGRAM_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL)


class InstagramGraph(MetaGraph):
    """Calls to one Instagram API origin with one account's token (or none)."""

    version: ClassVar[str] = GRAPH_VERSION
    network: ClassVar[str] = "Instagram"
    paused_subject: ClassVar[str] = "this Instagram account"
    voice: ClassVar[Voice | None] = failures.VOICE
    nothing_stored: ClassVar[str] = "No Instagram login is stored for this account: reconnect it."

    def map_error(self, error: GraphError, *, write: bool, what: str) -> ConnectorError:
        mapped = failures.map_error(error, write=write, what=what)
        if error.subcode == failures.FETCH_FAILED:
            # Why the internet cannot reach the hub, when the hub can tell.
            note = reachability()
            if note:
                mapped.message = f"{mapped.message} {note}"
                mapped.args = (mapped.message,)
        return mapped


class Unversioned(InstagramGraph):
    """The token endpoints, which carry no version (`/access_token`, `/refresh_access_token`
    on the API host, `/oauth/access_token` on api.instagram.com)."""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"
