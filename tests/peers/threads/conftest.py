"""Helpers for the stand-in's own tests: a person, an app, a token and a tiny client, plus a
loopback server of pictures for image_url."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from PIL import Image

from tests.peers.threads.peer import ThreadsApp, ThreadsPeer, ThreadsUser

CALLBACK = "http://127.0.0.1:8000/connections/threads/callback"


@dataclass
class Graph:
    """Calls graph.threads.net's stand-in the way a client would."""
    peer: ThreadsPeer

    def call(self, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        params = dict(kwargs.pop("params", {}) or {})
        if token is not None:
            params["access_token"] = token
        unversioned = path.startswith(("/oauth/", "/access_token", "/refresh_access_token"))
        base = self.peer.graph_root if unversioned else self.peer.graph_url
        return requests.request(method, base + path, params=params, timeout=30, **kwargs)

    def container(self, token: str, **data: Any) -> str:
        answer = self.call("POST", "/me/threads", token, data=data)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])

    def publish(self, token: str, creation_id: str) -> requests.Response:
        return self.call("POST", "/me/threads_publish", token,
                         data={"creation_id": creation_id})


@dataclass
class Setup:
    peer: ThreadsPeer
    graph: Graph
    app: ThreadsApp
    ann: ThreadsUser
    token: str


@pytest.fixture
def graph(threads_peer: ThreadsPeer) -> Graph:
    return Graph(threads_peer)


@pytest.fixture
def setup(threads_peer: ThreadsPeer, graph: Graph) -> Setup:
    app = threads_peer.create_app(CALLBACK)
    ann = threads_peer.create_user("ann", "Ann Example")
    token = threads_peer.token_for(ann, app, ("threads_basic", "threads_content_publish",
                                              "threads_read_replies",
                                              "threads_manage_replies", "threads_delete",
                                              "threads_manage_mentions"))
    return Setup(threads_peer, graph, app, ann, token)


def picture(kind: str = "PNG", size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, kind)
    return out.getvalue()


class Pictures:
    """A loopback HTTP server answering `files[path]` = (status, content type, body)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []
        files, hits = self.files, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                status, kind, body = files.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, body: bytes, kind: str = "image/png", status: int = 200) -> str:
        """Serve `body` at `path`; a 3xx status redirects to the URL `body` holds."""
        self.files[path] = (status, kind, body)
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pictures() -> Iterator[Pictures]:
    server = Pictures()
    try:
        yield server
    finally:
        server.close()
