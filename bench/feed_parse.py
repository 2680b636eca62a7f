"""How long reading one feed document takes (imports.feeds.parse: our decoding and checks, then
feedparser), for real shapes and hostile ones, at the size the fetch lets through.

    uv run python bench/feed_parse.py              # 5 MB each (the fetch's limit)
    uv run python bench/feed_parse.py --mb 1 --only strict loose

Each shape runs in this process once; the time is wall clock around parse(). Run on a quiet
machine: the numbers are for docs/imports.md, never for a test.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from hubbub.imports.feeds import FeedProblem, parse

ITEM = (b"<item><title>Entry %d &amp; more</title><link>https://b.example/p/%d</link>"
        b"<guid>g%d</guid><description>&lt;p&gt;Some &lt;b&gt;text&lt;/b&gt; about it."
        b"&lt;/p&gt;</description><pubDate>Tue, 03 Nov 2026 10:00:00 +0000</pubDate></item>\n")
OPEN = b"<rss version='2.0'><channel><title>"


def _feed(size: int, entity: bytes = b"&amp;") -> bytes:
    items = b"".join(ITEM % (n, n, n) for n in range(size // len(ITEM % (0, 0, 0))))
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + items.replace(b"&amp;", entity) + b"</channel></rss>")


SHAPES: dict[str, Callable[[int], bytes]] = {
    "strict": lambda n: _feed(n),  # well-formed: expat reads it
    "loose": lambda n: _feed(n, b"&nbsp;"),  # HTML entities: feedparser's loose parser
    "lt": lambda n: OPEN + b"<" * n,
    "amp": lambda n: OPEN + b"&" * n,
    "nested": lambda n: b"<rss version='2.0'><channel>" + b"<a>" * (n // 3),
    "long-declaration": lambda n: b'<?xml encoding="a"' + b'"' * n,
    "blank-prolog": lambda n: b"<?xml version='1.0'?>" + b"\n" * n + b"<rss/>",
    "entity-bomb": lambda n: (b'<!DOCTYPE r [<!ENTITY a "' + b"x" * (n // 2) + b'">]><r>'
                              + b"&a;" * (n // 6) + b"</r>"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="document size in MB")
    parser.add_argument("--only", nargs="*", choices=sorted(SHAPES), help="these shapes only")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    for name in args.only or SHAPES:
        document = SHAPES[name](size)
        start = time.perf_counter()
        try:
            outcome = f"{len(parse(document, 'https://b.example/feed').entries)} entries"
        except FeedProblem as exc:
            outcome = f"refused: {str(exc)[:60]}"
        seconds = time.perf_counter() - start
        print(f"{name:<17} {len(document) / 1e6:5.1f} MB {seconds:7.2f} s  {outcome}", flush=True)


if __name__ == "__main__":
    main()
