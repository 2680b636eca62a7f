"""Scheduled posts: how late each reaches the network, many due in the same minute.

    uv run python bench/lateness.py [--posts 1000] [--accounts 20] [--lead 60]
                                    [--database sqlite|postgres] [--json]

What runs: `hubbub serve` as a person runs it (default settings; SQLite in its data dir, or
with --database postgres a fresh database on the local PostgreSQL, 127.0.0.1:5432, made and
dropped as the crash test does), the Mastodon mock
(tests/peers) with --accounts accounts behind a relay that notes when each publish call
arrives and its text (tests/integration/postnow_gate.py, holding nothing). A `manage shell`
process schedules --posts posts, one target each (accounts in turn), due evenly over one minute
starting --lead seconds after it starts writing them. Lateness of a post: the wall-clock time
its publish call reached the relay minus its due time. Goal (issue 13): p99 under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postnow import HubUnderTest  # noqa: E402
from tests.integration.crash_support import database  # noqa: E402
from tests.integration.postnow_gate import Gate  # noqa: E402
from tests.peers.mastodon import start_mastodon_peer  # noqa: E402

SCHEDULE = """\
import time
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from hubbub.connections.models import Connection
from hubbub.publishing.services import create_post
u = User.objects.get(username="bench")
cs = list(Connection.objects.filter(user=u).order_by("pk"))
began = time.time()
start = timezone.now() + timedelta(seconds={lead})
for i in range({posts}):
    due = start + timedelta(seconds=60 * i / {posts})
    create_post(user=u, text=f"late-{{i}}-{{due.timestamp():.6f}}-", connections=[cs[i % len(cs)]],
                scheduled_for=due)
print(time.time() - began)
"""
TEXT = re.compile(rb"late-(\d+)-(\d+\.\d+)-")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    with database(args.database) as url:
        return _run(args, url)


def _run(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-lateness-"))
    peer = start_mastodon_peer()
    gate = Gate(peer.port, hold=("POST", "/api/v1/statuses"), meet=1)
    hub = HubUnderTest(folder, dict(pair.split("=", 1) for pair in args.hub_env),
                       database_url=database_url)
    # The relay notes monotonic times; due times are wall-clock.
    wall = time.time() - time.monotonic()
    try:
        accounts = [peer.new_account() for _ in range(args.accounts)]
        hub.setup([(gate.base_url, a.access_token) for a in accounts])
        hub.serve()
        load_before = [round(x, 2) for x in os.getloadavg()]
        made = hub.hub.run("manage", "shell", "--no-imports", "-c",
                           SCHEDULE.format(lead=args.lead, posts=args.posts), timeout=600)
        writing = float(made.stdout.strip().splitlines()[-1])
        guard = time.monotonic() + args.lead + 60 + 600
        while len(gate.bodies) < args.posts:
            if time.monotonic() > guard:
                raise SystemExit(f"only {len(gate.bodies)} of {args.posts} posts arrived")
            time.sleep(0.5)
        with gate.cond:
            bodies = list(gate.bodies)
        load_after = [round(x, 2) for x in os.getloadavg()]
    finally:
        hub.stop()
        gate.close()
        peer.process.stop()
        shutil.rmtree(folder, ignore_errors=True)
    late: dict[int, float] = {}
    for arrived, body in bodies:
        found = TEXT.search(unquote_plus(body.decode("latin-1")).encode("latin-1"))
        if found is None:
            raise SystemExit(f"a publish call without a bench text: {body[:200]!r}")
        index, due = int(found.group(1)), float(found.group(2))
        late.setdefault(index, arrived + wall - due)  # a retry's call is not the first
    values = list(late.values())
    return {
        "posts": args.posts, "accounts": args.accounts, "hub_env": args.hub_env,
        "database": args.database, "load_before": load_before, "load_after": load_after,
        "writing_seconds": round(writing, 1),
        "calls": len(bodies), "posts_seen": len(late),
        "lateness_ms": {"p50": round(statistics.median(values) * 1000, 1),
                        "p95": round(_pct(values, 0.95) * 1000, 1),
                        "p99": round(_pct(values, 0.99) * 1000, 1),
                        "max": round(max(values) * 1000, 1),
                        "early": sum(v < 0 for v in values)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--lead", type=float, default=60.0)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--hub-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the hub, e.g. HUBBUB_SEND_PER_NETWORK=8")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else
          f"{result['database']}, load {result['load_before']} -> {result['load_after']}: "
          f"{result['posts']} posts over a minute to {result['accounts']} accounts (written in "
          f"{result['writing_seconds']} s): lateness p50 {result['lateness_ms']['p50']} ms, "
          f"p95 {result['lateness_ms']['p95']}, p99 {result['lateness_ms']['p99']} (goal < 1000),"
          f" max {result['lateness_ms']['max']}; {result['lateness_ms']['early']} early")


if __name__ == "__main__":
    main()
