"""What a run found, as Markdown for docs/benchmarks.md: the targets, ingest, the pages, the
pages beside ingest, memory and the database's size."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TARGETS = {"column_p95_ms": 30.0, "merged_p95_ms": 50.0, "ingest_items_per_s": 10_000.0}


def database_facts(path: Path) -> dict[str, Any]:
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        sizes: list[tuple[str, int]] = []
        with contextlib.suppress(Exception):
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
                           "ORDER BY SUM(pgsize) DESC LIMIT 8")
            sizes = [(name, int(size)) for name, size in cursor.fetchall()]
    wal = path.with_name(path.name + "-wal")
    return {
        "file_bytes": path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "journal_mode": journal,
        "page_size": page_size,
        "largest": sizes,
    }


# --- report ---------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    ing = result["ingest"]
    db = result["database"]
    lines = [
        f"Run {m['date']} on {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, "
        f"Linux {m['kernel']}; Python {m['python']}, Django {m['django']}, "
        f"SQLite {m['sqlite']}, nh3 {m['nh3']}; commit {m['commit']}.",
        "",
        f"Command: `{result['command']}`",
        "",
        "| target | measured | target | ratio (target / measured) | |",
        "|---|---:|---:|---:|---|",
    ]
    for row in result["targets"]:
        lines.append(f"| {row['what']} | {row['measured']} | {row['target']} | "
                     f"{row['ratio']:.2f}x | {'met' if row['met'] else '**missed**'} |")
    lines += [
        "",
        "Ingest:",
        "",
        "| | |",
        "|---|---:|",
        f"| new items stored | {ing['new']:,} |",
        f"| throughput (new items / seconds inside ingest()) | "
        f"**{ing['items_per_s']:,.0f} items/s** |",
        f"| new items / CPU seconds inside ingest() | {ing['cpu_items_per_s']:,.0f} items/s |",
        f"| CPU seconds inside ingest(), all threads (with the HTML cleaning beside it) | "
        f"{ing['cpu_seconds']:.1f} |",
        f"| seconds inside ingest(), calling thread: on a CPU / waiting for a CPU / other waits "
        f"(I/O, locks, the cleaning thread) | "
        f"{ing['caller_cpu_seconds']:.1f} / {ing['cpu_wait_seconds']:.1f} / "
        f"{ing['seconds'] - ing['caller_cpu_seconds'] - ing['cpu_wait_seconds']:.1f} |",
        f"| load average during ingest (min / mean / max) | {ing['load_min']:.1f} / "
        f"{ing['load_mean']:.1f} / {ing['load_max']:.1f} |",
        f"| items offered (incl. overlapping re-reads) | {ing['offered']:,} "
        f"({ing['offered_per_s']:,.0f}/s) |",
        f"| re-reads: changed / unchanged | {ing['updated']:,} / {ing['unchanged']:,} |",
        f"| batches (40-100 items + re-reads) | {ing['batches']:,} |",
        f"| batch time p50 / p95 / p99 / max | {ing['batch_p50_ms']:.1f} / "
        f"{ing['batch_p95_ms']:.1f} / {ing['batch_p99_ms']:.1f} / {ing['batch_max_ms']:.1f} ms |",
        f"| single-row inserts of {ing['baseline']['normal']['rows']:,} of the same rows, one "
        f"a transaction: hub's settings / durable | "
        f"{ing['baseline']['normal']['rows_per_s']:,.0f} / "
        f"{ing['baseline']['full']['rows_per_s']:,.0f} rows/s "
        f"({ing['baseline']['normal']['rows'] / ing['baseline']['normal']['cpu_seconds']:,.0f}"
        f" / {ing['baseline']['full']['rows'] / ing['baseline']['full']['cpu_seconds']:,.0f} "
        "per CPU second) |",
        f"| seconds in ingest / generating items (excluded) / wall | "
        f"{ing['seconds']:.1f} / {ing['generate_seconds']:.1f} / {ing['wall_seconds']:.1f} |",
        "",
        f"Column pages ({result['requests']} timed requests per case after "
        f"{result['warmup']} warm-up; {result['page_size']} items a page; deep pages cycle "
        f"through {result['cursors']['single']['count']} cursors at depth "
        f"{result['cursors']['single']['min_depth']:,}-{result['cursors']['single']['max_depth']:,}"
        f" of the single feed and {result['cursors']['merged']['min_depth']:,}-"
        f"{result['cursors']['merged']['max_depth']:,} of the merged one; times in ms):",
        "",
        "| case | p50 | p95 | p99 | mean | max | CPU p50 | CPU p95 | queries | HTML bytes "
        "| load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in result["pages"]:
        size = f"{t['bytes']:,}" if t["bytes"] else "-"
        lines.append(f"| {t['name']} | {t['p50']:.2f} | {t['p95']:.2f} | {t['p99']:.2f} | "
                     f"{t['mean']:.2f} | {t['max']:.2f} | {t['cpu_p50']:.2f} | "
                     f"{t['cpu_p95']:.2f} | {t['queries']} | {size} | "
                     f"{t['load_before']:.1f} |")
    lines += [
        "",
        "While a worker thread in the same process ingests polls of 40-100 new items (as "
        "`hubbub serve` runs its worker beside the web server; times in ms; the last columns "
        "time the view's `mark_watched`: a read, and UPDATEs only when due, which wait for "
        "SQLite's write lock):",
        "",
        "| case | p50 | p95 | p99 | max | CPU p50 | ingested beside it | mark_watched p50 "
        "| p95 | max | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in result["during_ingest"]:
        lines.append(
            f"| {d['name']} | {d['p50']:.2f} | {d['p95']:.2f} | {d['p99']:.2f} | "
            f"{d['max']:.2f} | {d['cpu_p50']:.2f} | {d['items_per_s']:,.0f} items/s "
            f"({d['batch_ms']:.0f} ms a batch) | {d['mark_watched_p50']:.2f} | "
            f"{d['mark_watched_p95']:.2f} | {d['mark_watched_max']:.2f} | "
            f"{d['load_before']:.1f} |")
    largest = ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in db["largest"])
    lines += [
        "",
        f"Memory: peak RSS {result['peak_rss_mib']:,.0f} MiB (after migrate "
        f"{result['peak_rss_after_migrate_mib']:,.0f} MiB, after creating the user "
        f"{result['peak_rss_after_setup_mib']:,.0f} MiB: Django's Argon2 hasher uses 100 MiB, "
        f"as every login does); RSS after "
        f"ingest {result['rss_after_ingest_mib']:,.0f} MiB, after the page requests "
        f"{result['rss_after_pages_mib']:,.0f} MiB. "
        f"Database: {db['file_bytes'] / 2**20:,.0f} MiB "
        f"({db['file_bytes'] / max(ing['new'], 1):,.0f} bytes an item; WAL checkpointed, "
        f"journal_mode={db['journal_mode']}, page_size={db['page_size']})"
        + (f"; largest: {largest}." if largest else "."),
    ]
    return "\n".join(lines)


def targets(ingest_rate: float, pages: Sequence[dict[str, Any]],
            baseline: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {p["name"]: p for p in pages}
    rows = []
    for what, name, target in (
        ("single-feed column page p95 (first page)", "single-feed column page, first page",
         TARGETS["column_p95_ms"]),
        ("single-feed column page p95 (deep pages)", "single-feed column page, deep pages",
         TARGETS["column_p95_ms"]),
        ("merged 5-feed column page p95 (first page)", "merged 5-feed column page, first page",
         TARGETS["merged_p95_ms"]),
        ("merged 5-feed column page p95 (deep pages)", "merged 5-feed column page, deep pages",
         TARGETS["merged_p95_ms"]),
    ):
        p95 = by_name[name]["p95"]
        rows.append({"what": what, "measured": f"{p95:.2f} ms", "target": f"<= {target:.0f} ms",
                     "ratio": target / p95, "met": p95 <= target})
    rows.append({"what": "ingest throughput", "measured": f"{ingest_rate:,.0f} items/s",
                 "target": f">= {TARGETS['ingest_items_per_s']:,.0f} items/s",
                 "ratio": ingest_rate / TARGETS["ingest_items_per_s"],
                 "met": ingest_rate >= TARGETS["ingest_items_per_s"]})
    # Issue 13: the goal that travels between machines, against single-row inserts of the same
    # rows in the same run (deckbench/baseline.py).
    for how, key in (("the hub's settings", "normal"), ("durable, synchronous=FULL", "full")):
        base = baseline[key]["rows_per_s"]
        rows.append({"what": f"ingest vs single-row inserts of the same rows ({how})",
                     "measured": f"{ingest_rate:,.0f} vs {base:,.0f} rows/s",
                     "target": "ingest >= baseline", "ratio": ingest_rate / base,
                     "met": ingest_rate >= base})
    return rows
