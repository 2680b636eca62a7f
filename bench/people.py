"""The People page benchmark: suggestions computed at each load (before) against the kept ones
(after), on SQLite.

    uv run python bench/people.py                  # 30,000 items, 20 accounts
    uv run python bench/people.py --items 5000     # quicker

One process, a throwaway data dir, no network (deck.py's item generator and ingest, as
catchup.py): `--items` items over 30 days, then `--profiles` authors' profiles stored as if
read (a third of them linking to the same-numbered author of another network, so the
profile-link rule has work). Then, in the same run and the same store:

- `suggest.suggestions` alone, before the profiles are stored (names only: what the page
  computed on every load before profile links) and after;
- the page (`/people/`) through Django's test Client as it was (computing them), and as it is
  (reading the kept ones, `suggest.for_page`), `--requests` timed requests after 2 untimed;
- `suggest.recompute`: what the background task does when the kept ones are stale.

Wall milliseconds (p50/p95) and process CPU milliseconds a request; the machine's load before
and after. Results print as Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from deckbench.machine import load_average, log, machine
from deckbench.scratch import in_scratch_store, seeded_store


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--profiles", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    args.batch_min, args.batch_max, args.overlap = 40, 100, 5
    return args


def timed(fn: Callable[[], Any], n: int, warmup: int = 2) -> tuple[list[float], float]:
    """Wall ms of each of n calls after warmup ones, and the mean process CPU ms a call."""
    wall = []
    for _ in range(warmup):
        fn()
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
    return wall, (time.process_time() - cpu0) * 1000 / n


def quantiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(argv: Sequence[str] | None = None) -> int:
    return in_scratch_store("hubbub-people-bench-", parse(argv), run)


def _profiles(user: Any, gen: Any, count: int) -> int:
    """Store `count` authors' profiles as if read; every third links to another network's
    author of the same number (a profile-link suggestion each)."""
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.listening.text import author_key
    from hubbub.people.models import AuthorProfile

    by_network = {c.network: c for c in Connection.objects.filter(user=user)}
    networks = [n for n in gen.authors if n in by_network]
    now = timezone.now()
    rows = []
    for n in range(count):
        network = networks[n % len(networks)]
        author = gen.authors[network][n // len(networks)]
        links = []
        if n % 3 == 0:
            other = gen.authors[networks[(n + 1) % len(networks)]][n // len(networks)]
            links.append({"value": other.url, "where": "bio", "verified": False})
        links.append({"value": f"https://example.org/~{n}", "where": "website",
                      "verified": False})
        rows.append(AuthorProfile(connection=by_network[network], network=network,
                                  handle=author_key(author.handle), links=links,
                                  aliases=[], read_at=now))
    AuthorProfile.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def run(args: argparse.Namespace) -> None:
    seeded = seeded_store(args)
    user, gen = seeded.user, seeded.gen
    from django.test import Client

    from hubbub.people import suggest, views
    from hubbub.people.models import SuggestionCache

    load_before = load_average()
    names_only, names_cpu = timed(lambda: suggest.suggestions(user), max(3, args.requests // 3))
    stored = _profiles(user, gen, args.profiles)
    found = suggest.suggestions(user)
    linked = sum(s.key.startswith("links:") for s in found)
    log(f"{stored} profiles stored; {len(found)} suggestions shown ({linked} from links)")

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    compute, compute_cpu = timed(lambda: suggest.suggestions(user), args.requests)
    # The page as it was: the view computing the suggestions on every load.
    kept_reader = views.suggest.for_page
    views.suggest.for_page = suggest.suggestions  # type: ignore[assignment]
    try:
        before, before_cpu = timed(lambda: client.get("/people/"), args.requests)
    finally:
        views.suggest.for_page = kept_reader  # type: ignore[assignment]
    SuggestionCache.objects.filter(user=user).delete()
    first_t0 = time.perf_counter()
    assert client.get("/people/").status_code == 200  # the first look computes and keeps
    first = (time.perf_counter() - first_t0) * 1000
    after, after_cpu = timed(lambda: client.get("/people/"), args.requests)
    again, again_cpu = timed(lambda: suggest.recompute(user.pk), max(3, args.requests // 3))
    load_after = load_average()

    info = machine()
    print(f"\n{args.items:,} items, {args.connections} accounts, {stored:,} profiles stored "
          f"({len(found)} suggestions on the page, {linked} from profile links); "
          f"{info.get('cpu', '')}, load {load_before:.1f} before / {load_after:.1f} after\n")
    print("| | p50 ms | p95 ms | CPU ms a call | ratio to the page before (p50) |")
    print("|---|---|---|---|---|")
    b50 = quantiles(before)[0]
    for label, wall, cpu in (("suggestions computed, no profiles stored (names only)",
                              names_only, names_cpu),
                             ("suggestions computed (`suggest.suggestions`)", compute,
                              compute_cpu),
                             ("People page before (computing at each load)", before,
                              before_cpu),
                             ("People page after (kept suggestions)", after, after_cpu),
                             ("background recompute (`suggest.recompute`)", again,
                              again_cpu)):
        p50, p95 = quantiles(wall)
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {cpu:.1f} | {p50 / b50:.2f} |")
    print(f"\nFirst look (nothing kept yet: computed once, inline): {first:.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
