"""The rules benchmark: 500 rules against a large store, on SQLite.

    uv run python bench/rules.py                    # 1,000,000 items, 20 accounts, 500 rules
    uv run python bench/rules.py --items 200000     # quicker

One process, a throwaway data dir, no network (as bench/deck.py, whose item generator and
ingest it reuses):

1. `--items` items over `--days` days ingested with no rules (deck.py's ingest phase).
2. `--rules` rules for the bench user: most name words, phrases, authors, hashtags and domains
   the items never contain (as a person's mutes mostly do), a few name common ones (coffee,
   "crème brûlée", #caturday, a video site, an author of each network, replies on Nostr,
   pictures without alt text on Bluesky) so that some items are hidden, sent to a column or
   marked priority.
3. The matcher alone: `doc_of` + `RuleSet.match` on stored items, µs an item.
4. Ingest with and without the rules in the same run: blocks of `--ab-batches` polls, the
   rules switched on and off between blocks (the person's ListeningState row made or removed),
   µs an item inside `ingest()` and the ratio.
5. The background recompute of the 500 rules over the whole store: seconds, peak RSS.
6. Column pages: the selector's first page and deep pages with the rules' marks joined in, and
   the query as it was before the rules (no join) on the same cursors, in the same run.
7. The preview of one rule over the last 30 days (a words rule, an author rule): by then the
   recompute has written every item's words (listening/words_index.py), so the database makes
   the first cut. `--days 36` puts as many items in 30 days as 1,000,000 over 180 days would.

Results print as Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from deckbench.data import Generator
from deckbench.ingest import make_batch
from deckbench.machine import log, machine, peak_rss_mib
from deckbench.scratch import in_scratch_store, seeded_store


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--days", type=float, default=180.0)
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--ab-items", type=int, default=60_000,
                        help="new items ingested for the with/without comparison")
    parser.add_argument("--ab-batches", type=int, default=25, help="polls a block")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--ingest-only", action="store_true",
                        help="stop after the matcher and the ingest comparison (steps 1-4)")
    args = parser.parse_args(argv)
    args.batch_min, args.batch_max, args.overlap = 40, 100, 5
    return args


def make_rules(user: Any, gen: Generator, count: int, column_id: int) -> list[Any]:
    from hubbub.listening.conditions import spec_from

    rng = random.Random(7)
    common: list[dict[str, Any]] = [
        {"conditions": [{"kind": "words", "values": ["coffee"]}],
         "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "words", "values": ["crème brûlée"]}],
         "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "hashtag", "values": ["caturday"]}],
         "actions": [{"kind": "send_to", "column": column_id}]},
        {"conditions": [{"kind": "domain", "values": ["example.tv"]}],
         "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "author", "values": [gen.authors[net][n].handle
                                                      for net in gen.authors for n in range(3)]}],
         "actions": [{"kind": "priority"}, {"kind": "notify"}]},
        {"conditions": [{"kind": "kind", "values": ["reply"]},
                        {"kind": "network", "values": ["nostr"]}],
         "actions": [{"kind": "mark_read"}]},
        {"conditions": [{"kind": "no_alt"}, {"kind": "network", "values": ["bluesky"]}],
         "actions": [{"kind": "hide"}]},
        {"conditions": [{"kind": "words", "values": ["election"]},
                        {"kind": "network", "values": ["mastodon"]}, {"kind": "has_media"}],
         "actions": [{"kind": "hide"}]},
    ]
    specs: list[dict[str, Any]] = list(common)
    n = 0
    while len(specs) < count:
        n += 1
        pick = n % 5
        cond: dict[str, Any]
        if pick == 0:
            cond = {"kind": "words", "values": [f"zqx{n}", f"mute{n}word"]}
        elif pick == 1:
            cond = {"kind": "words", "values": [f"breaking zqx{n} news"]}
        elif pick == 2:
            cond = {"kind": "author", "values": [f"@nobody{n}@mute{n % 50}.example"]}
        elif pick == 3:
            cond = {"kind": "hashtag", "values": [f"zqxtag{n}"]}
        else:
            cond = {"kind": "domain", "values": [f"spam{n}.example"]}
        conditions: list[dict[str, Any]] = [cond]
        if rng.random() < 0.1:
            conditions.append({"kind": "network", "values": ["mastodon"], "negate": True})
        specs.append({"conditions": conditions, "actions": [{"kind": "hide"}]})
    return [spec_from(s, rule_id=i + 1, position=i) for i, s in enumerate(specs[:count])]


def store_rules(user: Any, specs: Sequence[Any]) -> None:
    from hubbub.listening.conditions import actions_json, conditions_json
    from hubbub.listening.models import ListeningState, Rule

    Rule.objects.bulk_create([
        Rule(user=user, position=s.position, name=f"rule {s.rule_id}",
             conditions=conditions_json(s.conditions), actions=actions_json(s.actions))
        for s in specs
    ])
    ListeningState.objects.update_or_create(user=user, defaults={"version": 1})


def rules_on(user: Any, on: bool) -> None:
    from hubbub.listening import effects
    from hubbub.listening.models import ListeningState

    if on:
        ListeningState.objects.get_or_create(user=user, defaults={"version": 1})
    else:
        ListeningState.objects.filter(user=user).delete()
    # Only the version ingest trusts is dropped: the rules compiled for version 1 stay cached,
    # as they do between changes in the hub (compiling is not what is measured here).
    with effects._lock:
        effects._versions.pop(user.pk, None)


def quantiles(values: Sequence[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "mean": statistics.fmean(values)}


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    return in_scratch_store("hubbub-rules-bench-", parse(argv), run)


def run(args: argparse.Namespace) -> None:
    seeded = seeded_store(args, note=", no rules")
    user, accounts, gen, rng = seeded.user, seeded.accounts, seeded.gen, seeded.rng
    from django.db import connection as db
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.listening import apply, effects
    from hubbub.listening.matcher import compile_rules, doc_of
    from hubbub.listening.models import ColumnEntry, ItemMark, ItemWords
    from hubbub.timeline import selectors, services
    from hubbub.timeline.ingest import ingest
    from hubbub.timeline.models import FeedEntry, Item

    deck = services.create_deck(user, "Bench")
    first = Connection.objects.get(pk=accounts[0].pk)
    single = services.add_column(deck, connections=[first], kind="home")
    routed = services.add_column(deck, connections=[first], kind="mentions", title="Cats")
    specs = make_rules(user, gen, args.rules, routed.pk)
    store_rules(user, specs)
    result: dict[str, Any] = {"items": Item.objects.count(), "rules": len(specs)}

    # 3. the matcher alone, on stored items
    ruleset = compile_rules(specs, effects.column_feeds_of(user.pk), now=timezone.now())
    rows = list(Item.objects.order_by("-pk").values(*apply.ITEM_FIELDS)[:20000])
    clock = time.thread_time  # CPU time: the machine is shared, wall time includes waiting
    t0 = clock()
    docs = [doc_of(r) for r in rows]
    t1 = clock()
    effects_ = [ruleset.match(d) for d in docs]
    t2 = clock()
    empty = compile_rules([], {}, now=timezone.now())
    t3 = clock()
    for d in docs:
        empty.match(d)
    t4 = clock()
    result["doc_us"] = (t1 - t0) / len(rows) * 1e6
    result["match_us"] = (t2 - t1) / len(rows) * 1e6
    result["match_empty_us"] = (t4 - t3) / len(rows) * 1e6
    result["matched_share"] = sum(1 for e in effects_ if not e.empty) / len(rows)
    log(f"matcher: doc {result['doc_us']:.1f} us + match {result['match_us']:.1f} us an item; "
        f"{result['matched_share']:.1%} matched")

    # 4. ingest with and without rules, alternating blocks
    per_block = args.ab_batches
    with_rules = {"seconds": 0.0, "items": 0}
    without = {"seconds": 0.0, "items": 0}
    per_account = args.ab_items // len(accounts)
    for account in accounts:  # more of each timeline, after what the first phase read
        account.total = account.made + per_account

    def plan() -> Any:
        while any(a.made < a.total for a in accounts):
            for account in accounts:
                size = min(gen.rng.randint(args.batch_min, args.batch_max),
                           account.total - account.made)
                if size > 0:
                    yield account, size

    # The rules compiled once before (as in the hub between changes of rules): the first block
    # with rules compiled them (tens of ms) inside the time measured, ~4 µs an item of a
    # 30,000-item comparison; compiling is not what is measured here.
    effects.ruleset_for(user.pk, fresh=True)
    block = 0
    on = False
    for batches, (account, size) in enumerate(plan()):
        if batches % per_block == 0:
            on = block % 2 == 1
            rules_on(user, on)
            block += 1
        batch = make_batch(account, size, gen, args.overlap)
        # The process's CPU time: ingest cleans HTML on a helper thread beside the caller.
        t0, w0 = time.process_time(), time.perf_counter()
        outcome = ingest(account.feed, batch)
        spent, wall = time.process_time() - t0, time.perf_counter() - w0
        bucket = with_rules if on else without
        bucket["seconds"] += spent
        bucket["wall"] = bucket.get("wall", 0.0) + wall
        bucket["items"] += len(outcome.new_item_ids)
    rules_on(user, True)
    result["ingest_without_us"] = without["seconds"] / max(without["items"], 1) * 1e6
    result["ingest_with_us"] = with_rules["seconds"] / max(with_rules["items"], 1) * 1e6
    result["ingest_without_rate"] = without["items"] / without["seconds"]
    result["ingest_with_rate"] = with_rules["items"] / with_rules["seconds"]
    result["ingest_without_wall_rate"] = without["items"] / without["wall"]
    result["ingest_with_wall_rate"] = with_rules["items"] / with_rules["wall"]
    log(f"ingest without rules {result['ingest_without_us']:.1f} us/item "
        f"({result['ingest_without_rate']:,.0f} per CPU s, "
        f"{result['ingest_without_wall_rate']:,.0f}/s wall), with {args.rules} rules "
        f"{result['ingest_with_us']:.1f} us/item ({result['ingest_with_rate']:,.0f} per CPU s, "
        f"{result['ingest_with_wall_rate']:,.0f}/s wall); ratio "
        f"{result['ingest_with_us'] / result['ingest_without_us']:.2f}x; "
        f"load {os.getloadavg()[0]:.1f}")
    if args.ingest_only:
        return

    # 5. recompute over the whole store
    before_rss = peak_rss_mib()
    t0 = time.perf_counter()
    apply.recompute(user.pk)
    result["recompute_s"] = time.perf_counter() - t0
    result["recompute_peak_rss"] = peak_rss_mib()
    result["rss_before_recompute"] = before_rss
    result["marks"] = ItemMark.objects.count()
    result["hidden"] = ItemMark.objects.filter(hidden_until__gt=timezone.now()).count()
    result["routed"] = ColumnEntry.objects.count()
    result["indexed"] = ItemWords.objects.count()
    result["store_items"] = Item.objects.count()
    log(f"recompute {result['recompute_s']:.1f} s, {result['marks']:,} marks, "
        f"{result['hidden']:,} hidden, {result['routed']:,} routed")

    # 6. column pages: with the join (now) and the query as it was (no join). The matcher's
    # 20,000 rows and docs are dropped first: the collector walking them made p95 spikes.
    del rows, docs, effects_
    gc.collect()
    gc.freeze()
    feed_id = single.feeds.get().pk
    history = list(FeedEntry.objects.filter(feed_id=feed_id).order_by("-created_at", "-item_id")
                   .values_list("created_at", "item_id"))
    cursors = [history[int(len(history) * rng.uniform(0.5, 0.95))] for _ in range(50)]
    table = db.ops.quote_name(FeedEntry._meta.db_table)

    def old_query(before: tuple[Any, int] | None) -> list[int]:
        sql = f"SELECT item_id, created_at FROM {table} WHERE feed_id = %s"
        params: list[Any] = [feed_id]
        if before is not None:
            at = db.ops.adapt_datetimefield_value(before[0])
            sql += " AND created_at <= %s AND (created_at < %s OR item_id < %s)"
            params += [at, at, before[1]]
        sql += " ORDER BY created_at DESC, item_id DESC LIMIT %s"
        with db.cursor() as cursor:
            cursor.execute(sql, [*params, 40])
            return [r[0] for r in cursor.fetchall()]

    def new_query(before: tuple[Any, int] | None) -> list[int]:
        return list(selectors._entry_rows([("feed", feed_id)], before=before, after=None,
                                          limit=40))

    pages: dict[str, Any] = {}
    queries: list[tuple[str, Callable[[Any], list[int]]]] = [
        ("before (no join)", old_query), ("with the rules' join", new_query)]
    deep = [c for c in cursors for _ in range(4)]
    for _round in range(2):  # twice, alternating, so neither has the warmer cache alone
        for name, fn in queries:
            fn(None)
            first_ms = timed(lambda fn=fn: fn(None), 300)  # type: ignore[misc]
            it = iter(deep)
            deep_ms = timed(lambda fn=fn, it=it: fn(next(it)), len(deep))  # type: ignore[misc]
            pages[name] = {"first": quantiles(first_ms), "deep": quantiles(deep_ms)}
    full = timed(lambda: selectors.column_page(single), 200)
    result["pages"] = pages
    result["column_page"] = quantiles(full)
    shown = selectors.column_page(single)
    result["page_len"] = len(shown)
    log(f"pages: {pages}")

    # 7. preview of one rule over 30 days
    from hubbub.listening.conditions import spec_from

    previews = {}
    words_spec = {"conditions": [{"kind": "words", "values": ["coffee"]}],
                  "actions": [{"kind": "hide"}]}
    author_spec = {"conditions": [{"kind": "author",
                                  "values": [gen.authors["bluesky"][5].handle]}],
                   "actions": [{"kind": "hide"}]}
    # A new rule goes last: its preview checks the rules before it (all of them) on its own
    # candidates; "coffee" is the first rule's, which then takes every item it matches.
    earlier = apply.rules_before(user.pk)
    for name, spec, before in (
        ("words 'coffee'", words_spec, ()),
        ("an author", author_spec, ()),
        (f"words 'coffee', after the {len(earlier)} rules", words_spec, earlier),
        (f"an author, after the {len(earlier)} rules", author_spec, earlier),
    ):
        rule = spec_from(spec)
        apply.preview(user.pk, rule, days=30, earlier=before)  # warm
        times, cpu = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.thread_time()
            shown_preview = apply.preview(user.pk, rule, days=30, earlier=before)
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
        previews[name] = {"seconds": min(times), "median": statistics.median(times),
                          "cpu": min(cpu), "matched": shown_preview.matched,
                          "taken": shown_preview.taken_count}
    thirty = timezone.now() - timedelta(days=30)
    result["items_30_days"] = Item.objects.filter(created_at__gte=thirty).count()
    result["previews"] = previews
    log(f"previews: {previews}")
    result["machine"] = {k: v for k, v in machine().items() if not isinstance(v, dict | list)}
    result["machine"]["load"] = os.getloadavg()[0]
    print(report(result, args))


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    m = r["machine"]
    lines = [
        f"Store: {r['store_items']:,} items ({args.connections} accounts, {args.days:.0f} days), "
        f"{r['rules']} rules; {r['marks']:,} items with a mark after the recompute "
        f"({r['hidden']:,} hidden), {r['routed']:,} sent to a column; "
        f"{r['indexed']:,} items' words kept for the preview.",
        f"Machine: {m['cpu']}, {m['nproc']} CPUs, load {m['load']:.1f} (shared), Python "
        f"{m['python']}, SQLite {m['sqlite']}, commit {m['commit']}, {m['date']}. "
        "Matcher times are this thread's CPU time (time.thread_time), ingest times the "
        "process's (time.process_time: ingest cleans HTML on a helper thread), the machine "
        "being shared; pages and previews are wall time.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| matcher alone: an item's text normalised and split (`doc_of`) | "
        f"{r['doc_us']:.1f} µs |",
        f"| matcher alone: {r['rules']} rules checked (`RuleSet.match`) | {r['match_us']:.1f} µs "
        f"(no rules: {r['match_empty_us']:.2f} µs); {r['matched_share']:.1%} of items matched |",
        f"| ingest, no rules (same run, alternating blocks) | {r['ingest_without_us']:.1f} µs "
        f"CPU an item, {r['ingest_without_rate']:,.0f} items per CPU s "
        f"({r['ingest_without_wall_rate']:,.0f}/s wall) |",
        f"| ingest, {r['rules']} rules | {r['ingest_with_us']:.1f} µs CPU an item, "
        f"{r['ingest_with_rate']:,.0f} items per CPU s ({r['ingest_with_wall_rate']:,.0f}/s "
        "wall) |",
        f"| ratio with / without | {r['ingest_with_us'] / r['ingest_without_us']:.2f}x "
        f"(+{r['ingest_with_us'] - r['ingest_without_us']:.1f} µs an item) |",
        f"| recompute of all rules over the store (background job) | {r['recompute_s']:.1f} s, "
        f"peak RSS {r['recompute_peak_rss']:.0f} MiB (before {r['rss_before_recompute']:.0f}) |",
    ]
    for name, p in r["pages"].items():
        lines.append(f"| column page query, {name}: first page p50/p95 | "
                     f"{p['first']['p50']:.3f} / {p['first']['p95']:.3f} ms; deep pages "
                     f"{p['deep']['p50']:.3f} / {p['deep']['p95']:.3f} ms |")
    lines.append(f"| `selectors.column_page` (query + items), first page p50/p95 | "
                 f"{r['column_page']['p50']:.2f} / {r['column_page']['p95']:.2f} ms |")
    for name, p in r["previews"].items():
        lines.append(f"| preview over 30 days ({r['items_30_days']:,} items), {name} | "
                     f"{p['seconds']:.2f} s wall (median {p['median']:.2f} s), CPU "
                     f"{p['cpu']:.2f} s; {p['matched']:,} counted, {p.get('taken', 0):,} taken "
                     "by the rules before |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
