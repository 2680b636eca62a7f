"""Calls to Meta's Graph API over one guarded requests session (core/http.py: timeouts, the SSRF
guard). Where Facebook lives comes from the environment, so tests and unusual deployments can
point the hub elsewhere:

- `HUBBUB_FACEBOOK_GRAPH_URL` (default https://graph.facebook.com): the Graph API origin, also
  the token endpoint (`/{version}/oauth/access_token`);
- `HUBBUB_FACEBOOK_DIALOG_URL` (default https://www.facebook.com): the Login dialog
  (`/{version}/dialog/oauth`) and the web addresses of Pages and posts.

Every path carries GRAPH_VERSION. A connection stores the Graph origin it was made with as its
base_url; every call goes there.

Tokens, appsecret_proof, hiding secrets in logs and the usage-header pauses are Meta's and shared
with Threads (networks/meta/graph.py); what Facebook's errors mean is failures.py.
"""

from __future__ import annotations

from typing import ClassVar

from hubbub.networks.errors import ConnectorError
from hubbub.networks.facebook import failures
from hubbub.networks.meta import graph as meta_graph
from hubbub.networks.meta.errors import GraphError, Voice
from hubbub.networks.meta.graph import MetaGraph, appsecret_proof, hide

__all__ = ["GRAPH_VERSION", "Graph", "appsecret_proof", "clear_pauses", "dialog_url",
           "graph_url", "hide"]

# The Graph API version every call names. Meta supports a version for at least two years
# after the next one ships ("Graph API Versioning"); v25.0 is the version the reference pages
# showed when this connector was written.
GRAPH_VERSION = "v25.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_DIALOG_URL = "https://www.facebook.com"
clear_pauses = meta_graph.clear_pauses


def graph_url() -> str:
    """The Graph API origin from HUBBUB_FACEBOOK_GRAPH_URL, normalized (scheme://host[:port])."""
    return meta_graph.origin("HUBBUB_FACEBOOK_GRAPH_URL", DEFAULT_GRAPH_URL)


def dialog_url() -> str:
    """The origin of Facebook's web pages (Login dialog, Pages, posts), from
    HUBBUB_FACEBOOK_DIALOG_URL."""
    return meta_graph.origin("HUBBUB_FACEBOOK_DIALOG_URL", DEFAULT_DIALOG_URL)


class Graph(MetaGraph):
    """Calls to one Graph API origin with one token (a Page's, a person's, or none)."""

    version: ClassVar[str] = GRAPH_VERSION
    network: ClassVar[str] = "Facebook"
    paused_subject: ClassVar[str] = "this Page"
    voice: ClassVar[Voice | None] = failures.VOICE
    nothing_stored: ClassVar[str] = "No Facebook Page token is stored for this Page: reconnect it."

    def map_error(self, error: GraphError, *, write: bool, what: str) -> ConnectorError:
        return failures.map_error(error, write=write, what=what)
