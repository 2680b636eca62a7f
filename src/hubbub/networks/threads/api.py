"""Calls to the Threads API (graph.threads.net) over the shared Meta client (networks/meta/graph.py:
guarded session, token as `access_token`, secrets hidden in logs, usage-header pauses).

Where Threads lives comes from the environment, so tests and unusual deployments can point the
hub elsewhere:

- `HUBBUB_THREADS_GRAPH_URL` (default https://graph.threads.net; Meta's "Overview" says the API
  answers at graph.threads.com as well): the API origin and the token endpoints;
- `HUBBUB_THREADS_AUTHORIZE_URL` (default https://threads.com): the Authorization Window
  (`/oauth/authorize`, "Get Access Tokens") and the web addresses of profiles.

Every API path carries API_VERSION (v1.0, what every reference page names); the token endpoints
(`oauth/access_token`, `access_token`, `refresh_access_token`) are unversioned, as "Get Access
Tokens" and "Long-Lived Tokens" write them. A connection stores the API origin it was made with
as its base_url. Threads documents no appsecret_proof, so none is sent.
"""

from __future__ import annotations

from typing import ClassVar

from hubbub.networks.errors import ConnectorError
from hubbub.networks.meta import graph as meta_graph
from hubbub.networks.meta.errors import GraphError, Voice
from hubbub.networks.meta.graph import MetaGraph
from hubbub.networks.threads import failures

API_VERSION = "v1.0"
DEFAULT_GRAPH_URL = "https://graph.threads.net"
DEFAULT_AUTHORIZE_URL = "https://threads.com"
UNVERSIONED = frozenset({"oauth/access_token", "access_token", "refresh_access_token"})


def graph_url() -> str:
    """The Threads API origin from HUBBUB_THREADS_GRAPH_URL, normalized."""
    return meta_graph.origin("HUBBUB_THREADS_GRAPH_URL", DEFAULT_GRAPH_URL)


def authorize_url() -> str:
    """The origin of the Authorization Window and Threads' web pages, from
    HUBBUB_THREADS_AUTHORIZE_URL."""
    return meta_graph.origin("HUBBUB_THREADS_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL)


class ThreadsApi(MetaGraph):
    """Calls to one Threads API origin with one token (a person's, or none)."""

    version: ClassVar[str] = API_VERSION
    network: ClassVar[str] = "Threads"
    paused_subject: ClassVar[str] = "this account"
    voice: ClassVar[Voice | None] = failures.VOICE
    nothing_stored: ClassVar[str] = (f"No Threads token is stored for this account: "
                                     f"{failures.RECONNECT}.")

    def url(self, path: str) -> str:
        bare = path.lstrip("/")
        if bare in UNVERSIONED:
            return f"{self.base_url}/{bare}"
        return super().url(bare)

    def map_error(self, error: GraphError, *, write: bool, what: str) -> ConnectorError:
        return failures.map_error(error, write=write, what=what)
