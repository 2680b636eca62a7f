"""The agency profile: PostgreSQL, web nodes apart from workers, thousands of accounts, thousands
of deliveries due in the same minute, workers killed while they send.

    uv run python bench/agency.py [--connections 2000] [--deliveries 5000] [--web 2]
        [--workers 1,2,4] [--spread-workers 4] [--kill-workers 4] [--rate-limit 300]
        [--rate-window 300] [--latency-ms 0] [--hub-env NAME=VALUE ...]
        [--tasks db,celery] [--rounds 1] [--concurrency 1] [--celery-broker URL]
        [--bluesky 0] [--nostr 0]

What runs, all on 127.0.0.1: a fresh PostgreSQL database (127.0.0.1:5432, trust; made and
dropped as the crash test does), the Mastodon mock with its per-token rate limit on (mastodon-
mock's fixed window, --rate-limit calls a token per --rate-window seconds: Mastodon's own
default is 300 per 5 minutes) behind a relay that notes every call and its answer
(bench/agencybench/relay.py), --web `hubbub serve --web-only` processes and `hubbub worker`
processes, started and stopped per phase. --connections accounts are made on the mock and
connected through the connector's own connect (`connect_with_token`, `save_connection`), so
each gets its columns and inbox feeds, which the workers poll as they would for real.
--bluesky and --nostr add that many accounts on the real local servers the tests use (the
Bluesky dev network's PDS, nostr-relay; agencybench/open_networks.py), connected the same way:
the deliveries of every phase go to all the connections in turn, so each network gets its share.
Per network, from the hub's database: deliveries sent, the last `sent_at` after T0, throughput,
and lateness from the due time to the claim (`first_attempt_at`, just before the request) and
to `sent_at` (the server's answer recorded); and from each server, read back after the phase
(the mock's database, the PDS's repositories, the relay's events): duplicates and losses.

Phases, each with its own --deliveries posts (one target each, the accounts in turn), written
by a `manage shell` before their due time (in bulk, the rows create_post writes) while the
phase's workers already run:

1. burst-W for each W of --workers: every delivery due at one instant T0. "All sent" = the
   last publish answer minus T0 (goal 60 s); throughput = deliveries / that; ratios against
   the first W.
2. spread: due evenly over one minute, --spread-workers workers. Lateness = the publish call's
   arrival at the relay minus its due time (goal p99 < 2 s with 4 workers).
3. kill: a burst on --kill-workers workers, one of them SIGKILLed every 2-6 s (random,
   seeded) and started again, until every post reached the mock; then the workers settle the
   rest. Duplicates and losses are read from the mock's own database (statuses by text).

Every phase counts the 429 answers, by token: "no storm" is at most one 429 a token a window.
A page of a web node is fetched every 0.5 s during each phase (its latency is reported).
--latency-ms makes the mock answer each publish call that much later (its latency fault, a
wait, not CPU), as a real server does: the senders' bounds, not the machine, then decide.

--tasks names the task engines to compare (HUBBUB_TASKS_BACKEND: `db`, the database queue;
`celery`, on --celery-broker, by default Redis database 14, which the run flushes before and
after): every phase of the plan runs once on each, in turn, --rounds times over (db, celery,
db, celery, ...), on the same database, accounts and mock. Deliveries go through the task
engine only with `--hub-env HUBBUB_SEND_IN_WORKER=0` (otherwise the workers send on their own
threads and the engine carries only feed reads). --concurrency is each worker's task runner
threads (the database runners, or the Celery consumer's thread pool). The broker's own CPU
(redis-server or RabbitMQ's beam.smp, found by name) is read over each phase beside the
workers'.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.agencybench.open_networks import OpenNetworks  # noqa: E402
from bench.agencybench.peers import new_account, start_limited_mastodon, stored_texts  # noqa: E402
from bench.agencybench.processes import (  # noqa: E402
    BROKER_PROCESS,
    WebProbe,
    Workers,
    _cpu,
    _listener,
    _machine_busy,
    _pct,
    _pids,
)
from bench.agencybench.relay import Call, Relay  # noqa: E402
from bench.agencybench.setup import CONNECT, SCHEDULE, _late, broker, database  # noqa: E402
from tests.integration.hubproc import Hub, wait_serving  # noqa: E402
from tests.peers.procgroup import free_ports  # noqa: E402

# A killed worker's claimed rows come back after the lease (swept to unknown, then checked on
# the network), its only-taken rows after the requeue time: shortened so the kill phase
# settles in minutes. The same for every phase.
HUB_ENV = {"HUBBUB_LEASE_SECONDS": "20", "HUBBUB_REQUEUE_SECONDS": "10"}

class Agency:
    def __init__(self, args: argparse.Namespace, folder: Path, database_url: str) -> None:
        self.args = args
        self.folder = folder
        env = dict(HUB_ENV)
        env.update(dict(pair.split("=", 1) for pair in args.hub_env))
        self.hub = Hub(folder / "data", database_url=database_url, extra_env=env)
        # One hub a task engine: the same data dir and database, the engine's settings.
        self.queue = f"hubbub-agency-{uuid.uuid4().hex[:8]}"
        self.hubs = {
            engine: Hub(folder / "data", database_url=database_url, extra_env={
                **env, "HUBBUB_TASKS_BACKEND": engine,
                **({"HUBBUB_CELERY_BROKER": args.celery_broker,
                    "HUBBUB_CELERY_QUEUE": self.queue} if engine == "celery" else {})})
            for engine in args.tasks}
        self.database_url = database_url
        self.peer = start_limited_mastodon(args.rate_limit, args.rate_window)
        self.relay = Relay(self.peer.port)
        self.web: list[subprocess.Popen[bytes]] = []
        self.web_urls: list[str] = []
        self.rng = random.Random(13)
        self.offset = 0
        self.open = OpenNetworks()
        self.db: psycopg.Connection[Any] | None = None

    def close(self) -> None:
        for proc in self.web:
            proc.terminate()
        for proc in self.web:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.relay.close()
        self.peer.close()
        self.open.close()
        if self.db is not None:
            self.db.close()

    # --- set-up ------------------------------------------------------------------------------
    def setup(self) -> dict[str, Any]:
        began = time.monotonic()
        self.hub.run("manage", "migrate", "--no-input", timeout=600)
        self.hub.run("createuser", "agency", "--password-stdin",
                     stdin="a-long-enough-password\n")
        tokens = [new_account(self.peer).access_token for _ in range(self.args.connections)]
        specs = [["mastodon", self.relay.base_url, {"access_token": t}] for t in tokens]
        specs += self.open.start(self.args.bluesky, self.args.nostr)
        made = time.monotonic()
        self.relay.spread_anonymous = True
        chunk = -(-len(specs) // 2)  # two shells side by side: the machine has two cores
        shells = [subprocess.Popen(self.hub.argv("manage", "shell", "--no-imports", "-c",
                                                 CONNECT),
                                   env=self.hub.env(), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
        outs = [shell.communicate(json.dumps(specs[n * chunk:(n + 1) * chunk]), timeout=1800)
                for n, shell in enumerate(shells)]
        for shell, (out, err) in zip(shells, outs, strict=True):
            if shell.returncode != 0:
                raise SystemExit(f"connecting failed:\n{out}\n{err[-3000:]}")
        self.relay.spread_anonymous = False
        if self.args.latency_ms:
            # A network's answer time, as the mock's latency fault (a wait, not CPU): the
            # senders' bounds then decide the throughput, as they would against real servers.
            self.peer.add_fault({"type": "latency", "delay_ms": self.args.latency_ms},
                                methods=["POST"], path="/api/v1/statuses", count=None)
        for port in free_ports(self.args.web):
            log = self.folder / f"web-{port}.log"
            proc = self.hub.popen("serve", "--web-only", "--port", str(port), log=log)
            self.web.append(proc)
            url = f"http://127.0.0.1:{port}/accounts/login/"
            wait_serving(url, proc, log)
            self.web_urls.append(url)
        return {"accounts_seconds": round(made - began, 1),
                "connect_seconds": round(time.monotonic() - made, 1)}

    # --- one phase -----------------------------------------------------------------------------
    def phase(self, name: str, workers: int, spread: float, kill: bool = False,
              engine: str = "db") -> dict[str, Any]:
        crew = Workers(self.hubs[engine], self.folder, name, self.args.concurrency)
        broker = _pids(BROKER_PROCESS[self.args.celery_broker.split(":", 1)[0]])
        # Where else a delivery's CPU goes on this machine: the Mastodon mock (one process, so
        # one core at most) and this process (the relay that notes every call, and the probes).
        mock = _listener(self.peer.port)
        before = {"broker": sum(_cpu(pid) for pid in broker),
                  "mock": sum(_cpu(pid) for pid in mock), "bench": _cpu(os.getpid())}
        try:
            result = self._phase(crew, name, workers, spread, kill)
        finally:
            crew.stop()  # also when the phase fails: no worker outlives the run
        used = {"broker": sum(_cpu(pid) for pid in broker) - before["broker"],
                "mock": sum(_cpu(pid) for pid in mock) - before["mock"],
                "bench": _cpu(os.getpid()) - before["bench"]}
        sent = max(1, result["sent"])
        return {"tasks": engine, **result,
                "worker_cpu_ms_a_delivery": round(result["worker_cpu_s"] * 1000 / sent, 1),
                "broker_cpu_s": round(used["broker"], 1),
                "broker_cpu_ms_a_delivery": round(used["broker"] * 1000 / sent, 2),
                "mock_cpu_s": round(used["mock"], 1),
                "mock_cpu_ms_a_delivery": round(used["mock"] * 1000 / sent, 1),
                "relay_and_bench_cpu_ms_a_delivery": round(used["bench"] * 1000 / sent, 1)}

    def _phase(self, crew: Workers, name: str, workers: int, spread: float,
               kill: bool) -> dict[str, Any]:
        count = self.args.deliveries
        crew.start(workers)
        mark = self.relay.mark()
        load_before = [round(x, 2) for x in os.getloadavg()]
        busy_before = _machine_busy()
        lead = self.args.lead
        t0 = time.time() + lead
        writer = subprocess.run(
            self.hub.argv("manage", "shell", "--no-imports", "-c",
                          SCHEDULE.format(t0=t0, count=count, spread=spread, phase=name,
                                          offset=self.offset)),
            env=self.hub.env(), capture_output=True, text=True, timeout=1800, check=False)
        if writer.returncode != 0:
            raise SystemExit(f"writing the posts failed:\n{writer.stderr[-3000:]}")
        self.offset += count
        writing = float(writer.stdout.strip().splitlines()[-1])
        kills = 0
        # Deliveries of the phase by network: Mastodon's are seen at the relay, the others'
        # in the hub's database (sent: the server's answer was recorded).
        counts = Counter(row[0] for row in self._deliveries(name))
        masto = counts.get("mastodon", 0)
        others = count - masto
        probe = WebProbe(self.web_urls)
        with probe.running():
            guard = t0 + spread + self.args.guard
            next_kill = t0 + self.rng.uniform(2, 6)
            next_look = t0
            next_db = t0
            other_sent = 0
            masto_stored = False
            while True:
                sent = {c.tag for c in self.relay.since(mark)
                        if c.tag and 200 <= c.status < 300}
                if others and time.time() >= next_db:
                    next_db = time.time() + 1
                    other_sent = sum(1 for row in self._deliveries(name)
                                     if row[0] != "mastodon" and row[1] == "sent")
                if ((len(sent) >= masto or masto_stored) and other_sent >= others) \
                        or time.time() > guard:
                    break
                # A publish whose worker was killed before the answer came back is settled by
                # find_published, without a second call: the server's own count says when.
                if kill and not masto_stored and time.time() >= next_look:
                    next_look = time.time() + 1
                    masto_stored = len(stored_texts(self.peer, f"agency-{name}-")) >= masto
                if kill and time.time() >= next_kill:
                    crew.kill_one(self.rng)
                    crew.start(1)
                    kills += 1
                    next_kill = time.time() + self.rng.uniform(2, 6)
                time.sleep(0.2)
        reached = time.time()
        calls = self.relay.since(mark)
        settled = self._settle(name, count) if kill else {}
        crew.stop()
        busy_after = _machine_busy()
        load_after = [round(x, 2) for x in os.getloadavg()]
        return self._report(name, workers, spread, t0, calls, writing, lead, crew, kills,
                            probe, load_before, load_after, busy_before, busy_after, reached,
                            settled)

    def _deliveries(self, name: str) -> list[tuple[str, str, float, float | None,
                                                   float | None, int]]:
        """(network, state, due, first attempt, sent at, attempts) of the phase's deliveries,
        times in epoch seconds."""
        query = ("SELECT c.network, d.state, extract(epoch from d.due_at), "
                 "extract(epoch from d.first_attempt_at), extract(epoch from d.sent_at), "
                 "d.attempts FROM publishing_delivery d JOIN publishing_post p "
                 "ON p.id = d.post_id JOIN connections_connection c ON c.id = d.connection_id "
                 "WHERE p.text LIKE %s")
        # One connection kept for the bench's looks (the shared server's 100 slots ran out
        # once with a connection a second), opened again after a failure.
        for attempt in (0, 1, 2):
            try:
                if self.db is None or self.db.closed:
                    self.db = psycopg.connect(self.database_url, autocommit=True)
                rows = self.db.execute(query, (f"agency-{name}-%",)).fetchall()
                break
            except psycopg.OperationalError:
                if self.db is not None:
                    self.db.close()
                self.db = None
                if attempt == 2:
                    raise
                time.sleep(2)  # a free connection slot on the shared server, then again
        return [(str(n), str(st), float(due), None if first is None else float(first),
                 None if at is None else float(at), int(tries))
                for n, st, due, first, at, tries in rows]

    def _by_network(self, name: str, t0: float, began: float) -> dict[str, Any]:
        """Per network, from the hub's database and the servers' own records."""
        rows = self._deliveries(name)
        held = self.open.held(f"agency-{name}-", began - 120)
        held["mastodon"] = Counter(text for (_, text), n in
                                   stored_texts(self.peer, f"agency-{name}-").items()
                                   for _ in range(n))
        out: dict[str, Any] = {}
        for network in sorted({row[0] for row in rows}):
            mine = [row for row in rows if row[0] == network]
            sent = [row for row in mine if row[1] == "sent" and row[4] is not None]
            last = max((row[4] for row in sent if row[4] is not None), default=t0)
            claim = [row[3] - row[2] for row in mine if row[3] is not None]
            answered = [row[4] - row[2] for row in sent if row[4] is not None]
            texts = held.get(network, Counter())
            out[network] = {
                "deliveries": len(mine), "sent": len(sent),
                "states": dict(Counter(row[1] for row in mine)),
                "all_sent_s": round(last - t0, 1) if len(sent) == len(mine) else None,
                "last_sent_s": round(last - t0, 1),
                "throughput_per_s": round(len(sent) / max(0.001, last - t0), 1),
                "late_to_claim_ms": _late(claim), "late_to_sent_ms": _late(answered),
                "attempts_max": max((row[5] for row in mine), default=0),
                "server": {"held": sum(texts.values()), "distinct": len(texts),
                           "duplicates": sum(n - 1 for n in texts.values() if n > 1),
                           "lost": len(mine) - len(texts)},
            }
        return out

    def _settle(self, name: str, count: int) -> dict[str, Any]:
        """After the kills: wait until no delivery of the phase is sending, unknown or waiting
        (the lease sweep and find_published settle what the kills left); the states."""
        query = ("SELECT d.state, count(*) FROM publishing_delivery d JOIN publishing_post p "
                 "ON p.id = d.post_id WHERE p.text LIKE %s GROUP BY d.state")
        deadline = time.time() + self.args.guard
        states: dict[str, int] = {}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while time.time() < deadline:
                states = dict(conn.execute(query, (f"agency-{name}-%",)).fetchall())
                if states.get("sent", 0) + states.get("failed", 0) >= count:
                    break
                time.sleep(1)
        return states

    def _report(self, name: str, workers: int, spread: float, t0: float, calls: list[Call],
                writing: float, lead: float, crew: Workers, kills: int, probe: WebProbe,
                load_before: list[float], load_after: list[float],
                busy_before: tuple[float, float], busy_after: tuple[float, float],
                reached: float, settled: dict[str, int]) -> dict[str, Any]:
        count = self.args.deliveries
        publishes = [c for c in calls if c.tag]
        first_ok: dict[str, Call] = {}
        first_seen: dict[str, Call] = {}
        for call in publishes:
            first_seen.setdefault(call.tag, call)
            if 200 <= call.status < 300:
                first_ok.setdefault(call.tag, call)
        late = [c.arrived - float(tag.rsplit("-", 2)[1]) for tag, c in first_seen.items()]
        nets = self._by_network(name, t0, t0 - lead)
        masto = nets.get("mastodon", {}).get("deliveries", 0)
        others = {k: v for k, v in nets.items() if k != "mastodon"}
        done = len(first_ok) >= masto and all(v["sent"] >= v["deliveries"]
                                               for v in others.values())
        last = (max([*(c.answered for c in first_ok.values()),
                     *(t0 + v["last_sent_s"] for v in others.values())], default=reached)
                if done else reached)
        sent = len(first_ok) + sum(v["sent"] for v in others.values())
        stored = stored_texts(self.peer, f"agency-{name}-")
        by_token = Counter(c.token for c in calls if c.status == 429)
        windows: Counter[tuple[str, int]] = Counter(
            (c.token, int(c.arrived // self.args.rate_window)) for c in calls if c.status == 429)
        busy = (busy_after[0] - busy_before[0]) / max(1.0, busy_after[1] - busy_before[1])
        return {
            "phase": name, "workers": workers, "spread_s": spread, "deliveries": count,
            "kills": kills, "writing_s": round(writing, 1), "lead_s": lead,
            "writer_late": writing > lead,
            "sent": sent,
            "all_sent_s": round(last - t0, 1),
            "throughput_per_s": round(sent / max(0.001, last - t0), 1),
            "lateness_ms": {"p50": round(statistics.median(late) * 1000, 1),
                            "p99": round(_pct(late, 0.99) * 1000, 1),
                            "max": round(max(late) * 1000, 1),
                            "early": sum(v < 0 for v in late)} if late else {},
            "publish_calls": len(publishes),
            "other_calls": len(calls) - len(publishes),
            "answers": dict(Counter(c.status for c in calls)),
            "429": {"total": sum(by_token.values()), "tokens": len(by_token),
                    "max_one_token": max(by_token.values(), default=0),
                    "max_one_token_one_window": max(windows.values(), default=0)},
            "server": {"statuses": sum(stored.values()), "distinct": len(stored),
                       "duplicates": sum(n - 1 for n in stored.values() if n > 1),
                       "lost": masto - len(stored)},
            "networks": nets,
            "settled_states": settled,
            "worker_cpu_s": round(crew.cpu, 1),
            "machine_busy": round(busy, 2),
            "web": probe.summary(),
            "load_before": load_before, "load_after": load_after,
        }


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-agency-"))
    phases: list[dict[str, Any]] = []
    try:
        with database() as url, broker(args):
            agency = Agency(args, folder, url)
            try:
                setup = agency.setup()
                plan = [(f"b{w}", w, 0.0, False) for w in args.workers]
                if args.spread_workers:
                    plan.append(("spread", args.spread_workers, 60.0, False))
                if args.kill_workers:
                    plan.append(("kill", args.kill_workers, 0.0, True))
                # Each phase on each engine in turn (db, celery, db, ...), --rounds times: the
                # engines share the machine's moments as evenly as a sequence can.
                for round_no in range(args.rounds):
                    for name, workers, spread, kill in plan:
                        for engine in args.tasks:
                            tag = (f"{name}{engine}{round_no if args.rounds > 1 else ''}"
                                   if len(args.tasks) > 1 or args.rounds > 1 else name)
                            phases.append(agency.phase(tag, workers, spread, kill, engine))
                            # each phase as it ends: a run stopped later keeps what it measured
                            print(json.dumps(phases[-1]), file=sys.stderr, flush=True)
            finally:
                agency.close()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    bursts = [p for p in phases if p["phase"].startswith("b")]
    base = bursts[0]["throughput_per_s"] if bursts else 0
    by_engine: dict[str, list[dict[str, Any]]] = {}
    for p in phases:
        by_engine.setdefault(p["tasks"], []).append(p)
    return {
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "connections": args.connections, "bluesky": args.bluesky, "nostr": args.nostr,
        "web": args.web,
        "rate_limit": f"{args.rate_limit}/{args.rate_window}s", "hub_env": args.hub_env,
        "latency_ms": args.latency_ms,
        "setup": setup, "phases": phases,
        "throughput_ratios": {p["phase"]: round(p["throughput_per_s"] / base, 2)
                              for p in bursts} if base else {},
        "tasks": args.tasks, "concurrency": args.concurrency,
        "engines": {engine: {
            "deliveries_per_s_median": statistics.median(p["throughput_per_s"] for p in got),
            "worker_cpu_ms_a_delivery_median": statistics.median(
                p["worker_cpu_ms_a_delivery"] for p in got),
            # every network's server (the mock's database, the PDS, the relay)
            "duplicates": sum(v["server"]["duplicates"] for p in got
                              for v in p["networks"].values()),
            "lost": sum(v["server"]["lost"] for p in got for v in p["networks"].values())}
            for engine, got in by_engine.items()},
        "folder": str(folder) if args.keep else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--bluesky", type=int, default=0,
                        help="accounts on the Bluesky dev network, beside --connections Mastodon")
    parser.add_argument("--nostr", type=int, default=0,
                        help="accounts on nostr-relay, beside --connections Mastodon")
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--workers", default="1,2,4",
                        type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--spread-workers", type=int, default=4)
    parser.add_argument("--kill-workers", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=300)
    parser.add_argument("--rate-window", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="the mock answers each publish call this much later")
    parser.add_argument("--lead", type=float, default=0.0,
                        help="seconds from writing the posts to the first due time "
                             "(default: 30 + 5 ms a delivery)")
    parser.add_argument("--guard", type=float, default=900.0,
                        help="give up on a phase this long after its last due time")
    parser.add_argument("--hub-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    parser.add_argument("--tasks", default=["db"],
                        type=lambda s: [x for x in s.split(",") if x],
                        help="task engines to compare, each phase on each in turn: db, celery")
    parser.add_argument("--rounds", type=int, default=1, help="the whole plan, this many times")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="task runner threads a worker (`hubbub worker --concurrency`)")
    parser.add_argument("--celery-broker", default="redis://127.0.0.1:6379/14",
                        help="the broker for --tasks celery (a Redis database is flushed "
                             "before and after the run)")
    args = parser.parse_args()
    # SIGTERM ends the run through its clean-up (processes stopped, database dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if not args.lead:
        args.lead = 30 + 0.005 * args.deliveries
    result = run(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
