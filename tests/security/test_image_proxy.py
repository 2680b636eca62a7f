"""The image proxy: remote pictures reach the browser only through the hub, for signed-in
people, for URLs the hub itself signed, checked (type by magic bytes, size, pixels), cached, and
without telling the remote server anything about the reader (no cookie, no Referer)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.core.image_proxy import (
    ImageRefused,
    check_size,
    encode_address,
    sign,
    sniff,
)
from hubbub.timeline.media_proxy import proxied_url
from tests.security.image_proxy_support import (
    SVG,
    Upstream,
    assert_placeholder,
    picture,
    png_header_only,
)
from tests.waiting import until

# The loopback picture server, a signed-in reader, a fresh cache: tests/security/conftest.py.
pytestmark = pytest.mark.usefixtures("fresh_cache")


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
