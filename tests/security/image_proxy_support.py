"""What the image proxy tests share: a loopback picture server whose answers a test
scripts (Upstream), a signed-in reader, a fresh cache for each test, and pictures to serve."""

from __future__ import annotations

import io
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image

from hubbub.core.image_proxy import (
    PLACEHOLDER,
)
from hubbub.timeline import media_proxy

Answer = Callable[[BaseHTTPRequestHandler], None]


def picture(fmt: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces width x height pixels in a few dozen bytes (a pixel bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Upstream:
    """A picture server on 127.0.0.1 that counts and records what it is asked."""

    routes: dict[str, Answer] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # bytes of body written, by path
    done: dict[str, threading.Event] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    def serve(self, path: str, body: bytes, content_type: str = "image/png",
              extra: dict[str, str] | None = None) -> str:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        self.routes[path] = answer
        return self.url(path)

    def endless(self, path: str, head: bytes, *, declare: int | None = None,
                piece: int = 64 * 1024, pause: float = 0.0) -> str:
        """`head`, then zeros until the reader hangs up (or the test ends)."""
        self.done[path] = threading.Event()

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "image/png")
            if declare is not None:
                handler.send_header("Content-Length", str(declare))
            else:
                handler.send_header("Connection", "close")
            handler.end_headers()
            self.sent[path] = 0
            try:
                handler.wfile.write(head)
                self.sent[path] += len(head)
                filler = b"\0" * piece
                while not self.stop.is_set() and self.sent[path] < 64 * 1024 * 1024:
                    handler.wfile.write(filler)
                    self.sent[path] += piece
                    if pause:
                        self.stop.wait(pause)
            except OSError:  # the proxy hung up
                pass
            finally:
                handler.close_connection = True
                self.done[path].set()
        self.routes[path] = answer
        return self.url(path)

    def redirect(self, path: str, to: str, cookie: str = "") -> str:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", to)
            if cookie:
                handler.send_header("Set-Cookie", cookie)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        self.routes[path] = answer
        return self.url(path)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
            answer = state.routes.get(self.path)
            if answer is None:
                self.send_error(404)
                return
            answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    state.base = f"http://{host!s}:{port}"
    yield state
    state.stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def fresh_cache(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path
    media_proxy.image_cache.cache_clear()
    yield tmp_path / "image-cache"
    media_proxy.image_cache.cache_clear()


@pytest.fixture
def reader(db: None, client: Client) -> Client:
    client.force_login(User.objects.create_user("reader", password="correct horse battery"))
    return client



def assert_placeholder(response: Any) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content == PLACEHOLDER
    assert response["X-Hubbub-Image"] == "placeholder"


# --- who may use it, and for what ---------------------------------------------------------------


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.cookie)</script></svg>")
