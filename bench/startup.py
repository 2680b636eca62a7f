"""Start-up and idle memory of `hubbub serve` on an existing data dir (issue 13).

    uv run python bench/startup.py                       # this checkout only
    uv run python bench/startup.py --base HEAD~3         # and an older commit, in the same run

1. A data dir is filled once, in a child process (deck.py's generator and ingest,
   deckbench/): `--connections` accounts of mastodon, bluesky and nostr, `--items` items, a
   deck of one home column per account (up to `--columns`) and a merged column, a user with a
   known password and a signed-in session.
2. `hubbub serve --port P` is started `--runs` times for each way of starting it (round-robin,
   so the machine's load drifts over all of them alike), and the bench times from just before
   it starts the process to the first complete answer (200) to one request, retried every
   5 ms while the port refuses: the login page in half the starts, the deck page with the
   session's cookie (an authenticated page with every column rendered) in the other half.
   Also the CPU time the process tree spent until then (utime + stime from /proc). Ways:
   `uv run hubbub serve` (uv checks the environment, then runs the entry point), the installed
   entry point `.venv/bin/hubbub serve`, and `python -m hubbub.cli serve`, each with Python's
   bytecode caches (written by an untimed first start, under a PYTHONPYCACHEPREFIX of the
   bench's own); and `python -m hubbub.cli serve` with PYTHONDONTWRITEBYTECODE=1 and no cache,
   where every module is compiled at each start (machines that set it, such as this one and
   many container images: uv installs no .pyc files unless told to). The code served is a copy
   of this checkout's src/ taken when the bench starts (edits during the run change nothing),
   first on PYTHONPATH; with `--base REF`, the same two `python -m` ways from a git worktree of
   REF (made in a temporary folder, removed after), on the same data dir and interpreter.
3. Memory: for each `python -m` way, `--rss-runs` starts each: log in
   through the form (Argon2 hashes the password, as for a person), open the deck, the CSS and
   JavaScript it names, and its live stream (/deck/events/, held open), then `--idle` seconds
   idle. VmRSS of the process tree each second and at the end, and VmHWM (the peak) of each
   process, from /proc.

Every server runs with HUBBUB_READ_NETWORKS=0 (the accounts are made up, nothing is polled or
streamed from a network); its worker and scheduler run as in `hubbub serve`. Prints Markdown
for docs/benchmarks.md; `--json FILE` writes the raw numbers. Never a timed unit test.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from deckbench.machine import load_average, log, machine

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-startup-password-1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the data dir ---------------------------------------------------------------------------------
def seed(data_dir: Path, args: argparse.Namespace) -> None:
    """Runs in a child process (Django set up on `data_dir`): the store, the deck, the user."""
    import random
    from datetime import UTC, datetime, timedelta

    import django

    django.setup()
    from deckbench.data import Generator
    from deckbench.ingest import make_accounts, run_ingest
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.timeline import services

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    gen = Generator(rng, datetime.now(UTC) - timedelta(days=args.days, hours=1), args.days)
    user, accounts = make_accounts(args.connections, rng, gen)
    user.set_password(PASSWORD)
    user.save()
    stats = run_ingest(accounts, args, gen)
    deck = services.create_deck(user, "Everything")
    connections = list(Connection.objects.filter(pk__in=[a.pk for a in accounts]).order_by("pk"))
    columns = [services.add_column(deck, connections=[c], kind="home")
               for c in connections[:max(args.columns - 1, 1)]]
    columns.append(services.add_column(deck, connections=connections[:5], kind="home",
                                       title="Home everywhere"))
    for column in columns:
        services.mark_read(column, timezone.now())
    client = Client()
    client.force_login(user)
    (data_dir / "bench.json").write_text(json.dumps({
        "username": user.username, "deck": deck.pk, "columns": len(columns),
        "session": client.cookies["sessionid"].value, "items": stats.new,
        "connections": len(connections)}))


def make_store(data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--seed-into", str(data_dir), "--items", str(args.items),
            "--connections", str(args.connections), "--columns", str(args.columns),
            "--days", str(args.days), "--seed", str(args.seed)]
    subprocess.run(argv, env=server_env(data_dir, ROOT / "src"), check=True)
    facts: dict[str, Any] = json.loads((data_dir / "bench.json").read_text())
    facts["db_mib"] = sum(p.stat().st_size for p in data_dir.glob("hubbub.sqlite3*")) / 2**20
    return facts


def server_env(data_dir: Path, src: Path, bytecode: bool = True) -> dict[str, str]:
    """The server's environment; with `bytecode`, Python's caches of compiled modules are
    written and read under the data dir's sibling `pycache` (PYTHONPYCACHEPREFIX: nothing is
    written into the checkout or the venv), else none is (PYTHONDONTWRITEBYTECODE=1, as on
    machines that set it, where uv's installs carry no .pyc files either)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HUBBUB_", "DJANGO_"))
           and k not in ("DATABASE_URL", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE",
                         "PYTHONPYCACHEPREFIX")}
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(data_dir.parent / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(HUBBUB_DATA_DIR=str(data_dir), HUBBUB_READ_NETWORKS="0",
               HUBBUB_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="hubbub.settings",
               PYTHONPATH=os.pathsep.join([str(src), str(Path(__file__).parent)]))
    return env


# --- the ways of starting it ----------------------------------------------------------------------
@dataclass
class Way:
    name: str
    argv: list[str]  # before "serve --port P"
    src: Path
    bytecode: bool = True  # False: PYTHONDONTWRITEBYTECODE=1, every module compiled each start
    cwd: Path = ROOT


def ways(current_src: Path, base_src: Path | None, base_name: str) -> list[Way]:
    python = sys.executable
    module = [python, "-m", "hubbub.cli"]
    found = [
        Way("uv run hubbub serve", ["uv", "run", "--frozen", "hubbub"], current_src),
        Way(".venv/bin/hubbub serve", [str(Path(python).with_name("hubbub"))], current_src),
        Way("python -m hubbub.cli serve", module, current_src),
        Way("python -m hubbub.cli serve, no bytecode cache", module, current_src, False),
    ]
    if base_src is not None:
        found += [Way(f"python -m hubbub.cli serve, {base_name}", module, base_src),
                  Way(f"python -m hubbub.cli serve, {base_name}, no bytecode cache", module,
                      base_src, False)]
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(way: Way, data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, float]]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([*way.argv, "serve", "--port", str(port)], cwd=way.cwd,
                            env=server_env(data_dir, way.src, way.bytecode),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        yield proc, port, started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr is not None:
            errors = proc.stderr.read().decode(errors="replace")
            if "Traceback" in errors:
                log(f"{way.name}: the server wrote a traceback:\n{errors[-3000:]}")
            proc.stderr.close()


def first_answer(proc: subprocess.Popen[bytes], port: int, path: str,
                 headers: dict[str, str]) -> float:
    """perf_counter when `path` first answered 200 (retried while the port refuses)."""
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}) before answering")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"GET {path}: {response.status}")
            return time.perf_counter()
        except ConnectionRefusedError:
            time.sleep(0.005)
        finally:
            conn.close()


def tree(pid: int) -> list[int]:
    """pid and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def memory(pids: Sequence[int]) -> tuple[float, float]:
    """(sum of VmRSS, sum of VmHWM) in MiB over the processes."""
    rss = hwm = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm += int(line.split()[1])
    return rss / 1024, hwm / 1024


@dataclass
class Start:
    way: str
    target: str
    seconds: float
    cpu: float
    load: float


def time_starts(all_ways: Sequence[Way], data_dir: Path, facts: dict[str, Any],
                runs: int) -> list[Start]:
    targets = {"login page": ("/accounts/login/", {}),
               "deck page": (f"/deck/{facts['deck']}/",
                             {"Cookie": f"sessionid={facts['session']}"})}
    for way in all_ways:  # untimed: bytecode caches written, files in the page cache
        with serving(way, data_dir) as (proc, port, _started):
            first_answer(proc, port, "/accounts/login/", {})
    results = []
    for run in range(runs):
        for target, (path, headers) in targets.items():
            for way in all_ways if run % 2 == 0 else list(reversed(all_ways)):
                load = load_average()
                with serving(way, data_dir) as (proc, port, started):
                    answered = first_answer(proc, port, path, headers)
                    cpu = cpu_seconds(tree(proc.pid))
                results.append(Start(way.name, target, answered - started, cpu, load))
                log(f"{way.name:<45} {target:<10} {answered - started:6.3f} s, "
                    f"CPU {cpu:5.2f} s, load {load:.1f}")
    return results


# --- memory with a deck open ----------------------------------------------------------------------
def request(port: int, method: str, path: str, cookies: dict[str, str],
            body: str | None = None) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())
    finally:
        conn.close()


def open_live_stream(port: int, path: str, cookies: dict[str, str]) -> socket.socket:
    """The deck's live stream, held open (its heartbeats stay unread in the socket's buffer)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"connected" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit(f"the live stream closed: {head[:300]!r}")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"the live stream answered {head[:300]!r}")
    return sock


@dataclass
class Idle:
    way: str
    rss_end: float
    rss_max: float
    hwm: float
    processes: int
    load: float
    samples: list[float] = field(default_factory=list)


def measure_idle(way: Way, data_dir: Path, facts: dict[str, Any], idle: float) -> Idle:
    with serving(way, data_dir) as (proc, port, _started):
        first_answer(proc, port, "/accounts/login/", {})
        cookies: dict[str, str] = {}
        _status, page, _h = request(port, "GET", "/accounts/login/", cookies)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the login page")
        form = (f"csrfmiddlewaretoken={token.group(1)}&username={facts['username']}"
                f"&password={PASSWORD}")
        status, _text, headers = request(port, "POST", "/accounts/login/", cookies, form)
        if status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"logging in answered {status} {headers}")
        status, deck, _h = request(port, "GET", f"/deck/{facts['deck']}/", cookies)
        if status != 200 or deck.count('class="column') < 2:
            raise SystemExit(f"the deck answered {status}")
        for asset in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', deck))):
            request(port, "GET", asset, cookies)
        live = open_live_stream(port, f"/deck/events/?deck={facts['deck']}", cookies)
        samples = []
        load = load_average()
        for _ in range(int(idle)):
            time.sleep(1)
            samples.append(memory(tree(proc.pid))[0])
        pids = tree(proc.pid)
        rss, hwm = memory(pids)
        live.close()
    log(f"{way.name:<45} idle RSS {rss:6.1f} MiB (max {max(samples):.1f}), "
        f"peak {hwm:.1f} MiB, {len(pids)} processes")
    return Idle(way.name, rss, max(samples), hwm, len(pids), load, samples)


# --- report ---------------------------------------------------------------------------------------
def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def markdown(result: dict[str, Any]) -> str:
    m, f = result["machine"], result["store"]
    lines = [
        f"Commit {result['commit']}, {m.get('cpu', '')}, {m.get('nproc', '')} cores; "
        f"{f['items']:,} items, {f['connections']} accounts, a deck of {f['columns']} columns, "
        f"database {f['db_mib']:.0f} MiB; load average during the starts "
        f"{result['load_min']:.1f}-{result['load_max']:.1f}.", "",
        "| way of starting | first answer | seconds, median (min-max) | CPU s of the process "
        "tree | n |", "|---|---|---|---|---|"]
    starts = [Start(**s) for s in result["starts"]]
    for way in dict.fromkeys(s.way for s in starts):
        for target in ("login page", "deck page"):
            mine = [s for s in starts if s.way == way and s.target == target]
            lines.append(f"| {way} | {target} | {spread([s.seconds for s in mine])} | "
                         f"{spread([s.cpu for s in mine])} | {len(mine)} |")
    if result["idle"]:
        lines += ["", f"| way of starting | VmRSS after {result['idle_seconds']:.0f} s idle, "
                      "MiB, median (min-max) | highest VmRSS while idle | VmHWM (peak) | "
                      "processes | n |", "|---|---|---|---|---|---|"]
        idles = [Idle(**i) for i in result["idle"]]
        for way in dict.fromkeys(i.way for i in idles):
            held = [i for i in idles if i.way == way]
            lines.append(f"| {way} | {spread([i.rss_end for i in held])} | "
                         f"{spread([i.rss_max for i in held])} | {spread([i.hwm for i in held])}"
                         f" | {held[0].processes} | {len(held)} |")
    return "\n".join(lines)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--columns", type=int, default=6,
                        help="columns of the deck (one home column per account, the last a "
                             "merged column of five accounts)")
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--runs", type=int, default=8,
                        help="timed starts per way (half to the login page, half to the deck)")
    parser.add_argument("--rss-runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds idle with the deck open")
    parser.add_argument("--base", default=None, help="also start this git commit (a worktree)")
    parser.add_argument("--only", choices=("python", "all"), default="all",
                        help="python: only `python -m hubbub.cli serve` (and the base)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--seed-into", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # What deckbench's ingest reads.
    args.batch_min, args.batch_max, args.overlap = 40, 100, 5
    if args.connections < 5:
        parser.error("--connections must be at least 5 (the merged column)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.seed_into is not None:
        seed(args.seed_into, args)
        return 0
    work = Path(tempfile.mkdtemp(prefix="hubbub-startup-"))
    base_src: Path | None = None
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))  # still cleans up
    try:
        if args.base:
            worktree = work / "base"
            git("worktree", "add", "--detach", str(worktree), args.base)
            base_src = worktree / "src"
        dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", "src") else ""
        commit = git("rev-parse", "--short", "HEAD") + dirty  # what the copy below was taken at
        current_src = work / "src"
        shutil.copytree(ROOT / "src", current_src,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        data_dir = work / "data"
        data_dir.mkdir()
        log(f"filling {data_dir}: {args.items:,} items, {args.connections} accounts")
        facts = make_store(data_dir, args)
        all_ways = ways(current_src, base_src, f"base {args.base}")
        if args.only == "python":
            all_ways = [w for w in all_ways if w.argv[1:2] == ["-m"]]
        loads = [load_average()]
        starts = time_starts(all_ways, data_dir, facts, args.runs // 2)
        loads.append(load_average())
        idles = []
        for _ in range(args.rss_runs):
            for way in (w for w in all_ways if w.argv[1:2] == ["-m"]):
                idles.append(measure_idle(way, data_dir, facts, args.idle))
        loads += [i.load for i in idles] + [s.load for s in starts]
        result = {
            "machine": machine(), "commit": commit,
            "base": args.base, "store": facts, "load_min": min(loads), "load_max": max(loads),
            "starts": [vars(s) for s in starts], "idle": [vars(i) for i in idles],
            "idle_seconds": args.idle,
        }
        print(markdown(result))
        if args.json is not None:
            args.json.write_text(json.dumps(result, indent=2, default=str))
        return 0
    finally:
        if base_src is not None:
            git("worktree", "remove", "--force", str(base_src.parent))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
