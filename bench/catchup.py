"""The catch-up benchmark: the catch-up page and its Atom feed over a large store, on SQLite.

    uv run python bench/catchup.py                  # 100,000 items over 30 days, 20 accounts
    uv run python bench/catchup.py --items 20000    # quicker

One process, a throwaway data dir, no network (deck.py's item generator and ingest):

1. `--items` items over `--days` days ingested (deck.py's ingest phase; realistic counts in
   most items' `extra`).
2. A deck with one home column per account and a merged column of five accounts' homes; a hide
   rule (a common word) and a priority rule (three authors of each network), applied to the
   store.
3. For "last here" 1 hour, 1 day and 7 days before the newest item, and before the oldest
   (everything is new): the selector alone (`catchup.selectors.catch_up`), the page
   (`/catch-up/`) and the feed (`/catch-up/feed/<token>.atom`) through Django's test Client,
   in-process, `--requests` timed requests after 2 untimed ones; wall milliseconds, p50/p95.
   The Rules page beside them shows what the layout all pages share costs.

Results print as Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from deckbench.machine import load_average, log, machine
from deckbench.scratch import in_scratch_store, seeded_store


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    args.batch_min, args.batch_max, args.overlap = 40, 100, 5
    return args


def timed(fn: Callable[[], Any], n: int, warmup: int = 2) -> list[float]:
    out = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        fn()
        if i >= warmup:
            out.append((time.perf_counter() - t0) * 1000)
    return out


def quantiles(values: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(argv: Sequence[str] | None = None) -> int:
    return in_scratch_store("hubbub-catchup-bench-", parse(argv), run)


def run(args: argparse.Namespace) -> None:
    seeded = seeded_store(args)
    user, gen = seeded.user, seeded.gen
    from django.db import connection as db
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hubbub.catchup import selectors, tokens
    from hubbub.catchup.models import CatchUpState
    from hubbub.catchup.services import state_for
    from hubbub.connections.models import Connection
    from hubbub.listening import apply
    from hubbub.listening import services as rules
    from hubbub.listening.conditions import spec_from
    from hubbub.timeline import services
    from hubbub.timeline.models import FeedEntry, Item

    deck = services.create_deck(user, "Bench")
    connections = list(Connection.objects.filter(user=user).order_by("pk"))
    for connection in connections:
        services.add_column(deck, connections=[connection], kind="home")
    services.add_column(deck, connections=connections[:5], kind="home", title="Home everywhere")
    authors = [gen.authors[net][n].handle for net in gen.authors for n in range(3)]
    rules.save_rule(user, spec_from({"conditions": [{"kind": "words", "values": ["coffee"]}],
                                     "actions": [{"kind": "hide"}]}),
                    name="no coffee", expires_at=None)
    rules.save_rule(user, spec_from({"conditions": [{"kind": "author", "values": authors}],
                                     "actions": [{"kind": "priority"}]}),
                    name="first", expires_at=None)
    t0 = time.perf_counter()
    apply.recompute(user.pk)
    log(f"rules applied in {time.perf_counter() - t0:.1f} s")

    newest = FeedEntry.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
    oldest = FeedEntry.objects.order_by("created_at").values_list("created_at", flat=True)[0]
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    state_for(user)
    feed_path = f"/catch-up/feed/{tokens.make_token(user)}.atom"
    reader = Client(SERVER_NAME="localhost")
    rows = []
    for label, since in (("1 hour", newest - timedelta(hours=1)),
                         ("1 day", newest - timedelta(days=1)),
                         ("7 days", newest - timedelta(days=7)),
                         ("everything", oldest - timedelta(seconds=1))):
        CatchUpState.objects.filter(user=user).update(since=since)
        catch = selectors.catch_up(user, since)
        with CaptureQueriesContext(db) as queries:
            assert client.get("/catch-up/").status_code == 200
        page_queries = len(queries)
        assert reader.get(feed_path).status_code == 200
        selector = timed(lambda s=since: selectors.catch_up(user, s), args.requests)
        page = timed(lambda: client.get("/catch-up/"), args.requests)
        feed = timed(lambda: reader.get(feed_path), args.requests)
        rows.append({"since": label, "new": catch.total, "more": catch.more,
                     "priority": len(catch.priority), "engaged": len(catch.engaged),
                     "selector": quantiles(selector), "page": quantiles(page),
                     "feed": quantiles(feed), "queries": page_queries})
        log(f"{label}: {catch.total:,} new; page p50 {quantiles(page)[0]:.1f} ms")
    # The layout every page shares (navigation and its badges), on a page of little data.
    other = quantiles(timed(lambda: client.get("/rules/"), args.requests))
    print(report(rows, args, Item.objects.count(), len(connections) + 1, machine(),
                 load_average()))
    print(f"\nThe Rules page in the same run (the layout every page shares, little data of its "
          f"own): p50 {other[0]:.1f} ms, p95 {other[1]:.1f} ms.")


def report(rows: list[dict[str, Any]], args: argparse.Namespace, items: int, columns: int,
           facts: dict[str, Any], load: float) -> str:
    lines = [
        f"{items:,} items over {args.days:.0f} days, {args.connections} accounts, {columns} "
        f"columns (one home column per account and a merged one of five), a hide rule and a "
        f"priority rule; {args.requests} timed requests a case; load {load:.1f}; "
        f"{facts.get('cpu', '')} Python {facts.get('python', '')}, SQLite "
        f"{facts.get('sqlite', '')}.",
        "",
        "| last here | new items counted | priority / engaged listed | selector p50 / p95 ms "
        "| page p50 / p95 ms | feed p50 / p95 ms | page queries |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        new = f"{r['new']:,}" + (" (a column stopped at 2,000)" if r["more"] else "")
        lines.append(
            f"| {r['since']} before the newest | {new} | {r['priority']} / {r['engaged']} | "
            f"{r['selector'][0]:.1f} / {r['selector'][1]:.1f} | {r['page'][0]:.1f} / "
            f"{r['page'][1]:.1f} | {r['feed'][0]:.1f} / {r['feed'][1]:.1f} | {r['queries']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
