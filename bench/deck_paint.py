"""The deck of ten columns in Chromium: how soon the first column is painted, beside what the
server takes and sends.

    uv run python bench/deck.py --items 3000 --connections 5 --keep --data-dir /tmp/deckstore
    uv run python bench/deck_paint.py --store /tmp/deckstore [--runs 9]

On a copy of the store (given ten columns as bench/deck_weight.py gives them), `hubbub serve
--web-only` answers Debian's Chromium (Playwright, headless). Each run opens the deck in a new
page of one logged-in context (the sprite, styles and scripts cached, as for a person who
comes back) and reads, from the page's own clock (ms after the navigation started):

- the response's first and last byte (the server's time to answer and to send the deck),
- DOMContentLoaded and the first contentful paint,
- "first column painted": the first animation frame after the first column holds an item
  (a MutationObserver set before the page's own scripts),
- "all columns painted": the same once every column holds an item,

and the HTML's size as it came over the wire and decoded. Pictures are refused by the page
(their proxy would fetch the bench's made-up hosts), so the times are the page's own.
Issue 13's goal for the deck: under 150 KB of HTML for the first screen, measured in Chromium
as well as on the server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from deck_weight import COLUMNS, ten_columns  # noqa: E402
from deckbench.machine import load_average  # noqa: E402

PASSWORD = "bench-paint-password"

WATCH = """
(() => {
  const marks = {};
  window.__paint = marks;
  const frame = (name) => requestAnimationFrame(() => { marks[name] = performance.now(); });
  const check = () => {
    const columns = document.querySelectorAll('.column');
    if (!columns.length) return;
    const filled = [...columns].filter((c) => c.querySelector('article')).length;
    if (filled && !('first' in marks) && !marks.firstSeen) { marks.firstSeen = 1; frame('first'); }
    if (filled === columns.length && !marks.allSeen) { marks.allSeen = 1; frame('all'); }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
})();
"""

READ = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {ttfb: nav.responseStart, last_byte: nav.responseEnd,
          dom_ready: nav.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null,
          first: window.__paint.first ?? null, all: window.__paint.all ?? null,
          wire: nav.encodedBodySize, html: nav.decodedBodySize,
          items: document.querySelectorAll('.column article').length};
}
"""


def _prepare(store: Path) -> int:
    """Ten columns and a known password on the copy; the deck's id."""
    os.environ["HUBBUB_DATA_DIR"] = str(store)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User

    from hubbub.timeline.models import Deck

    user = User.objects.get(username="bench")
    user.set_password(PASSWORD)
    user.save()
    deck = Deck.objects.filter(user=user).order_by("pk").first()
    assert deck is not None, "no deck in the store: make it with bench/deck.py --keep"
    ten_columns(deck)
    # Limits as a person's hub has them cached: the bench's made-up servers are never asked.
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.networks.registry import get_connector

    for connection in Connection.objects.all():
        defaults = get_connector(connection.network).default_capabilities()
        Connection.objects.filter(pk=connection.pk).update(
            capabilities_json=defaults.to_json(), capabilities_fetched_at=timezone.now())
    from django.db import connections

    connections.close_all()
    return int(deck.pk)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    while proc.poll() is None:
        try:
            requests.get(f"{url}/accounts/login/", timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.1)  # polling for the socket, not a wait before a check
    raise RuntimeError("hubbub serve ended before answering")


def measure(store: Path, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    deck_id = _prepare(store)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBBUB_", "DJANGO_"))}
    env.update(HUBBUB_DATA_DIR=str(store), HUBBUB_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "hubbub.cli", "serve", "--web-only",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    rows: list[dict[str, Any]] = []
    try:
        _wait_up(url, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking"])
            context = browser.new_context(viewport={"width": 1600, "height": 900})
            context.route("**/proxy/image/**", lambda route: route.abort())
            context.add_init_script(WATCH)
            page = context.new_page()
            page.goto(f"{url}/accounts/login/")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("load")
            for n in range(runs + 1):  # the first warms the caches and is not counted
                tab = context.new_page()
                tab.goto(f"{url}/deck/{deck_id}/", wait_until="load")
                tab.wait_for_function("window.__paint && 'all' in window.__paint")
                if n:
                    rows.append(tab.evaluate(READ))
                tab.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    return {"load": load_average(), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True,
                        help="the data dir bench/deck.py --keep left")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deckpaint-") as folder:
        copy = Path(folder) / "store"
        shutil.copytree(args.store, copy)
        result = measure(copy, args.runs)
    rows = result["rows"]

    def p50(key: str) -> float:
        return statistics.median(float(r[key]) for r in rows)

    def worst(key: str) -> float:
        return max(float(r[key]) for r in rows)

    print(f"load {result['load']:.1f}, {len(rows)} runs, {rows[0]['items']} items in "
          f"{COLUMNS} columns")
    print(f"HTML {rows[0]['html']:,} bytes, {rows[0]['wire']:,} on the wire")
    print("ms after navigation start | p50 | max")
    for key, name in (("ttfb", "first byte"), ("last_byte", "last byte"),
                      ("dom_ready", "DOMContentLoaded"), ("fcp", "first contentful paint"),
                      ("first", "first column painted"), ("all", "all columns painted")):
        print(f"{name} | {p50(key):.0f} | {worst(key):.0f}")


if __name__ == "__main__":
    main()
