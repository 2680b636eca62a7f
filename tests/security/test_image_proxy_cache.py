"""The image proxy's cache: a picture (or a refusal) fetched once serves the readers after it,
expires, survives a cache it cannot write, and stays within its bound."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from django.test import Client

from hubbub.core.image_proxy import (
    CacheEntry,
    FetchLimits,
    ImageCache,
    ProxiedImage,
    load,
)
from hubbub.timeline.media_proxy import proxied_url
from tests.security.image_proxy_support import (
    SVG,
    Upstream,
    assert_placeholder,
    picture,
)
from tests.waiting import until

# The loopback picture server, a signed-in reader, a fresh cache: tests/security/conftest.py.
pytestmark = pytest.mark.usefixtures("fresh_cache")


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
