"""Reading at scale: streaming and polling for thousands of Mastodon connections, measured from
the post on the server to the item in the hub's database and to the open deck's live event.

    uv run python bench/reading.py [--scales 200,2000] [--per-user 10] [--open-every 5]
        [--fanout 10] [--rate 2] [--duration 90] [--workers 1] [--rate-limit 300]
        [--rate-window 300] [--settle 300] [--hub-env NAME=VALUE ...] [--keep]

All on 127.0.0.1: a fresh PostgreSQL database (as bench/agency.py), the Mastodon mock with its
per-token rate limit on (bench/agencybench/peers.py) behind a relay that notes every call
(readingbench/relay.py), one `hubbub serve --web-only` and
--workers `hubbub worker` processes, HUBBUB_LIVE_BACKEND=postgres (web and worker apart).
The streaming API is answered by the relay (the mock holds a database connection for each open
stream from a pool of 15, and past 15 streams every other call waits and times out): each post
the mock answered is pushed at once as an `update` event to its followers' open streams, as
Mastodon does; --mock-streams passes streams through to the mock instead. Reads (polls) always
reach the mock, with its rate limit.

Stages, one per --scales value, in one run (the connections of a stage stay for the next):
accounts are made on the mock, each follows one "poster" account (--fanout followers a poster),
and they are connected --per-user to a hub user through the connector's own connect (so each
gets its deck columns and inbox feeds). Every --open-every-th user has its deck open: a client
holds /deck/events/ with the user's session cookie, as the browser's EventSource does. Once the
open decks' streams are up and every column feed had its first read (the cold start, timed),
the posters post at --rate statuses a second for --duration seconds, round robin, straight to
the mock. For each follower whose deck is open: (a) post -> item stored (Item.ingested_at) and
(b) post -> the `items` event naming its home feed reaching the deck's client, p50/p95/p99.
The post's time is the moment the bench sent it (the mock's created_at has no sub-second
part). Also: reads a minute of each account (relay calls with its token, not the streams)
against the connector's budget, 429 answers, how many items of closed decks arrived, the
worker's and web's CPU, peak RSS and threads, and the database's peak connections.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.agencybench.peers import new_account, start_limited_mastodon  # noqa: E402
from bench.readingbench.relay import StreamingRelay  # noqa: E402
from bench.readingbench.sample import Sampler, cpu_seconds  # noqa: E402
from bench.readingbench.sse import DeckClient  # noqa: E402
from tests.integration.crash_support import database  # noqa: E402
from tests.integration.hubproc import Hub, wait_serving  # noqa: E402
from tests.peers.mastodon import SeededAccount  # noqa: E402
from tests.peers.procgroup import free_ports  # noqa: E402

BUDGET = 30.0  # MastodonConnector.poll_reads_per_minute

CONNECT = """\
import json, sys
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from hubbub.connections.services import save_connection
from hubbub.networks.registry import get_connector
from hubbub.timeline.models import Feed
from hubbub.timeline.services import ensure_default_deck
connector = get_connector("mastodon")
base, users = json.loads(sys.stdin.read())
out = {}
for name, tokens in users.items():
    u, _ = User.objects.get_or_create(username=name)
    conns = {}
    for token in tokens:
        c = save_connection(u, "mastodon", connector.connect_with_token(
            base, {"access_token": token}))
        conns[token] = c.pk
    ensure_default_deck(u)  # as the first visit does: home and mentions of each account
    client = Client()
    client.force_login(u)
    cookie = settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value
    homes = dict(Feed.objects.filter(connection__user=u, key="home").values_list(
        "connection_id", "pk"))
    conns = {token: [cid, homes.get(cid)] for token, cid in conns.items()}
    shown = Feed.objects.filter(columns__deck__user=u).distinct().count()
    out[name] = {"cookie": cookie, "conns": conns, "column_feeds": shown}
print("RESULT" + json.dumps(out))
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def dist(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(pct(values, 0.95) * 1000, 1),
            "p99_ms": round(pct(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


class Reading:
    def __init__(self, args: argparse.Namespace, folder: Path, url: str) -> None:
        self.args, self.folder, self.url = args, folder, url
        env = {"HUBBUB_LIVE_BACKEND": "postgres"}
        env.update(dict(pair.split("=", 1) for pair in args.hub_env))
        self.hub = Hub(folder / "data", database_url=url, extra_env=env)
        self.peer = start_limited_mastodon(args.rate_limit, args.rate_window)
        self.relay = StreamingRelay(self.peer.port)
        self.relay.serve_streams = not args.mock_streams
        self.posters: list[SeededAccount] = []
        self.accounts: list[SeededAccount] = []
        # token tail -> (user index, connection id, home feed id)
        self.where: dict[str, tuple[int, int, int]] = {}
        self.cookies: dict[int, str] = {}
        self.decks: dict[int, DeckClient] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.web_port = 0

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
        self.relay.close()
        self.peer.close()

    def start(self) -> None:
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
        """Make, follow and connect accounts up to `total`; open the decks of the new users."""
        began = time.monotonic()
        first = len(self.accounts)
        fanout, per_user = self.args.fanout, self.args.per_user
        while len(self.posters) * fanout < total:
            self.posters.append(new_account(self.peer))
        fresh = [new_account(self.peer) for _ in range(total - first)]
        for n, account in enumerate(fresh, start=first):
            self.peer.follow(account, self.posters[n // fanout])
        self.accounts.extend(fresh)
        made = time.monotonic()
        users: dict[str, list[str]] = defaultdict(list)
        for n, account in enumerate(fresh, start=first):
            users[f"r{n // per_user}"].append(account.access_token)
        names = sorted(users)
        halves = [names[0::2], names[1::2]]  # two shells side by side: two cores
        self.relay.spread_anonymous = True
        shells = [subprocess.Popen(self.hub.argv("manage", "shell", "--no-imports", "-c",
                                                 CONNECT),
                                   env=self.hub.env(), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in halves]
        outs = [shell.communicate(json.dumps([self.relay.base_url,
                                              {k: users[k] for k in half}]), timeout=3600)
                for shell, half in zip(shells, halves, strict=True)]
        self.relay.spread_anonymous = False
        shown = []
        for shell, (out, err) in zip(shells, outs, strict=True):
            if shell.returncode != 0 or "RESULT" not in out:
                raise SystemExit(f"connecting failed:\n{out[-2000:]}\n{err[-3000:]}")
            result = json.loads(out.split("RESULT", 1)[1])
            for name, info in result.items():
                index = int(name[1:])
                self.cookies[index] = info["cookie"]
                shown.append(info["column_feeds"])
                for token, (cid, home) in info["conns"].items():
                    self.where[token[-12:]] = (index, cid, home)
        connected = time.monotonic()
        for index in sorted(self.cookies):
            if index % self.args.open_every == 0 and index not in self.decks:
                deck = DeckClient(self.web_port, self.cookies[index])
                self.decks[index] = deck
                deck.start()
        return {"accounts_follows_s": round(made - began, 1),
                "connect_s": round(connected - made, 1),
                "column_feeds_per_user": dict(Counter(shown))}

    def warm(self) -> dict[str, Any]:
        """Until the open decks' streams are up and every column feed was read once."""
        began = time.monotonic()
        want = sum(1 for index, _, _ in self.where.values() if index in self.decks)
        streams_at = None
        polled_at = None
        deadline = began + self.args.settle
        query = ("SELECT count(*) FROM timeline_feed f WHERE f.last_polled_at IS NULL AND "
                 "f.last_error = '' AND EXISTS (SELECT 1 FROM timeline_column_feeds cf "
                 "WHERE cf.feed_id = f.id)")
        left = -1
        with psycopg.connect(self.url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                if streams_at is None and self._streamed(want):
                    streams_at = time.monotonic() - began
                (left,) = conn.execute(query).fetchone() or (0,)
                if polled_at is None and left == 0:
                    polled_at = time.monotonic() - began
                if streams_at is not None and polled_at is not None:
                    break
                time.sleep(1.0)
        return {"open_decks": len(self.decks),
                "decks_connected": sum(d.connected.is_set() for d in self.decks.values()),
                "open_connections": want, "streams_open": self.relay.open_streams,
                "streams_up_s": round(streams_at, 1) if streams_at is not None else None,
                "first_reads_done_s": round(polled_at, 1) if polled_at is not None else None,
                "feeds_never_read": left}

    def _streamed(self, want: int) -> bool:
        """Every open deck's connection has a stream (with several workers, each opens its
        own: a count of streams would be reached before every connection has one)."""
        if not self.relay.serve_streams:
            return self.relay.open_streams >= want
        with self.relay.lock:
            return all(self.relay.streams.get(token)
                       for token, (index, _, _) in self.where.items() if index in self.decks)

    def measure(self, stage: int) -> dict[str, Any]:
        args = self.args
        posters = self.posters[: -(-len(self.accounts) // args.fanout)]
        pids = {name: proc.pid for name, proc in self.procs.items()}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load0 = [round(x, 2) for x in os.getloadavg()]
        sampler = Sampler(pids, self.url)
        sampler.start()
        calls0 = len(self.relay.snapshot())
        events0 = {i: len(d.events) for i, d in self.decks.items()}
        posts: list[tuple[str, float, int]] = []  # status id, sent at, poster index
        post_errors = 0
        start = time.time()
        count = int(args.rate * args.duration)
        for k in range(count):
            due = start + k / args.rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)  # the posting schedule (a rate), not a wait for a result
            p = k % len(posters)
            sent = time.time()
            try:
                status = self.peer.post_as(posters[p], f"reading bench {stage}-{k}")
            except Exception:
                post_errors += 1
                continue
            posts.append((str(status["id"]), sent, p))
            if self.relay.serve_streams:
                followers = [self.accounts[n].access_token[-12:]
                             for n in range(p * args.fanout,
                                            min((p + 1) * args.fanout, len(self.accounts)))]
                self.relay.push(followers, "update", json.dumps(status))
        ended = time.time()
        # Stragglers: until every open follower has the post (or 30 s).
        open_expect = {(sid, self.where[self.accounts[n].access_token[-12:]][1])
                       for sid, _, p in posts
                       for n in range(p * args.fanout, min((p + 1) * args.fanout,
                                                           len(self.accounts)))
                       if self.where[self.accounts[n].access_token[-12:]][0] in self.decks}
        ids = [sid for sid, _, _ in posts]
        rows: list[tuple[str, int, float]] = []
        with psycopg.connect(self.url, autocommit=True) as conn:
            limit = time.time() + 30
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
        calls = self.relay.snapshot()[calls0:]
        return self._report(posts, post_errors, rows, open_expect, calls, events0, start, ended,
                            settled, cpu, usage, load0, load1)

    def _leases(self) -> dict[str, int]:
        """Live stream leases held, by process name (timeline/leases.py)."""
        names = {proc.pid: name for name, proc in self.procs.items()}
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT owner, count(*) FROM timeline_streamlease WHERE owner <> '' "
                "AND expires_at > now() GROUP BY owner").fetchall()
        return {names.get(int(str(owner).split(":")[1]), str(owner)): int(n)
                for owner, n in rows}

    def _report(self, posts: list[tuple[str, float, int]], post_errors: int,
                rows: list[tuple[str, int, float]], open_expect: set[tuple[str, int]],
                calls: list[Any], events0: dict[int, int], start: float, ended: float,
                settled: float, cpu: dict[str, float], usage: dict[str, Any],
                load0: list[float], load1: list[float]) -> dict[str, Any]:
        sent_at = {sid: t for sid, t, _ in posts}
        by_conn = {cid: (index, home) for index, cid, home in self.where.values()}
        stored = {(sid, cid): at for sid, cid, at in rows}
        a_open: list[float] = []
        b_open: list[float] = []
        no_event = 0
        for sid, cid in open_expect:
            at = stored.get((sid, cid))
            if at is None:
                continue
            a_open.append(at - sent_at[sid])
            index, home = by_conn[cid]
            deck = self.decks[index]
            heard = next((t for t, feeds in deck.events[events0.get(index, 0):]
                          if home in feeds and t >= at - 0.005), None)
            if heard is None:
                no_event += 1
            else:
                b_open.append(heard - sent_at[sid])
        closed_items = [at - sent_at[sid] for (sid, cid), at in stored.items()
                        if by_conn.get(cid, (-1, 0))[0] not in self.decks]
        closed_expected = len(posts) * self.args.fanout - len(open_expect)
        minutes = max(1e-9, (settled - start) / 60)
        reads: Counter[str] = Counter(c.token for c in calls if c.token and c.method == "GET"
                                      and not c.path.startswith("/api/v1/streaming"))
        buckets: Counter[tuple[str, int]] = Counter(
            (c.token, int((c.at - start) // 60)) for c in calls if c.token and c.method == "GET"
            and not c.path.startswith("/api/v1/streaming"))
        opened = {t for t, (index, _, _) in self.where.items() if index in self.decks}
        closed = set(self.where) - opened

        def rate(tokens: set[str]) -> dict[str, float]:
            values = [reads.get(t, 0) / minutes for t in tokens]
            if not values:
                return {}
            return {"accounts": len(values), "mean_per_min": round(statistics.mean(values), 2),
                    "max_per_min": round(max(values), 2),
                    "never_read": sum(1 for t in tokens if not reads.get(t))}

        too_many = sum(1 for t in buckets if buckets[t] > BUDGET)
        by429 = Counter(c.token for c in calls if c.status == 429)
        streams = [c for c in calls if c.path.startswith("/api/v1/streaming")]
        window = settled - start
        return {
            "connections": len(self.accounts), "users": len(self.cookies),
            "open_decks": len(self.decks), "open_connections": len(opened),
            "posts": len(posts), "post_errors": post_errors,
            "post_rate_per_s": round(len(posts) / max(1e-9, ended - start), 2),
            "stored_of_open": f"{len(a_open)}/{len(open_expect)}",
            "a_post_to_stored": dist(a_open), "b_post_to_deck_event": dist(b_open),
            "stored_without_event": no_event,
            "closed_decks": {"items_expected": closed_expected, "arrived": len(closed_items),
                             "post_to_stored": dist(closed_items)},
            "reads": {"open": rate(opened), "closed": rate(closed),
                      "budget_per_min": BUDGET,
                      "account_minutes_over_budget": too_many,
                      "max_in_one_minute": max(buckets.values(), default=0)},
            "answers": dict(Counter(c.status for c in calls)),
            "read_paths": dict(Counter(
                re.sub(r"/\d+", "/N", c.path) for c in calls
                if c.method == "GET" and not c.path.startswith("/api/v1/streaming")
            ).most_common(8)),
            "reads_per_s": round(sum(reads.values()) / max(1e-9, settled - start), 2),
            "429": {"total": sum(by429.values()), "accounts": len(by429),
                    "max_one_account": max(by429.values(), default=0)},
            "streams_opened_in_window": len(streams),
            "streams_open_at_end": self.relay.open_streams,
            # open deck's connections by how many streams each has open (with a lease: 1)
            "streams_per_open_connection": dict(Counter(
                self.relay.open_by_token[t] for t in opened)),
            "stream_leases_by_process": self._leases(),
            "deck_reconnects": sum(d.errors for d in self.decks.values()),
            "window_s": round(window, 1),
            "cpu_s": cpu,
            "cpu_share": {k: round(v / window, 2) for k, v in cpu.items()},
            "peak": usage["peak"], "db_connections_peak": usage["db_connections_peak"],
            "db_connections_mean": usage["db_connections_mean"],
            "db_held_by_process": usage["db_held"],
            "load_before": load0, "load_after": load1,
        }


def note(text: str) -> None:
    print(time.strftime("%H:%M:%S ") + text, file=sys.stderr, flush=True)


def log_lines(folder: Path, needles: tuple[str, ...]) -> dict[str, int]:
    found: Counter[str] = Counter()
    for path in folder.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            for needle in needles:
                if needle in line:
                    found[f"{path.name}: {needle}"] += 1
    return dict(found)


def ratio(a: Any, b: Any) -> float | None:
    return round(b / a, 2) if isinstance(a, int | float) and isinstance(b, int | float) and a \
        else None


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
        ratios = {
            "connections": ratio(first["connections"], last["connections"]),
            "a_p50": ratio(first["a_post_to_stored"].get("p50_ms"),
                           last["a_post_to_stored"].get("p50_ms")),
            "a_p95": ratio(first["a_post_to_stored"].get("p95_ms"),
                           last["a_post_to_stored"].get("p95_ms")),
            "b_p95": ratio(first["b_post_to_deck_event"].get("p95_ms"),
                           last["b_post_to_deck_event"].get("p95_ms")),
            "worker_cpu": ratio(first["cpu_s"].get("worker0"), last["cpu_s"].get("worker0")),
            "worker_rss": ratio(first["peak"]["worker0"]["rss_mb"],
                                last["peak"]["worker0"]["rss_mb"]),
            "worker_threads": ratio(first["peak"]["worker0"]["threads"],
                                    last["peak"]["worker0"]["threads"]),
        }
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
    parser.add_argument("--mock-streams", action="store_true",
                        help="pass streams through to the mock (it holds 15 at most) instead "
                             "of the relay serving them")
    parser.add_argument("--hub-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
