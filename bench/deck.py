"""The deck benchmark: ingest throughput and column page server time on SQLite.

    uv run python bench/deck.py                      # the full run: 1,000,000 items, 20 accounts
    uv run python bench/deck.py --items 100000       # quick mode (about two minutes)

One run, in one process, against a throwaway data dir (the default SQLite profile of
settings.py: WAL, synchronous=NORMAL, IMMEDIATE transactions):

1. migrate; one user; `--connections` Connection rows spread over mastodon, bluesky and nostr
   (credentials encrypted as usual, never used); one "home" feed each.
2. `--items` realistic `networks.base.Item`s (20-500 characters with links, mentions and
   hashtags, network-shaped HTML, hostile markup nh3 must clean, media with alt text, cards,
   quotes, reposts, replies, content warnings, created over `--days` days) go through
   `timeline.ingest.ingest()` in polling-sized batches of 40-100, the accounts' polls
   interleaved in time, each poll re-reading a few items of the previous one (some with changed
   counts) as real polls overlap. Only the time inside `ingest()` is counted: generating the
   items is not.
3. A deck with a single-feed column and a merged 5-feed "Home everywhere" column (made by
   `timeline.services.add_column`, as the web form does). The column page
   (`timeline:column`, the HTML a browser gets without JavaScript, and its htmx fragment for
   infinite scroll) is requested through Django's test Client, in-process, logged in with
   force_login: the first page and deep pages (`before` cursors far back in the history),
   `--requests` timed requests per case after `--warmup` untimed ones. The selector alone
   (`selectors.column_page`) is timed on the same cursors, so the view + template share shows.
   Then the first page with a new SQLite connection per request (CONN_MAX_AGE=0, as served),
   and while a thread of the same process ingests (one poll a second; without pause).
4. Peak RSS, the database size (and what takes the space), the machine, the versions.

Nothing touches a network: HUBBUB_READ_NETWORKS=0, no worker is started, and every outbound
socket connect or DNS lookup in this process raises (the column view reads older items from
the network only when the store runs short, which the chosen cursors never do: the bench
fails loudly if it tries).

Results print as Markdown (paste into docs/benchmarks.md) and, with --json, as JSON.
`--profile DIR` afterwards profiles extra ingest batches and column requests with cProfile
(or pyinstrument if installed: `uv run --with pyinstrument python bench/deck.py ...`) and
writes the reports to DIR; profiling never runs during the timed phases.

Never run this as a timed unit test: the numbers belong to one quiet machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deckbench.baseline import measure_baseline
from deckbench.data import Generator
from deckbench.ingest import make_accounts, run_ingest
from deckbench.machine import NetworkUsed, forbid_network, log, machine, peak_rss_mib, rss_mib
from deckbench.pages import MERGED_FEEDS, make_columns, measure_during_ingest, measure_pages
from deckbench.profiles import run_ingest_profile, run_profiles
from deckbench.report import database_facts, markdown, targets


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000, help="new items to ingest")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="an empty or new folder (kept afterwards); default: a temporary "
                             "folder, removed at the end unless --keep")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--days", type=float, default=180.0, help="history the items span")
    parser.add_argument("--batch-min", type=int, default=40)
    parser.add_argument("--batch-max", type=int, default=100)
    parser.add_argument("--overlap", type=int, default=5,
                        help="at most this many items of an account's previous poll are read "
                             "again in the next one (0: none)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cursors", type=int, default=50, help="deep-page cursors per column")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--profile", type=Path, default=None,
                        help="afterwards, profile ingest and the column view into this folder")
    parser.add_argument("--ingest-only", action="store_true",
                        help="stop after the ingest phase (no pages): for quick iterations on "
                             "ingest; the report then has no page rows")
    args = parser.parse_args(argv)
    if args.connections < MERGED_FEEDS:
        parser.error(f"--connections must be at least {MERGED_FEEDS} (the merged column)")
    if args.items < args.connections * 400:
        parser.error("--items too small for deep pages: at least 400 a connection")
    if not 1 <= args.batch_min <= args.batch_max:
        parser.error("--batch-min must be between 1 and --batch-max")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="hubbub-bench-")) if temporary else args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty: give a new or empty folder")
    os.environ["HUBBUB_DATA_DIR"] = str(data_dir)
    os.environ["HUBBUB_READ_NETWORKS"] = "0"
    os.environ["HUBBUB_LOG_LEVEL"] = os.environ.get("HUBBUB_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "hubbub.settings"
    os.environ.pop("DATABASE_URL", None)  # the default profile: SQLite in the data dir
    forbid_network()
    # A kill (SIGTERM) still removes the temporary data dir.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    try:
        return run(args, data_dir)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif temporary:
            log(f"data dir kept: {data_dir}")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from hubbub.timeline import polling, views

    def no_network_reads(*_args: Any, **_kwargs: Any) -> int:
        raise NetworkUsed("bench: the column view asked the network for older items")

    polling.load_older = no_network_reads  # a short page would mean a bad cursor: fail loudly

    log(f"data dir {data_dir}")
    call_command("migrate", interactive=False, verbosity=0)
    rss_after_migrate = peak_rss_mib()
    db_path = Path(settings.DATABASES["default"]["NAME"])
    rng = random.Random(args.seed)
    start = datetime.now(UTC) - timedelta(days=args.days, hours=1)
    gen = Generator(rng, start, args.days)
    user, accounts = make_accounts(args.connections, rng, gen)
    peak_after_setup = peak_rss_mib()  # Argon2 hashing the user's password: ~100 MiB
    log(f"{args.connections} connections ({', '.join(sorted({a.network for a in accounts}))}); "
        f"ingesting {args.items:,} items over {args.days:.0f} days")

    gc.collect()
    stats = run_ingest(accounts, args, gen)
    rss_after_ingest = rss_mib()
    rate = stats.new / stats.seconds
    log(f"ingest done: {stats.new:,} new items in {stats.seconds:.1f} s = {rate:,.0f} items/s")
    if stats.new != args.items:
        raise SystemExit(f"expected {args.items} new items, stored {stats.new}")
    baseline = measure_baseline(db_path)
    log("baseline, the same rows one insert a transaction: "
        f"{baseline['normal']['rows_per_s']:,.0f} rows/s with the hub's settings, "
        f"{baseline['full']['rows_per_s']:,.0f} durable (synchronous=FULL); ingest / baseline "
        f"{rate / baseline['normal']['rows_per_s']:.2f}x / "
        f"{rate / baseline['full']['rows_per_s']:.2f}x")
    if args.ingest_only:
        print(f"ingest only: {stats.new:,} new items, {rate:,.0f} items/s, "
              f"{stats.new / stats.cpu_seconds:,.0f} per CPU second, "
              f"{stats.seconds:.1f} s in ingest(), CPU {stats.cpu_seconds:.1f} s (all threads; "
              f"the calling thread {stats.caller_cpu_seconds:.1f} s, which waited for a CPU "
              f"{stats.cpu_wait_seconds:.1f} s and otherwise "
              f"{stats.seconds - stats.caller_cpu_seconds - stats.cpu_wait_seconds:.1f} s); "
              f"load {statistics.fmean(stats.loads):.1f}; single-row inserts of the same rows "
              f"{baseline['normal']['rows_per_s']:,.0f}/s (hub's settings, ingest "
              f"{rate / baseline['normal']['rows_per_s']:.2f}x) and "
              f"{baseline['full']['rows_per_s']:,.0f}/s (durable, ingest "
              f"{rate / baseline['full']['rows_per_s']:.2f}x); per CPU second ingest "
              f"{stats.new / stats.cpu_seconds:,.0f}, single-row inserts "
              f"{baseline['normal']['rows'] / baseline['normal']['cpu_seconds']:,.0f} "
              f"(hub's settings)")
        if args.profile is not None:
            run_ingest_profile(args.profile, accounts, gen, args)
        return 0

    _deck, single, merged = make_columns(user, accounts)
    gc.collect()
    pages, cursor_info = measure_pages(user, single, merged, args, rng)
    rss_after_pages = rss_mib()
    database = database_facts(db_path)
    during = []
    for name, pause in (("single-feed first page, one poll a second beside it", 1.0),
                        ("single-feed first page, ingest without pause beside it", 0.0)):
        timing, extra = measure_during_ingest(user, single, accounts, gen, args, name, pause)
        during.append({**timing.summary(), **extra})

    batch = sorted(stats.batch_ms)
    q = statistics.quantiles(batch, n=100, method="inclusive")
    page_summaries = [t.summary() for t in pages]
    command = "uv run python bench/deck.py" + (
        f" --items {args.items}" if args.items != 1_000_000 else "") + (
        f" --connections {args.connections}" if args.connections != 20 else "")
    result: dict[str, Any] = {
        "machine": machine(),
        "command": command,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "ingest": {
            "new": stats.new, "offered": stats.offered, "updated": stats.updated,
            "unchanged": stats.unchanged, "skipped": stats.skipped, "batches": stats.batches,
            "seconds": stats.seconds, "cpu_seconds": stats.cpu_seconds,
            "caller_cpu_seconds": stats.caller_cpu_seconds,
            "cpu_wait_seconds": stats.cpu_wait_seconds,
            "cpu_items_per_s": stats.new / stats.cpu_seconds,
            "load_min": min(stats.loads), "load_max": max(stats.loads),
            "load_mean": statistics.fmean(stats.loads),
            "generate_seconds": stats.generate_seconds,
            "wall_seconds": stats.wall_seconds, "items_per_s": rate,
            "offered_per_s": stats.offered / stats.seconds,
            "batch_p50_ms": statistics.median(batch), "batch_p95_ms": q[94],
            "batch_p99_ms": q[98], "batch_max_ms": batch[-1],
            "baseline": baseline,
        },
        "requests": args.requests, "warmup": args.warmup,
        "page_size": views.PAGE_SIZE,
        "cursors": cursor_info,
        "pages": page_summaries,
        "during_ingest": during,
        "database": database,
        "peak_rss_after_migrate_mib": rss_after_migrate,
        "peak_rss_after_setup_mib": peak_after_setup,
        "rss_after_ingest_mib": rss_after_ingest,
        "rss_after_pages_mib": rss_after_pages,
        "peak_rss_mib": peak_rss_mib(),
    }
    result["targets"] = targets(rate, page_summaries, baseline)
    if args.profile is not None:
        run_profiles(args.profile, user, single, merged, accounts, gen, args)
    text = markdown(result)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=str))
        log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
