"""The ingest phase: connections and their feeds, polls of 40-100 items in time order (each
re-reading a few of the previous poll), and the time spent inside `ingest()`."""

from __future__ import annotations

import argparse
import hashlib
import heapq
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from deckbench.data import NETWORKS, Account, Generator
from deckbench.machine import load_average, log, rss_mib, run_queue_seconds


def make_accounts(count: int, rng: random.Random, gen: Generator) -> tuple[Any, list[Account]]:
    from django.contrib.auth.models import User

    from hubbub.connections.models import Connection
    from hubbub.timeline import selectors

    user = User.objects.create_user("bench", password=f"bench-{rng.random()}")
    accounts: list[Account] = []
    for index in range(count):
        network = NETWORKS[index % len(NETWORKS)]
        me = gen.authors[network][index]
        host = me.handle.rsplit("@", 1)[-1] if network == "mastodon" else ""
        connection = Connection(
            user=user, network=network,
            base_url={"mastodon": f"https://{host}", "bluesky": "https://bsky.social.example",
                      "nostr": "wss://relay.example"}[network],
            remote_id=me.did or str(100000 + index), handle=me.handle, display_name=me.name,
            avatar_url=me.avatar, profile_url=me.url,
        )
        credentials: dict[str, dict[str, Any]] = {
            "mastodon": {"access_token": hashlib.sha256(f"token{index}".encode()).hexdigest()},
            "bluesky": {"identifier": me.handle.lstrip("@"), "app_password": "abcd-efgh-ijkl-mnop",
                        "access_jwt": "eyJ" + "x" * 200, "refresh_jwt": "eyJ" + "y" * 200},
            "nostr": {"secret_key": hashlib.sha256(f"nsec{index}".encode()).hexdigest(),
                      "relays": ["wss://relay.example", "wss://nos.example"]},
        }
        connection.credentials = credentials[network]
        connection.save()
        account = Account(index=index, network=network, host=host or "bsky.example",
                          pk=connection.pk)
        account.feed = selectors.ensure_feed(connection, "home")
        account.follows = rng.sample(gen.authors[network], 300)
        accounts.append(account)
    return user, accounts


def schedule(accounts: Sequence[Account], total: int, rng: random.Random,
             gen: Generator, batch_min: int, batch_max: int) -> Iterator[tuple[Account, int]]:
    """(account, batch size) in time order: each account polled in turn, as the worker would,
    the busiest timeline first when two are due together."""
    per = total // len(accounts)
    for n, account in enumerate(accounts):
        account.total = per + (1 if n < total % len(accounts) else 0)
    heap = [(0.0, a.index) for a in accounts]
    heapq.heapify(heap)
    by_index = {a.index: a for a in accounts}
    while heap:
        _at, index = heapq.heappop(heap)
        account = by_index[index]
        size = min(rng.randint(batch_min, batch_max), account.total - account.made)
        if size <= 0:
            continue
        yield account, size
        if account.made < account.total:
            heapq.heappush(heap, (account.made / account.total, index))


def make_batch(account: Account, size: int, gen: Generator, overlap: int) -> list[Any]:
    """The next `size` items of the account's timeline, newest first (as the networks answer),
    plus up to `overlap` items of its previous poll read again."""
    rng = gen.rng
    step = gen.span / account.total
    items = []
    for n in range(account.made, account.made + size):
        when = gen.start + step * n + step * rng.random() * 0.9
        items.append(gen.item(account, when))
    account.made += size
    items.reverse()
    again = [gen.reread(item) for item in account.last_batch[:rng.randint(0, overlap)]]
    account.last_batch = items
    return items + again


# --- ingest ---------------------------------------------------------------------------------------


@dataclass
class IngestStats:
    seconds: float = 0.0
    # The process's CPU time inside ingest(): the calling thread's and that of the thread that
    # cleans HTML beside it (core/sanitize.py clean_html_many); nothing else runs meanwhile.
    cpu_seconds: float = 0.0
    caller_cpu_seconds: float = 0.0  # the calling thread's alone
    # Inside ingest(), this thread runnable but waiting for a CPU (other processes had them),
    # from /proc/thread-self/schedstat; what is neither CPU nor this is waiting for I/O/locks.
    cpu_wait_seconds: float = 0.0
    generate_seconds: float = 0.0
    wall_seconds: float = 0.0
    batches: int = 0
    offered: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    batch_ms: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)


def run_ingest(accounts: Sequence[Account], args: argparse.Namespace,
               gen: Generator) -> IngestStats:
    from hubbub.timeline.ingest import ingest

    stats = IngestStats()
    report_every = max(args.items // 10, 1)
    next_report = report_every
    started = time.perf_counter()
    for account, size in schedule(accounts, args.items, gen.rng, gen, args.batch_min,
                                  args.batch_max):
        g0 = time.perf_counter()
        batch = make_batch(account, size, gen, args.overlap)
        w0 = run_queue_seconds()
        p0 = time.process_time()
        c0 = time.thread_time()
        t0 = time.perf_counter()
        result = ingest(account.feed, batch)
        t1 = time.perf_counter()
        stats.caller_cpu_seconds += time.thread_time() - c0
        stats.cpu_seconds += time.process_time() - p0
        stats.cpu_wait_seconds += run_queue_seconds() - w0
        stats.generate_seconds += t0 - g0
        stats.seconds += t1 - t0
        stats.batch_ms.append((t1 - t0) * 1000)
        stats.batches += 1
        stats.offered += len(batch)
        stats.new += len(result.new_item_ids)
        stats.updated += len(result.updated_item_ids)
        stats.skipped += result.skipped
        stats.unchanged += (len(result.item_ids) - len(result.new_item_ids)
                            - len(result.updated_item_ids))
        if stats.new >= next_report:
            next_report += report_every
            stats.loads.append(load_average())
            log(f"ingest {stats.new:>9,} new items, {stats.new / stats.seconds:8,.0f} items/s "
                f"(in ingest {stats.seconds:6.1f} s, generating {stats.generate_seconds:6.1f} s,"
                f" RSS {rss_mib():.0f} MiB, load {stats.loads[-1]:.1f})")
    stats.wall_seconds = time.perf_counter() - started
    return stats
