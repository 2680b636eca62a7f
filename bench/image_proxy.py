"""The image proxy's costs: what a page pays to sign its picture URLs, and what a picture costs
when fetched and when served from the cache.

    uv run python bench/image_proxy.py [--n 20000]

In one process with a throwaway data dir: `proxied_url` per call (a deck page of 30 items
signs up to 90: avatar, media preview, card), for a URL seen before and for new ones; then
GET /proxy/image/... through Django's test Client (in-process, signed in) for a 28 KB PNG served
by a local server on 127.0.0.1: the first request (fetch, check, cache) and cache hits.
Nothing leaves loopback. Never a timed test: the numbers belong to one quiet machine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HUBBUB_DATA_DIR", tempfile.mkdtemp(prefix="hubbub-bench-"))
os.environ.setdefault("HUBBUB_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from PIL import Image

    from hubbub.timeline.media_proxy import proxied_url

    setup_test_environment()
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User

    out = io.BytesIO()
    Image.effect_noise((100, 100), 60).convert("RGB").save(out, "PNG")
    picture = out.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, *a: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    url = "https://files.example.social/accounts/avatars/109/348/123/456/789/012/original/a1.png"
    for _ in range(1000):
        proxied_url(url)
    started = time.perf_counter()
    for _ in range(args.n):
        proxied_url(url)
    per_call = (time.perf_counter() - started) / args.n
    fresh = [f"{url}?v={n}" for n in range(args.n)]  # each URL new: signed, not remembered
    started = time.perf_counter()
    for each in fresh:
        proxied_url(each)
    per_new = (time.perf_counter() - started) / args.n

    client = Client()
    client.force_login(User.objects.create_user("bench"))
    firsts, hits = [], []
    for n in range(50):
        path = proxied_url(f"{base}/p{n}.png")
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        firsts.append(time.perf_counter() - started)
        for _ in range(20):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            hits.append(time.perf_counter() - started)
    server.shutdown()

    def ms(values: list[float], q: int) -> str:
        return f"{statistics.quantiles(values, n=100)[q - 1] * 1000:.2f} ms"

    print(f"| picture size | {len(picture):,} bytes |")
    print(f"| proxied_url, a URL seen before | {per_call * 1e6:.1f} us a call; 90 a page: "
          f"{per_call * 90 * 1000:.2f} ms |")
    print(f"| proxied_url, a new URL | {per_new * 1e6:.1f} us a call; 90 a page: "
          f"{per_new * 90 * 1000:.2f} ms |")
    print(f"| first request (fetch, check, cache) | p50 {ms(firsts, 50)}, p95 {ms(firsts, 95)} |")
    print(f"| cache hit | p50 {ms(hits, 50)}, p95 {ms(hits, 95)} |")
    print(f"| load average | {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores |")


if __name__ == "__main__":
    main()
