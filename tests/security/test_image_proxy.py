"""The image proxy: remote pictures reach the browser only through the hub, for signed-in
people, for URLs the hub itself signed, checked (type by magic bytes, size, pixels), cached, and
without telling the remote server anything about the reader (no cookie, no Referer)."""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from PIL import Image

from hubbub.connections.models import Connection
from hubbub.core.image_proxy import (
    PLACEHOLDER,
    CacheEntry,
    FetchLimits,
    ImageCache,
    ImageRefused,
    ProxiedImage,
    check_size,
    encode_address,
    load,
    sign,
    sniff,
)
from hubbub.timeline import media_proxy
from hubbub.timeline.media_proxy import proxied_url
from tests.waiting import until

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


@pytest.fixture(autouse=True)
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


def test_a_signed_picture_is_served_with_guarded_headers(
        reader: Client, upstream: Upstream) -> None:
    data = picture("PNG")
    response = reader.get(proxied_url(upstream.serve("/a.png", data)))
    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert not response.cookies  # the proxy sets none


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                       ("WEBP", "image/webp"), ("AVIF", "image/avif")])
def test_every_picture_format_we_show_passes(
        reader: Client, upstream: Upstream, fmt: str, mime: str) -> None:
    data = picture(fmt)
    # The server's Content-Type is not believed either way: the bytes decide.
    response = reader.get(proxied_url(upstream.serve(f"/p.{fmt}", data, "text/plain")))
    assert response.status_code == 200
    assert response["Content-Type"] == mime
    assert response.content == data


def test_a_chunked_answer_is_read(reader: Client, upstream: Upstream) -> None:
    data = picture("PNG", (40, 30))

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(data), 7):
            piece = data[start:start + 7]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")
    upstream.routes["/chunked.png"] = answer
    response = reader.get(proxied_url(upstream.url("/chunked.png")))
    assert response.status_code == 200
    assert response.content == data


def test_a_tampered_or_missing_signature_is_refused(reader: Client, upstream: Upstream) -> None:
    good = upstream.serve("/a.png", picture())
    evil = upstream.url("/evil.png")
    forged = reverse("image_proxy", args=[sign(good), encode_address(evil)])
    unsigned = reverse("image_proxy", args=["x", encode_address(evil)])
    mangled = reverse("image_proxy", args=[sign(good), "%%%"])
    for path in (forged, unsigned, mangled):
        response = reader.get(path)
        assert response.status_code == 403
        assert b"not one the hub made" in response.content
    assert reader.get(f"/proxy/image//{encode_address(good)}").status_code == 404
    assert reader.get(f"/proxy/image/{encode_address(good)}").status_code == 404
    assert upstream.seen == []


def test_only_get_and_head(reader: Client, upstream: Upstream) -> None:
    path = proxied_url(upstream.serve("/a.png", picture()))
    assert reader.head(path).status_code == 200
    reader.handler.enforce_csrf_checks = False
    assert reader.post(path).status_code == 405
    assert reader.delete(path).status_code == 405


def test_signed_out_visitors_are_sent_to_the_login(client: Client, upstream: Upstream,
                                                  db: None) -> None:
    response = client.get(proxied_url(upstream.serve("/a.png", picture())))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert upstream.seen == []


def test_private_addresses_stay_refused_unless_allowed(
        reader: Client, upstream: Upstream, settings: Any) -> None:
    settings.HUBBUB_ALLOW_PRIVATE_NETWORKS = []
    response = reader.get(proxied_url(upstream.serve("/a.png", picture())))
    assert_placeholder(response)
    assert "loopback" in response["X-Hubbub-Image-Reason"]
    assert upstream.seen == []


# --- what is refused --------------------------------------------------------------------------

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.cookie)</script></svg>")
HTML = b"<!doctype html><html><script>alert(1)</script></html>" + b" " * 64


@pytest.mark.parametrize(("body", "content_type"), [
    (SVG, "image/svg+xml"), (SVG, "image/png"), (HTML, "text/html"), (HTML, "image/jpeg"),
    (b"GIF89a", "image/gif"),  # too short to be a picture
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "image/png"),  # right magic, no picture behind it
])
def test_what_is_not_a_picture_is_never_passed_on(
        reader: Client, upstream: Upstream, body: bytes, content_type: str) -> None:
    response = reader.get(proxied_url(upstream.serve("/x", body, content_type)))
    assert_placeholder(response)  # one transparent pixel of ours, not a byte of theirs


@pytest.mark.parametrize("size", [(8000, 8000), (30000, 30000)])
def test_a_pixel_bomb_is_refused_from_its_header(
        reader: Client, upstream: Upstream, size: tuple[int, int]) -> None:
    response = reader.get(proxied_url(upstream.serve("/bomb.png", png_header_only(*size))))
    assert_placeholder(response)
    assert "pixels" in response["X-Hubbub-Image-Reason"]


@pytest.mark.parametrize("declare", [None, 50 * 1024 * 1024])
def test_an_oversize_picture_is_refused_without_reading_it_all(
        reader: Client, upstream: Upstream, settings: Any, declare: int | None) -> None:
    settings.HUBBUB_IMAGE_PROXY_MAX_BYTES = 256 * 1024
    url = upstream.endless("/huge.png", picture(), declare=declare)
    response = reader.get(proxied_url(url))
    assert_placeholder(response)
    assert "bytes" in response["X-Hubbub-Image-Reason"]
    until(upstream.done["/huge.png"].is_set, "the upstream answer ended")
    # The server had 64 MB to send; the proxy hung up long before (what it wrote beyond the
    # proxy's 256 KB sat in socket buffers).
    assert upstream.sent["/huge.png"] < 16 * 1024 * 1024


def test_a_server_that_drips_is_cut_off(reader: Client, upstream: Upstream,
                                        settings: Any) -> None:
    settings.HUBBUB_IMAGE_PROXY_SECONDS = 0.3
    url = upstream.endless("/drip.png", picture(), piece=16, pause=0.01)
    response = reader.get(proxied_url(url))
    assert_placeholder(response)
    assert "too long" in response["X-Hubbub-Image-Reason"]


def test_a_server_that_drips_its_headers_is_cut_off(reader: Client, upstream: Upstream,
                                                    settings: Any) -> None:
    # Each byte comes well within the read timeout, so only the whole fetch's deadline ends it.
    settings.HUBBUB_IMAGE_PROXY_SECONDS = 0.3
    done = threading.Event()

    def answer(handler: BaseHTTPRequestHandler) -> None:
        try:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not upstream.stop.is_set():
                handler.wfile.write(b"a")
                handler.wfile.flush()
                upstream.stop.wait(0.01)
        except OSError:  # the proxy hung up
            pass
        finally:
            handler.close_connection = True
            done.set()
    upstream.routes["/slow-head.png"] = answer
    response = reader.get(proxied_url(upstream.url("/slow-head.png")))
    assert_placeholder(response)
    assert "too long" in response["X-Hubbub-Image-Reason"]
    until(done.is_set, "the server noticed the proxy hung up")


def test_an_answer_cut_short_is_a_placeholder(reader: Client, upstream: Upstream) -> None:
    data = picture("PNG", (40, 30))

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(data) + 5000))
        handler.end_headers()
        handler.wfile.write(data)  # and then the connection closes, 5000 bytes short
        handler.close_connection = True
    upstream.routes["/short.png"] = answer
    response = reader.get(proxied_url(upstream.url("/short.png")))
    assert_placeholder(response)
    assert "cut off" in response["X-Hubbub-Image-Reason"]


def test_a_missing_picture_is_a_placeholder_not_an_error(
        reader: Client, upstream: Upstream) -> None:
    response = reader.get(proxied_url(upstream.url("/gone.png")))
    assert_placeholder(response)
    assert "404" in response["X-Hubbub-Image-Reason"]


# --- what the remote server learns ------------------------------------------------------------


def test_the_upstream_never_gets_the_hubs_cookies_or_a_referer(
        reader: Client, upstream: Upstream) -> None:
    final = upstream.serve("/final.png", picture())
    start = upstream.redirect("/start", final, cookie="tracker=1; Path=/")
    reader.cookies["csrftoken"] = "abc"
    response = reader.get(proxied_url(start), HTTP_REFERER="http://127.0.0.1/deck/")
    assert response.status_code == 200
    assert response.content == picture()
    assert [s.path for s in upstream.seen] == ["/start", "/final.png"]
    assert reader.cookies.get("sessionid")  # the reader was signed in, with a cookie
    for seen in upstream.seen:
        assert "cookie" not in seen.headers  # neither the hub's nor the tracker's
        assert "referer" not in seen.headers
        assert "authorization" not in seen.headers
        assert seen.headers["user-agent"].startswith("hubbub/")


def test_a_redirect_to_another_scheme_is_refused(reader: Client, upstream: Upstream) -> None:
    start = upstream.redirect("/start", "file:///etc/passwd")
    assert_placeholder(reader.get(proxied_url(start)))


# --- the cache --------------------------------------------------------------------------------


def test_the_second_request_is_served_from_the_cache(
        reader: Client, upstream: Upstream, fresh_cache: Path) -> None:
    url = upstream.serve("/a.png", picture())
    first = reader.get(proxied_url(url))
    second = reader.get(proxied_url(url))
    assert first.content == second.content == picture()
    assert upstream.hits("/a.png") == 1
    assert any(fresh_cache.rglob("*"))  # on disk, in the data dir


def test_a_refusal_is_remembered_too(reader: Client, upstream: Upstream) -> None:
    url = upstream.serve("/x.svg", SVG, "image/svg+xml")
    assert_placeholder(reader.get(proxied_url(url)))
    assert_placeholder(reader.get(proxied_url(url)))
    assert upstream.hits("/x.svg") == 1


def test_an_expired_entry_is_fetched_again(reader: Client, upstream: Upstream,
                                          fresh_cache: Path) -> None:
    url = upstream.serve("/a.png", picture())
    reader.get(proxied_url(url))
    week_ago = time.time() - 8 * 86400
    for path in fresh_cache.rglob("*"):
        if path.is_file():
            os.utime(path, (week_ago, week_ago))
    assert reader.get(proxied_url(url)).content == picture()
    assert upstream.hits("/a.png") == 2


def test_one_fetch_for_many_readers_of_the_same_picture(upstream: Upstream,
                                                        fresh_cache: Path) -> None:
    data = picture()
    release = threading.Event()

    def answer(handler: BaseHTTPRequestHandler) -> None:
        release.wait(30)  # held until every reader has asked
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    upstream.routes["/popular.png"] = answer
    cache = ImageCache(fresh_cache, max_bytes=10**7, max_age=3600, refusal_age=60)
    results: list[CacheEntry] = []
    readers = [threading.Thread(target=lambda: results.append(
        load(upstream.url("/popular.png"), cache, FetchLimits(10**6, 5, 5, 30))))
        for _ in range(6)]
    for reader in readers:
        reader.start()
    until(lambda: upstream.hits("/popular.png") >= 1, "the first reader reached the server")
    release.set()
    for reader in readers:
        reader.join(30)
    assert [entry.image.data if entry.image else b"" for entry in results] == [data] * 6
    assert upstream.hits("/popular.png") == 1


def test_a_cache_that_cannot_be_written_still_shows_the_picture(
        reader: Client, upstream: Upstream, fresh_cache: Path) -> None:
    fresh_cache.write_bytes(b"")  # a file where the cache's folder should be
    url = upstream.serve("/a.png", picture())
    for _ in range(2):
        response = reader.get(proxied_url(url))
        assert response.status_code == 200
        assert response.content == picture()


def test_the_cache_stays_within_its_bound(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=100_000, max_age=3600, refusal_age=60)
    data = b"\0" * 10_000
    for n in range(50):
        cache.put(f"https://pics.example/{n}", CacheEntry(ProxiedImage(data, "image/png")))
    held = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert held <= 100_000
    assert cache.get("https://pics.example/49") is not None  # the newest stay
    assert cache.get("https://pics.example/0") is None  # the oldest went


# --- the pages --------------------------------------------------------------------------------


def test_templates_get_proxy_urls_and_nothing_for_what_is_not_http() -> None:
    template = Template("{% load proxied %}[{% proxied url %}][{{ url|proxied }}]")
    shown = template.render(Context({"url": "https://pics.example/a b.png?x=1&y=2"}))
    assert shown == "[][]"  # a space: no URL the hub would fetch
    shown = template.render(Context({"url": "https://pics.example/a.png?x=1&y=2"}))
    assert shown.startswith("[/proxy/image/")
    assert "pics.example" not in shown
    for bad in ("javascript:alert(1)", "data:image/svg+xml,<svg/>", "//pics.example/a.png",
                "file:///etc/passwd", "https://user:pw@pics.example/a.png", "", None,
                "https://pics.example/" + "a" * 3000):
        assert template.render(Context({"url": bad})) == "[][]"


def test_connection_avatars_come_through_the_proxy(reader: Client) -> None:
    user = User.objects.get(username="reader")
    connection = Connection(user=user, network="mastodon", base_url="https://pics.example",
                            remote_id="1", handle="@ada@pics.example", display_name="Ada",
                            avatar_url="https://pics.example/avatars/ada.png")
    connection.credentials = {"access_token": "t"}
    connection.save()
    html = reader.get(reverse("connections:list")).content.decode()
    sources = re.findall(r'<img[^>]* src="([^"]*)"', html)
    avatars = [src for src in sources if "/static/" not in src]
    assert avatars
    assert all(src.startswith("/proxy/image/") for src in avatars), avatars
    assert "pics.example/avatars" not in html


def test_pages_allow_pictures_from_the_hub_only(reader: Client) -> None:
    response = reader.get(reverse("publishing:compose"))
    policy = response["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert img_src.split()[1:] == ["'self'", "blob:"]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "AVIF"])
def test_mangled_headers_are_refused_in_words_never_raised(fmt: str) -> None:
    import random

    rng = random.Random(f"mangle-{fmt}")  # the same cases every run
    original = picture(fmt, (24, 16))
    mime = sniff(original[:64])
    assert mime is not None
    reasons: list[str] = []
    for _ in range(400):
        data = bytearray(original[:rng.choice([40, 80, 200, len(original)])])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)
        try:
            width, height = check_size(bytes(data), mime)
        except ImageRefused as exc:  # anything else would be a 500
            reasons.append(str(exc))
        else:
            assert width * height <= 40_000_000
    assert all(reasons)


def test_sniff_knows_the_formats_by_their_first_bytes() -> None:
    assert sniff(picture("JPEG")[:32]) == "image/jpeg"
    assert sniff(picture("AVIF")[:32]) == "image/avif"
    assert sniff(SVG[:32]) is None
    assert sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom") is None  # a video
