"""One network's measures over a stage's window of bench/reading.py: post -> stored and post
-> deck event, reads a minute per account against the connector's budget (HTTP calls and the
poll loop's reads), 429s, poll gaps, and what the servers themselves show."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from typing import Any

from bench.readingbench.networks import BUDGETS, BlueskySide, Side
from bench.readingbench.report import dist


def network_measures(reading: Any, network: str, side: Side,
                     posts: list[tuple[str, float, int]], rows: list[tuple[str, int, float]],
                     open_expect: set[tuple[str, int]], calls: list[Any],
                     noted: list[dict[str, Any]], events0: dict[str, int], start: float,
                     settled: float) -> dict[str, Any]:
    """One network's measures over the stage's window (`reading`: bench/reading.py's Reading,
    its accounts, decks and sides)."""
    sent_at = {rid: t for rid, t, _ in posts}
    keys = set(side.keys)
    by_conn = {cid: (name, home) for key, (name, cid, home) in reading.where.items()
               if key in keys}
    conn_key = {reading.where[key][1]: key for key in keys}
    stored = {(rid, cid): at for rid, cid, at in rows if rid in sent_at and cid in by_conn}
    mine = {(rid, cid) for rid, cid in open_expect if rid in sent_at}
    a_open: list[float] = []
    b_open: list[float] = []
    no_event = 0
    for rid, cid in mine:
        at = stored.get((rid, cid))
        if at is None:
            continue
        a_open.append(at - sent_at[rid])
        name, home = by_conn[cid]
        deck = reading.decks[name]
        heard = next((t for t, feeds in deck.events[events0.get(name, 0):]
                      if home in feeds and t >= at - 0.005), None)
        if heard is None:
            no_event += 1
        else:
            b_open.append(heard - sent_at[rid])
    closed_items = [at - sent_at[rid] for (rid, cid), at in stored.items()
                    if by_conn[cid][0] not in reading.decks]
    closed_expected = len(posts) * reading.args.fanout - len(mine)
    minutes = max(1e-9, (settled - start) / 60)
    opened = {k for k in keys if reading.opened(k)}
    closed = keys - opened
    # The reads of each account: at the relay for Mastodon (its token; streams apart),
    # the hub's own GET calls to the PDS for Bluesky (the DID its token names), and the
    # poll loop's feed reads for every network (the connector's budget is for those).
    http: list[tuple[str, float, int, str]] = []  # account key, time, status, path
    if network == "mastodon":
        http = [("m:" + c.token, c.at, c.status, c.path) for c in calls
                if c.token and c.method == "GET"
                and not c.path.startswith("/api/v1/streaming")]
    elif network == "bluesky":
        pds = reading.sides["bluesky"].peer.pds_url.split("//", 1)[1]
        http = [("b:" + r["who"], r["t"], r["status"], r["path"]) for r in noted
                if r["k"] == "http" and r["host"] == pds and r["m"] == "GET"
                and r["who"].startswith("did:")]
    polls = [(conn_key[r["conn"]], r["t"], r["err"], r["feed"]) for r in noted
             if r["k"] == "poll" and r["conn"] in conn_key]

    def rate(counted: Counter[str], accounts: set[str]) -> dict[str, float]:
        values = [counted.get(k, 0) / minutes for k in accounts]
        if not values:
            return {}
        return {"accounts": len(values), "mean_per_min": round(statistics.mean(values), 2),
                "max_per_min": round(max(values), 2),
                "never_read": sum(1 for k in accounts if not counted.get(k))}

    reads = Counter(k for k, _, _, _ in http)
    buckets = Counter((k, int((t - start) // 60)) for k, t, _, _ in http)
    poll_reads = Counter(k for k, _, _, _ in polls)
    poll_buckets = Counter((k, int((t - start) // 60)) for k, t, _, _ in polls)
    budget = BUDGETS[network]
    by429 = Counter(k for k, _, status, _ in http if status == 429)
    out: dict[str, Any] = {
        "connections": len(keys), "open_connections": len(opened),
        "posts": len(posts),
        "post_rate_per_s": round(len(posts) / max(1e-9, reading.args.duration), 2),
        "stored_of_open": f"{len(a_open)}/{len(mine)}",
        "a_post_to_stored": dist(a_open), "b_post_to_deck_event": dist(b_open),
        "stored_without_event": no_event,
        "closed_decks": {"items_expected": closed_expected, "arrived": len(closed_items),
                         "post_to_stored": dist(closed_items)},
        "budget_per_min": budget,
        "poll_reads": {"open": rate(poll_reads, opened), "closed": rate(poll_reads, closed),
                       "max_in_one_minute": max(poll_buckets.values(), default=0),
                       "by_feed": dict(Counter(f for _, _, _, f in polls)),
                       "errors": dict(Counter(e for _, _, e, _ in polls if e))},
    }
    if network != "nostr":  # Nostr reads are REQs on a websocket, not HTTP
        out["http_reads"] = {
            "open": rate(reads, opened), "closed": rate(reads, closed),
            "account_minutes_over_budget": sum(
                1 for k in buckets if budget and buckets[k] > budget),
            "max_in_one_minute": max(buckets.values(), default=0),
            "answers": dict(Counter(status for _, _, status, _ in http)),
            "paths": dict(Counter(re.sub(r"/\d+", "/N", p)
                                  for _, _, _, p in http).most_common(8)),
            "per_s": round(len(http) / max(1e-9, settled - start), 2),
            # Every account of the hub together, from its one address: Bluesky's limit
            # of 3,000 requests per 5 minutes per IP (600 a minute) is for this sum.
            "hub_wide_per_min": round(len(http) / minutes, 1),
        }
        out["429"] = {"total": sum(by429.values()), "accounts": len(by429),
                      "max_one_account": max(by429.values(), default=0)}
    # How often each open deck's polled feed was read: the gaps between its reads in the
    # window (its pace bounds how soon a polled item can be stored).
    reads_of: dict[tuple[str, str], list[float]] = defaultdict(list)
    for k, t, _, feed in polls:
        if k in opened:
            reads_of[(k, feed)].append(t)
    gaps = [b - a for times in reads_of.values()
            for a, b in itertools.pairwise(sorted(times))]
    out["poll_gap_open"] = dist(gaps)
    if isinstance(side, BlueskySide):
        out["post_to_appview_serves"] = dist([side.visible[rid] - t for rid, t, _ in posts
                                              if rid in side.visible])
        out["appview_never_served"] = sum(1 for rid, _, _ in posts[::2]
                                          if rid not in side.visible)
    masto = reading.mastodon
    if network == "mastodon" and masto is not None:
        streams = [c for c in calls if c.path.startswith("/api/v1/streaming")]
        out["streams_opened_in_window"] = len(streams)
        out["streams_open_at_end"] = masto.relay.open_streams
        out["streams_per_open_connection"] = dict(Counter(
            masto.relay.open_by_token[k[2:]] for k in opened))
    return out
