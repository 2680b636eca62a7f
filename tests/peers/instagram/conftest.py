"""Helpers for the stand-in's own tests: an account, an app, a token, an image server, and
a tiny client that calls graph.instagram.com's stand-in the way a client would."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from PIL import Image

from tests.peers.instagram.peer import IGApp, IGUser, InstagramPeer

CALLBACK = "http://127.0.0.1:8000/connections/instagram/callback"


def jpeg(width: int = 1080, height: int = 1080, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, fmt)
    return out.getvalue()


@dataclass
class Images:
    """A loopback server of files the stand-in fetches (as the hub's public media would)."""
    server: ThreadingHTTPServer
    files: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    posts: list[tuple[str, bytes]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)  # names answered only once `gate` is set
    arrived: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    def add(self, name: str, data: bytes, status: int = 200,
            content_type: str = "image/jpeg") -> str:
        self.files[name] = (status, data, content_type)
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"


@pytest.fixture
def images() -> Iterator[Images]:
    holder: dict[str, Images] = {}

    class Serve(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            found = holder["images"]
            name = self.path.lstrip("/")
            found.hits.append(name)
            if name in found.held:
                found.arrived.set()
                found.gate.wait()
            status, data, kind = found.files.get(name, (404, b"no such file", "text/plain"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            holder["images"].posts.append((self.path, self.rfile.read(length)))
            self.do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    holder["images"] = Images(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["images"]
    finally:
        holder["images"].gate.set()
        server.shutdown()
        server.server_close()


@dataclass
class Graph:
    """Calls graph.instagram.com's stand-in the way a client would."""
    peer: InstagramPeer
    token: str = ""

    def call(self, method: str, path: str, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        params = dict(kwargs.pop("params", {}) or {})
        params["access_token"] = self.token if token is None else token
        if not params["access_token"]:
            del params["access_token"]
        return requests.request(method, self.peer.graph_url + path, params=params,
                                timeout=30, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def post(self, path: str, **data: Any) -> requests.Response:
        return self.call("POST", path, data=data)


@dataclass
class Setup:
    peer: InstagramPeer
    graph: Graph
    app: IGApp
    ann: IGUser
    token: str


@pytest.fixture
def setup(instagram_peer: InstagramPeer) -> Setup:
    app = instagram_peer.create_app(CALLBACK)
    ann = instagram_peer.create_user("ann.bakes", name="Ann's Bakery")
    token = instagram_peer.token_for(ann, app)
    return Setup(instagram_peer, Graph(instagram_peer, token), app, ann, token)


def wait_finished(graph: Graph, container_id: str) -> dict[str, Any]:
    """Poll the container's status until it is no longer IN_PROGRESS (as a client must)."""
    while True:
        answer = graph.get(f"/{container_id}", fields="status_code,status")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status_code"] != "IN_PROGRESS":
            return body
