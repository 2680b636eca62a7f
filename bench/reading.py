"""Reading at scale: streaming and polling for thousands of connections on Mastodon, Bluesky and
Nostr, measured from the post on the server to the item in the hub's database and to the open
deck's live event.

    uv run python bench/reading.py [--networks mastodon,bluesky,nostr] [--scales 200,2000]
        [--per-user 10] [--open-every 5] [--fanout 10] [--rate 2] [--duration 90]
        [--workers 1] [--rate-limit 300] [--rate-window 300] [--settle 300]
        [--hub-env NAME=VALUE ...] [--keep]

All on 127.0.0.1: a fresh PostgreSQL database (as bench/agency.py), one `hubbub serve
--web-only` and --workers `hubbub worker` processes, HUBBUB_LIVE_BACKEND=postgres (web and
worker apart), and for each of --networks its real local server (readingbench/networks.py):
- mastodon: the Mastodon mock with its per-token rate limit on (bench/agencybench/peers.py)
  behind a relay that notes every call (readingbench/relay.py). The streaming API is answered
  by the relay (the mock holds a database connection for each open stream from a pool of 15,
  and past 15 streams every other call waits and times out): each post the mock answered is
  pushed at once as an `update` event to its followers' open streams, as Mastodon does;
  --mock-streams passes streams through to the mock instead. Reads (polls) always reach the
  mock, with its rate limit.
- bluesky: the dev network of tests/peers/bluesky.py (PLC, a real PDS, the AppView on the
  local PostgreSQL). The hub polls it (no stream); rate limits are off in dev-env.
- nostr: nostr-relay of tests/peers/nostr.py; the hub streams home and mentions from it (a
  REQ kept open) and polls the rest. Follows are kind-3 lists the bench publishes.
The hub processes run under readingbench/hubcalls.py, which notes each poll, each HTTP call
(with the account it is for) and each Nostr REQ: the PDS names itself in the accounts' DID
documents, so a relay could not count the hub's Bluesky reads.

Stages, one per --scales value (connections a network), in one run (the connections of a stage
stay for the next): accounts are made on each server, each follows one "poster" account
(--fanout followers a poster), and they are connected --per-user to a hub user (each user has
accounts of one network) through the connector's own connect (so each gets its deck columns
and inbox feeds). Every --open-every-th user of each network has its deck open: a client holds
/deck/events/ with the user's session cookie, as the browser's EventSource does. Once the open
decks' streams are up (Mastodon, Nostr) and every column feed had its first read (the cold
start, timed), the posters of each network post at --rate posts a second for --duration
seconds, round robin, straight to the server (a thread a network). For each follower whose
deck is open: (a) post -> item stored (Item.ingested_at) and (b) post -> the `items` event
naming its home feed reaching the deck's client, p50/p95/p99, by network. The post's time is
the moment the bench sent it. Also, by network: reads a minute of each account against the
connector's budget (Mastodon: relay calls with its token, not the streams; Bluesky: the hub's
GET calls to the PDS for the account; every network: the poll loop's feed reads), 429 and
error answers, how many items of closed decks arrived; and for the hub: the worker's and web's
CPU, peak RSS and threads, and the database's peak connections.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.readingbench import hubcalls  # noqa: E402
from bench.readingbench.connect import CONNECT, CountedHub  # noqa: E402
from bench.readingbench.measures import network_measures  # noqa: E402
from bench.readingbench.networks import (  # noqa: E402
    BlueskySide,
    MastodonSide,
    NostrSide,
    Side,
)
from bench.readingbench.report import log_lines, note, ratio  # noqa: E402
from bench.readingbench.sample import Sampler, cpu_seconds  # noqa: E402
from bench.readingbench.sse import DeckClient  # noqa: E402
from tests.integration.crash_support import database  # noqa: E402
from tests.integration.hubproc import wait_serving  # noqa: E402
from tests.peers.procgroup import free_ports  # noqa: E402

NETWORKS = ("mastodon", "bluesky", "nostr")

class Reading:
    def __init__(self, args: argparse.Namespace, folder: Path, url: str) -> None:
        self.args, self.folder, self.url = args, folder, url
        self.calls = str(folder / "calls")
        env = {"HUBBUB_LIVE_BACKEND": "postgres", "HUBBUB_BENCH_CALLS": self.calls}
        env.update(dict(pair.split("=", 1) for pair in args.hub_env))
        self.hub = CountedHub(folder / "data", database_url=url, extra_env=env)
        self.sides: dict[str, Side] = {}  # started by start(), stopped by close()
        # account key -> (user name, connection id, home feed id)
        self.where: dict[str, tuple[str, int, int]] = {}
        self.cookies: dict[str, str] = {}
        self.decks: dict[str, DeckClient] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.web_port = 0

    @property
    def mastodon(self) -> MastodonSide | None:
        side = self.sides.get("mastodon")
        return side if isinstance(side, MastodonSide) else None

    def close(self) -> None:
        for deck in self.decks.values():
            deck.stop()
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for side in self.sides.values():
            side.close()

    def start(self) -> None:
        args = self.args
        for network in args.networks:
            if network == "mastodon":
                self.sides[network] = MastodonSide(args.fanout, args.rate_limit,
                                                   args.rate_window, args.mock_streams)
            elif network == "bluesky":
                self.sides[network] = BlueskySide(args.fanout)
            else:
                self.sides[network] = NostrSide(args.fanout)
        self.hub.run("manage", "migrate", "--no-input", timeout=600)
        (self.web_port,) = free_ports(1)
        log = self.folder / "web.log"
        self.procs["web"] = self.hub.popen("serve", "--web-only", "--port", str(self.web_port),
                                           log=log)
        wait_serving(f"http://127.0.0.1:{self.web_port}/accounts/login/", self.procs["web"], log)
        for n in range(self.args.workers):
            self.procs[f"worker{n}"] = self.hub.popen(
                "worker", "--no-migrate", log=self.folder / f"worker{n}.log")

    def grow(self, total: int) -> dict[str, Any]:
        """Make, follow and connect accounts up to `total` a network; open the decks of the
        new users."""
        began = time.monotonic()
        per_user = self.args.per_user
        users: dict[str, list[Any]] = defaultdict(list)
        made_s: dict[str, float] = {}
        for network, side in self.sides.items():
            first = len(side.keys)
            t = time.monotonic()
            for n, (key, spec) in enumerate(side.grow(total), start=first):
                users[f"{network[0]}{n // per_user}"].append([key, spec])
            made_s[network] = round(time.monotonic() - t, 1)
        made = time.monotonic()
        names = sorted(users)
        halves = [names[0::2], names[1::2]]  # two shells side by side: two cores
        masto = self.mastodon
        if masto is not None:
            masto.relay.spread_anonymous = True
        shells = [subprocess.Popen(self.hub.argv("manage", "shell", "--no-imports", "-c",
                                                 CONNECT),
                                   env=self.hub.env(), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in halves]
        outs = [shell.communicate(json.dumps({k: users[k] for k in half}), timeout=3600)
                for shell, half in zip(shells, halves, strict=True)]
        if masto is not None:
            masto.relay.spread_anonymous = False
        shown: Counter[str] = Counter()
        for shell, (out, err) in zip(shells, outs, strict=True):
            if shell.returncode != 0 or "RESULT" not in out:
                raise SystemExit(f"connecting failed:\n{out[-2000:]}\n{err[-3000:]}")
            result = json.loads(out.split("RESULT", 1)[1])
            for name, info in result.items():
                self.cookies[name] = info["cookie"]
                shown[f"{name[0]}:{info['column_feeds']}"] += 1
                for key, (cid, home) in info["conns"].items():
                    self.where[key] = (name, cid, home)
        connected = time.monotonic()
        for name in sorted(self.cookies):
            if int(name[1:]) % self.args.open_every == 0 and name not in self.decks:
                deck = DeckClient(self.web_port, self.cookies[name])
                self.decks[name] = deck
                deck.start()
        return {"accounts_follows_s": round(made - began, 1), "by_network_s": made_s,
                "connect_s": round(connected - made, 1),
                "column_feeds_per_user": dict(shown)}

    def opened(self, key: str) -> bool:
        return self.where[key][0] in self.decks

    def warm(self) -> dict[str, Any]:
        """Until the open decks' streams are up and every column feed was read once."""
        began = time.monotonic()
        want = sum(1 for key in self.where if self.opened(key))
        streams_at = None
        polled_at = None
        deadline = began + self.args.settle
        query = ("SELECT count(*) FROM timeline_feed f WHERE f.last_polled_at IS NULL AND "
                 "f.last_error = '' AND EXISTS (SELECT 1 FROM timeline_column_feeds cf "
                 "WHERE cf.feed_id = f.id)")
        left = -1
        with psycopg.connect(self.url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                if streams_at is None and self._streamed(conn):
                    streams_at = time.monotonic() - began
                (left,) = conn.execute(query).fetchone() or (0,)
                if polled_at is None and left == 0:
                    polled_at = time.monotonic() - began
                if streams_at is not None and polled_at is not None:
                    break
                time.sleep(1.0)
        masto = self.mastodon
        return {"open_decks": len(self.decks),
                "decks_connected": sum(d.connected.is_set() for d in self.decks.values()),
                "open_connections": want,
                "mastodon_streams_open": masto.relay.open_streams if masto else None,
                "streams_up_s": round(streams_at, 1) if streams_at is not None else None,
                "first_reads_done_s": round(polled_at, 1) if polled_at is not None else None,
                "feeds_never_read": left}

    def _streamed(self, conn: psycopg.Connection[Any]) -> bool:
        """Every open deck's streamed connection has its stream: Mastodon's at the relay (with
        several workers each opens its own: a count of streams would be reached before every
        connection has one), Nostr's home feed marked streaming by the hub once its REQs were
        answered up to EOSE."""
        masto = self.mastodon
        if masto is not None:
            tails = [key[2:] for key in masto.keys if self.opened(key)]
            if not masto.relay.serve_streams:
                if masto.relay.open_streams < len(tails):
                    return False
            else:
                with masto.relay.lock:
                    if not all(masto.relay.streams.get(t) for t in tails):
                        return False
        if "nostr" in self.sides:
            homes = [self.where[key][2] for key in self.sides["nostr"].keys if self.opened(key)]
            (waiting,) = conn.execute(
                "SELECT count(*) FROM timeline_feed WHERE id = ANY(%s) AND NOT streaming",
                (homes,)).fetchone() or (0,)
            if waiting:
                return False
        return True

    def measure(self, stage: int) -> dict[str, Any]:
        args = self.args
        pids = {name: proc.pid for name, proc in self.procs.items()}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load0 = [round(x, 2) for x in os.getloadavg()]
        sampler = Sampler(pids, self.url)
        sampler.start()
        masto = self.mastodon
        calls0 = len(masto.relay.snapshot()) if masto else 0
        events0 = {name: len(d.events) for name, d in self.decks.items()}
        # network -> [(remote id, sent at, poster index)]
        posts: dict[str, list[tuple[str, float, int]]] = {n: [] for n in self.sides}
        errors: Counter[str] = Counter()
        start = time.time()
        count = int(args.rate * args.duration)

        def poster(network: str, side: Side) -> None:
            for k in range(count):
                wait = start + k / args.rate - time.time()
                if wait > 0:
                    time.sleep(wait)  # the posting schedule (a rate), not a wait for a result
                p = k % side.poster_count
                sent = time.time()
                try:
                    rid = side.post(p, f"reading bench {network} {stage}-{k}")
                except Exception as exc:
                    errors[f"{network}: {type(exc).__name__}: {str(exc)[:200]}"] += 1
                    continue
                posts[network].append((rid, sent, p))
                if isinstance(side, BlueskySide) and k % 2 == 0:
                    side.watch(rid)  # every other post: when the AppView serves it

        threads = [threading.Thread(target=poster, args=item, daemon=True)
                   for item in self.sides.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ended = time.time()
        # Stragglers: until every open follower has the post (or --straggle seconds).
        open_expect = {(rid, self.where[key][1])
                       for network, side in self.sides.items()
                       for rid, _, p in posts[network]
                       for key in side.followers(p) if self.opened(key)}
        ids = [rid for got in posts.values() for rid, _, _ in got]
        rows: list[tuple[str, int, float]] = []
        with psycopg.connect(self.url, autocommit=True) as conn:
            limit = time.time() + args.straggle
            while True:
                rows = [(str(a), int(b), float(c)) for a, b, c in conn.execute(
                    "SELECT remote_id, connection_id, extract(epoch from ingested_at) "
                    "FROM timeline_item WHERE remote_id = ANY(%s)", (ids,)).fetchall()]
                got = {(a, b) for a, b, _ in rows}
                if open_expect <= got or time.time() > limit:
                    break
                time.sleep(1.0)
        settled = time.time()
        usage = sampler.stop()
        cpu = {name: round(cpu_seconds(pid) - cpu0[name], 1) for name, pid in pids.items()}
        load1 = [round(x, 2) for x in os.getloadavg()]
        calls = masto.relay.snapshot()[calls0:] if masto else []
        noted = hubcalls.read(self.calls, start)
        by_network = {network: network_measures(self, network, side, posts[network], rows,
                                                open_expect, calls, noted, events0, start,
                                                settled)
                      for network, side in self.sides.items()}
        window = settled - start
        return {
            "connections": {n: len(s.keys) for n, s in self.sides.items()},
            "users": len(self.cookies), "open_decks": len(self.decks),
            "post_errors": dict(errors),
            "networks": by_network,
            "nostr_reqs_in_window": sum(1 for r in noted if r["k"] == "req"),
            "stream_leases_by_process": self._leases(),
            "deck_reconnects": sum(d.errors for d in self.decks.values()),
            "window_s": round(window, 1),
            "posting_s": round(ended - start, 1),
            "cpu_s": cpu,
            "cpu_share": {k: round(v / window, 2) for k, v in cpu.items()},
            "peak": usage["peak"], "db_connections_peak": usage["db_connections_peak"],
            "db_connections_mean": usage["db_connections_mean"],
            "db_held_by_process": usage["db_held"],
            "load_before": load0, "load_after": load1,
        }

    def _leases(self) -> dict[str, int]:
        """Live stream leases held, by process name (timeline/leases.py)."""
        names = {proc.pid: name for name, proc in self.procs.items()}
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT owner, count(*) FROM timeline_streamlease WHERE owner <> '' "
                "AND expires_at > now() GROUP BY owner").fetchall()
        return {names.get(int(str(owner).split(":")[1]), str(owner)): int(n)
                for owner, n in rows}



def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-reading-"))
    stages: list[dict[str, Any]] = []
    faults: dict[str, int] = {}
    try:
        with database("postgres") as url:
            bench = Reading(args, folder, url)
            try:
                bench.start()
                for n, scale in enumerate(args.scales):
                    note(f"stage {scale}: making and connecting accounts")
                    grown = bench.grow(scale)
                    note(f"stage {scale}: connected {grown}; waiting for streams, first reads")
                    warm = bench.warm()
                    note(f"stage {scale}: warm {warm}; posting")
                    stage = {"scale": scale, "setup": grown, "warm": warm, **bench.measure(n)}
                    stages.append(stage)
                    print(json.dumps(stage), file=sys.stderr, flush=True)
            finally:
                faults = log_lines(folder, ("too many clients", "remaining connection slots",
                                            "Traceback", "ERROR", "can't start new thread"))
                bench.close()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    ratios: dict[str, Any] = {}
    if len(stages) >= 2:
        first, last = stages[0], stages[-1]
        for network in args.networks:
            one, two = first["networks"][network], last["networks"][network]
            ratios[network] = {
                "connections": ratio(one["connections"], two["connections"]),
                **{f"{part}_{q}": ratio(one[key].get(f"{q}_ms"), two[key].get(f"{q}_ms"))
                   for part, key in (("a", "a_post_to_stored"), ("b", "b_post_to_deck_event"))
                   for q in ("p50", "p95")}}
        ratios["worker_cpu"] = ratio(first["cpu_s"].get("worker0"), last["cpu_s"].get("worker0"))
        ratios["worker_rss"] = ratio(first["peak"]["worker0"]["rss_mb"],
                                     last["peak"]["worker0"]["rss_mb"])
        ratios["worker_threads"] = ratio(first["peak"]["worker0"]["threads"],
                                         last["peak"]["worker0"]["threads"])
    return {
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "args": vars(args),
        "stages": stages, "ratios_last_vs_first": ratios, "log_faults": faults,
        "folder": str(folder) if args.keep else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", default=["mastodon"],
                        type=lambda s: [x for x in s.split(",") if x],
                        help="of mastodon,bluesky,nostr: --scales connections on each")
    parser.add_argument("--scales", default="200,2000",
                        type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--per-user", type=int, default=10, help="connections a hub user")
    parser.add_argument("--open-every", type=int, default=5,
                        help="every Nth user has a deck open (5: 20%%)")
    parser.add_argument("--fanout", type=int, default=10, help="followers a poster")
    parser.add_argument("--rate", type=float, default=2.0, help="posts a second")
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate-limit", type=int, default=300)
    parser.add_argument("--rate-window", type=int, default=300)
    parser.add_argument("--settle", type=float, default=300.0,
                        help="longest wait for streams and first reads before measuring")
    parser.add_argument("--straggle", type=float, default=30.0,
                        help="longest wait after the posting for open decks' items")
    parser.add_argument("--mock-streams", action="store_true",
                        help="pass streams through to the mock (it holds 15 at most) instead "
                             "of the relay serving them")
    parser.add_argument("--hub-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    unknown = sorted(set(args.networks) - set(NETWORKS))
    if unknown or not args.networks:
        parser.error(f"--networks takes some of {','.join(NETWORKS)}; not {','.join(unknown)}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
