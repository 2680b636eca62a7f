"""The column pages: a deck with a single-feed and a merged column, and the column view timed
through Django's test Client (full page, htmx fragment, deep cursors, the selector alone, a new
connection a request), alone and beside a thread that ingests."""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from deckbench.data import Account, Generator
from deckbench.machine import load_average, log, peak_rss_mib, rss_mib

MERGED_FEEDS = 5


def make_columns(user: Any, accounts: Sequence[Account]) -> tuple[Any, Any, Any]:
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.timeline import services

    deck = services.create_deck(user, "Bench")
    first = Connection.objects.get(pk=accounts[0].pk)
    single = services.add_column(deck, connections=[first], kind="home")
    # Five accounts of all three networks (indexes 0..4 cycle mastodon, bluesky, nostr).
    merged_connections = list(Connection.objects.filter(
        pk__in=[a.pk for a in accounts[:MERGED_FEEDS]]))
    merged = services.add_column(deck, connections=merged_connections, kind="home",
                                 title="Home everywhere")
    for column in (single, merged):
        services.mark_read(column, timezone.now())  # a column starts read, as the deck does
    return deck, single, merged


def deep_cursors(column: Any, count: int, rng: random.Random, page: int,
                 lowest: float, highest: float) -> list[tuple[Any, int, int]]:
    """(created_at, item id, depth) of items between `lowest` and `highest` of the way down the
    column's history (a merged column: its feeds', by time), each with a full page below."""
    from hubbub.timeline.models import FeedEntry

    feed_ids = list(column.feeds.values_list("pk", flat=True))
    history = list(FeedEntry.objects.filter(feed_id__in=feed_ids)
                   .order_by("-created_at", "-item_id").values_list("created_at", "item_id"))
    total = len(history)
    cursors = []
    for _ in range(count):
        depth = min(int(total * rng.uniform(lowest, highest)), total - page * 2)
        at, item_id = history[depth]
        cursors.append((at, item_id, depth))
    return cursors


@dataclass
class Timing:
    name: str
    wall_ms: list[float]
    cpu_ms: list[float]  # this thread's CPU time: what the request costs without contention
    queries: int = 0
    bytes: int = 0
    items: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after

    def summary(self) -> dict[str, Any]:
        s = sorted(self.wall_ms)
        q = statistics.quantiles(s, n=100, method="inclusive")
        c = sorted(self.cpu_ms)
        cq = statistics.quantiles(c, n=100, method="inclusive")
        return {
            "name": self.name, "n": len(s), "p50": statistics.median(s), "p95": q[94],
            "p99": q[98], "mean": statistics.fmean(s), "max": s[-1], "min": s[0],
            "cpu_p50": statistics.median(c), "cpu_p95": cq[94], "cpu_p99": cq[98],
            "queries": self.queries, "bytes": self.bytes, "items": self.items,
            "load_before": self.load[0], "load_after": self.load[1],
        }



@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run on the default connection inside the block."""
    from django.db import connection as db

    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with db.execute_wrapper(wrapper):
        yield seen


def timed(fn: Callable[[int], Any], n: int, warmup: int,
          before_each: Callable[[], Any] | None = None) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of n calls, after `warmup` untimed ones."""
    wall, cpu = [], []
    for i in range(warmup + n):
        if before_each is not None:
            before_each()
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn(i)
        t1 = time.perf_counter()
        c1 = time.thread_time()
        if i >= warmup:
            wall.append((t1 - t0) * 1000)
            cpu.append((c1 - c0) * 1000)
    return wall, cpu


def measure_pages(user: Any, single: Any, merged: Any, args: argparse.Namespace,
                  rng: random.Random) -> tuple[list[Timing], dict[str, Any]]:
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from hubbub.timeline import selectors, views
    from hubbub.timeline.cursors import encode_cursor

    page = views.PAGE_SIZE
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    fragment = {"HX-Request": "true"}
    results: list[Timing] = []
    cursor_info: dict[str, Any] = {}

    def record(timing: Timing) -> None:
        results.append(timing)
        row = timing.summary()
        log(f"{timing.name:<46} p50 {row['p50']:6.2f}  p95 {row['p95']:6.2f}  "
            f"p99 {row['p99']:6.2f} ms   cpu p50 {row['cpu_p50']:6.2f}  "
            f"p95 {row['cpu_p95']:6.2f} ms   load {row['load_before']:.1f}  "
            f"RSS {rss_mib():.0f}/{peak_rss_mib():.0f} MiB")

    def case(name: str, column: Any, cursors: Sequence[tuple[Any, int, int]] | None,
             headers: dict[str, str] | None = None, reconnect: bool = False) -> None:
        url = reverse("timeline:column", args=[column.pk])
        tokens = [encode_cursor(at, pk) for at, pk, _d in cursors] if cursors else [""]

        def get(i: int) -> Any:
            token = tokens[i % len(tokens)]
            return client.get(url, {"before": token} if token else {}, headers=headers)

        # What CONN_MAX_AGE=0 does when served: the next request opens SQLite anew.
        before_each = connections.close_all if reconnect else None
        # Check what the timed requests get: 200, a full page of items, never the network;
        # count the statements of a request after the first.
        get(0)
        with count_queries() as queries:
            response = get(0)
        body = response.content
        count = body.count(b'<article class="item')
        if response.status_code != 200 or count != page:
            raise SystemExit(f"{name}: status {response.status_code}, {count} items")
        load = load_average()
        wall, cpu = timed(get, args.requests, args.warmup, before_each)
        record(Timing(name, wall, cpu, len(queries), len(body), count,
                      (load, load_average())))

    def selector_case(name: str, column: Any,
                      cursors: Sequence[tuple[Any, int, int]] | None) -> None:
        befores = [(at, pk) for at, pk, _d in cursors] if cursors else [None]

        def run(i: int) -> Any:
            return selectors.column_page(column, before=befores[i % len(befores)], limit=page)

        with count_queries() as queries:
            got = run(0)
        if len(got) != page:
            raise SystemExit(f"{name}: {len(got)} items")
        load = load_average()
        wall, cpu = timed(run, args.requests, args.warmup)
        record(Timing(name, wall, cpu, len(queries), 0, len(got), (load, load_average())))

    deep_single = deep_cursors(single, args.cursors, rng, page, 0.5, 0.999)
    deep_merged = deep_cursors(merged, args.cursors, rng, page, 0.5, 0.999)
    for label, cursors in (("single", deep_single), ("merged", deep_merged)):
        depths = [d for _a, _p, d in cursors]
        oldest = min(at for at, _p, _d in cursors)
        cursor_info[label] = {"count": len(cursors), "min_depth": min(depths),
                              "max_depth": max(depths), "oldest": oldest.date().isoformat()}

    for label, column, cursors in (("single-feed", single, deep_single),
                                   ("merged 5-feed", merged, deep_merged)):
        case(f"{label} column page, first page", column, None)
        case(f"{label} column page, deep pages", column, cursors)
        case(f"{label} htmx fragment, deep pages", column, cursors, headers=fragment)
        selector_case(f"{label} selector only, first page", column, None)
        selector_case(f"{label} selector only, deep pages", column, cursors)
    case("single-feed first page, new DB connection each request", single, None,
         reconnect=True)
    return results, cursor_info


# --- a column page while ingest runs ----------------------------------------------------------


def measure_during_ingest(user: Any, column: Any, accounts: Sequence[Account], gen: Generator,
                          args: argparse.Namespace, name: str,
                          pause: float) -> tuple[Timing, dict[str, Any]]:
    """The single-feed first page while another thread ingests polls of 40-100 new items,
    `pause` seconds apart (0: a backlog worked off without pause), as `hubbub serve` runs its
    worker threads beside the web server in one process. Also times `polling.mark_watched`,
    the view's writes, to show the waits for SQLite's write lock."""
    import threading

    from django.db import connection as db
    from django.test import Client
    from django.urls import reverse

    from hubbub.timeline import polling
    from hubbub.timeline.ingest import ingest

    stop = threading.Event()
    ingested = {"items": 0, "seconds": 0.0, "in_ingest": 0.0, "batches": 0}
    failure: list[BaseException] = []

    def work() -> None:
        rng = gen.rng
        now = datetime.now(UTC)
        try:
            started = time.perf_counter()
            n = 0
            while not stop.is_set():
                account = accounts[n % len(accounts)]
                n += 1
                size = rng.randint(args.batch_min, args.batch_max)
                # New posts of the last minutes, newest first, as a poll brings them.
                whens = sorted((now - timedelta(seconds=rng.uniform(0, 3600))
                                for _ in range(size)), reverse=True)
                batch = [gen.item(account, when) for when in whens]
                t0 = time.perf_counter()
                result = ingest(account.feed, batch)
                ingested["in_ingest"] += time.perf_counter() - t0
                ingested["items"] += len(result.new_item_ids)
                ingested["batches"] += 1
                if pause:
                    stop.wait(pause)
            ingested["seconds"] = time.perf_counter() - started
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            db.close()

    watched_ms: list[float] = []
    real_mark_watched = polling.mark_watched

    def timed_mark_watched(feeds: Any) -> None:
        t0 = time.perf_counter()
        real_mark_watched(feeds)
        watched_ms.append((time.perf_counter() - t0) * 1000)

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = reverse("timeline:column", args=[column.pk])
    thread = threading.Thread(target=work, name="bench-ingest", daemon=True)
    polling.mark_watched = timed_mark_watched
    load = load_average()
    try:
        thread.start()
        time.sleep(0.5)
        wall, cpu = timed(lambda _i: client.get(url), args.requests, args.warmup)
    finally:
        stop.set()
        thread.join()
        polling.mark_watched = real_mark_watched
    if failure:
        raise failure[0]
    watched = sorted(watched_ms[args.warmup:])
    extra = {
        "items": ingested["items"], "batches": ingested["batches"],
        "pause": pause,
        "items_per_s": ingested["items"] / max(ingested["seconds"], 1e-9),
        "batch_ms": 1000 * ingested["in_ingest"] / max(ingested["batches"], 1),
        "mark_watched_p50": statistics.median(watched),
        "mark_watched_p95": statistics.quantiles(watched, n=100, method="inclusive")[94],
        "mark_watched_max": watched[-1],
    }
    timing = Timing(name, wall, cpu, load=(load, load_average()))
    row = timing.summary()
    log(f"{timing.name:<46} p50 {row['p50']:6.2f}  p95 {row['p95']:6.2f}  "
        f"p99 {row['p99']:6.2f} ms   cpu p50 {row['cpu_p50']:6.2f}; ingest beside it "
        f"{extra['items_per_s']:,.0f} items/s; mark_watched p95 {extra['mark_watched_p95']:.1f}"
        f" max {extra['mark_watched_max']:.1f} ms")
    return timing, extra
