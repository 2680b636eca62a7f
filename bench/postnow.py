"""'Post now' against a fire-and-forget script: hubbub and Apprise, side by side, same targets.

    uv run python bench/postnow.py [--runs 7] [--first-runs 30] [--latency-ms 300]
                                   [--slow-ms 2000] [--against SRC] [--json]

What runs: `hubbub serve` as a person runs it (web server with its worker, SQLite in a
throwaway data dir), the Mastodon mock (mastodon-mock, tests/peers) with an injected latency on
every POST /api/v1/statuses (its `_mock/faults` latency effect), three accounts on it, and
Apprise (PyPI, a dev dependency) sending the same text to the same three accounts
(`mastodon://TOKEN@127.0.0.1:PORT`). A relay in front of the mock (tests/integration/
postnow_gate.py, holding nothing) notes when each publish call arrives and when its answer goes
back: "all on the server" is the last answer of the three.

Measured:
1. fast: three targets at --latency-ms each. hubbub: from the compose POST ("Post now")
   returning (the post is queued) to the third answer; Apprise: from notify() being called to
   the third answer. Medians of --runs, alternating hubbub and Apprise; the ratio of medians.
2. one slow: the third account on a second mock at --slow-ms. hubbub's time to the last
   answer minus that slow call's own time (arrival to answer at the relay): the goal is within
   100 ms.
3. click to first network request: from the compose POST being sent to the first publish call
   arriving at the relay, p50/p95 over the runs of 1 plus --first-runs more.

Before and after, in the same conditions (the machine's load drifts): `--against SRC` runs a
second `hubbub serve` from another checkout's `src` folder (e.g. `git archive OLD src | tar -x
-C /tmp/old`, then `--against /tmp/old/src`), with its own data dir and three accounts of its
own on the same mock, and alternates its posts with this one's in measure 3 (which goes first
alternating too); both are reported, with the ratios this / that.

Everything is on loopback. Goals (issue 13): fast within 1.2x Apprise; one slow within the slow
call's own time + 100 ms; first request p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.hubproc import Hub, wait_serving  # noqa: E402
from tests.integration.postnow_gate import Gate  # noqa: E402
from tests.peers.mastodon import MastodonPeer, start_mastodon_peer  # noqa: E402

PASSWORD = "a-long-enough-password"
STATUSES = ("POST", "/api/v1/statuses")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _slow(peer: MastodonPeer, ms: int) -> None:
    peer.clear_faults()
    peer.add_fault({"type": "latency", "delay_ms": ms}, methods=["POST"],
                   path="/api/v1/statuses", count=None)


class Relays:
    """One relay per mock; `since(mark)` is what arrived after a mark."""

    def __init__(self, gates: list[Gate]) -> None:
        self.gates = gates

    def mark(self) -> list[int]:
        return [len(g.calls) for g in self.gates]

    def calls(self, mark: list[int]) -> list[tuple[float, float]]:
        """(arrived, answered) of every finished publish call since `mark`."""
        out = []
        for gate, start in zip(self.gates, mark, strict=True):
            with gate.cond:
                out += gate.calls[start:]
        return out

    def wait(self, mark: list[int], count: int, guard: float = 120.0) -> list[tuple[float, float]]:
        deadline = time.monotonic() + guard
        while len(calls := self.calls(mark)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(calls)} of {count} posts reached the server")
            time.sleep(0.002)
        return calls


class HubUnderTest:
    def __init__(self, folder: Path, extra_env: dict[str, str] | None = None,
                 database_url: str = "", src: str = "") -> None:
        """`src`: another checkout's src folder to run instead of this one's (put ahead of the
        installed package on the path of every command of this hub)."""
        env = dict(extra_env or {})
        if src:
            env["PYTHONPATH"] = str(Path(src).resolve())
        folder.mkdir(parents=True, exist_ok=True)
        self.hub = Hub(folder / "data", database_url=database_url, extra_env=env)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = requests.Session()
        self.http.trust_env = False

    def setup(self, instances: list[tuple[str, str]]) -> list[str]:
        """Create the user, connect each (instance, token); returns the connection ids."""
        self.hub.run("createuser", "bench", "--password-stdin", stdin=PASSWORD + "\n")
        ids = []
        for instance, token in instances:
            made = self.hub.json("connect", "mastodon", "--user", "bench", "--instance",
                                 instance, f"--token={token}")
            ids.append(str(made["id"]))
        return ids

    def serve(self) -> None:
        hubbub = shutil.which("hubbub", path=str(Path(sys.executable).parent)) or "hubbub"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([hubbub, "serve", "--port", str(self.port)],
                                         env=self.hub.env(), stdout=out, stderr=out)
        wait_serving(f"{self.url}/accounts/login/", self.proc, self.log)
        page = self.http.get(f"{self.url}/accounts/login/", timeout=30)
        page.raise_for_status()
        done = self.http.post(f"{self.url}/accounts/login/", timeout=30, allow_redirects=False,
                              data={"username": "bench", "password": PASSWORD,
                                    "csrfmiddlewaretoken": self._csrf(page.text)},
                              headers={"Referer": f"{self.url}/accounts/login/"})
        if done.status_code != 302:
            raise SystemExit(f"login failed: {done.status_code}")
        self._form_token = self._csrf(self.http.get(f"{self.url}/", timeout=30).text)

    @staticmethod
    def _csrf(html: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not found:
            raise SystemExit("no CSRF token on the page")
        return found.group(1)

    def post_now(self, text: str, targets: list[str]) -> tuple[float, float]:
        """Press "Post now": (monotonic time sent, monotonic time the answer came back)."""
        sent = time.monotonic()
        answer = self.http.post(f"{self.url}/", allow_redirects=False, timeout=60,
                                data={"action": "now", "text": text, "targets": targets,
                                      "csrfmiddlewaretoken": self._form_token},
                                headers={"Referer": f"{self.url}/"})
        returned = time.monotonic()
        if answer.status_code not in (200, 302, 303):
            raise SystemExit(f"compose answered {answer.status_code}: {answer.text[:300]}")
        return sent, returned

    def cpu_seconds(self) -> float:
        """CPU time the serve process has used so far (user + system, from /proc)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _apprise(urls: list[str]) -> Any:
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        sender.add(url)
    return sender


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-postnow-"))
    fast_peer, slow_peer = start_mastodon_peer(), start_mastodon_peer()
    fast_gate = Gate(fast_peer.port, hold=STATUSES, meet=1)
    slow_gate = Gate(slow_peer.port, hold=STATUSES, meet=1)
    relays = Relays([fast_gate, slow_gate])
    hub = HubUnderTest(folder)
    other = HubUnderTest(folder / "against", src=args.against) if args.against else None
    try:
        _slow(fast_peer, args.latency_ms)
        _slow(slow_peer, args.slow_ms)
        fast = [fast_peer.new_account() for _ in range(3)]
        slow = slow_peer.new_account()
        ids = hub.setup([(fast_gate.base_url, a.access_token) for a in fast]
                        + [(slow_gate.base_url, slow.access_token)])
        fast_ids, slow_ids = ids[:3], ids[:2] + ids[3:]
        fast_port = fast_gate.server.server_address[1]
        slow_port = slow_gate.server.server_address[1]
        fast_urls = [f"mastodon://{a.access_token}@127.0.0.1:{fast_port}" for a in fast]
        slow_urls = [*fast_urls[:2], f"mastodon://{slow.access_token}@127.0.0.1:{slow_port}"]
        hub.serve()
        other_ids: list[str] = []
        if other is not None:
            other_ids = other.setup([(fast_gate.base_url, fast_peer.new_account().access_token)
                                     for _ in range(3)])
            other.serve()
        load_before = os.getloadavg()

        def hubbub_once(targets: list[str], which: HubUnderTest = hub) -> dict[str, float]:
            mark = relays.mark()
            sent, returned = which.post_now(f"post now {uuid.uuid4().hex[:8]}", targets)
            calls = relays.wait(mark, len(targets))
            last = max(answered for _, answered in calls)
            slowest = max(answered - arrived for arrived, answered in calls)
            first = min(arrived for arrived, _ in calls)
            return {"queued_to_all": last - returned, "click_to_first": first - sent,
                    "queued_to_first": first - returned, "post_ms": returned - sent,
                    "slowest_call": slowest}

        def apprise_once(urls: list[str]) -> dict[str, float]:
            sender = _apprise(urls)
            mark = relays.mark()
            start = time.monotonic()
            if not sender.notify(body=f"apprise {uuid.uuid4().hex[:8]}"):
                raise SystemExit("Apprise reported a failure")
            calls = relays.wait(mark, len(urls))
            last = max(answered for _, answered in calls)
            return {"all": last - start,
                    "slowest_call": max(answered - arrived for arrived, answered in calls)}

        hubbub_once(fast_ids)  # warm-up, not counted: first request of the process, imports
        apprise_once(fast_urls)
        results: dict[str, list[dict[str, float]]] = {"hub_fast": [], "apprise_fast": [],
                                                      "hub_slow": [], "apprise_slow": []}
        for _ in range(args.runs):
            results["hub_fast"].append(hubbub_once(fast_ids))
            results["apprise_fast"].append(apprise_once(fast_urls))
        for _ in range(args.runs):
            results["hub_slow"].append(hubbub_once(slow_ids))
            results["apprise_slow"].append(apprise_once(slow_urls))
        firsts = list(results["hub_fast"])
        others: list[dict[str, float]] = []
        if other is not None:
            hubbub_once(other_ids, other)  # its warm-up
        cpu_before = (hub.cpu_seconds(), other.cpu_seconds() if other else 0.0)
        for n in range(args.first_runs):
            if other is not None and n % 2:
                others.append(hubbub_once(other_ids, other))
            firsts.append(hubbub_once(fast_ids))
            if other is not None and not n % 2:
                others.append(hubbub_once(other_ids, other))
        cpu_used = (hub.cpu_seconds() - cpu_before[0],
                    other.cpu_seconds() - cpu_before[1] if other else 0.0)
        first = [r["click_to_first"] for r in firsts]
        after_return = [r["queued_to_first"] for r in firsts]
        posting = [r["post_ms"] for r in firsts]
        load_after = os.getloadavg()
    finally:
        hub.stop()
        if other is not None:
            other.stop()
        for gate in (fast_gate, slow_gate):
            gate.close()
        for peer in (fast_peer, slow_peer):
            peer.process.stop()
        shutil.rmtree(folder, ignore_errors=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    against = {}
    if others:
        theirs = [r["click_to_first"] for r in others]
        against = {"src": args.against, "runs": len(theirs),
                   "p50_ms": _ms(statistics.median(theirs)), "p95_ms": _ms(_p95(theirs)),
                   "max_ms": _ms(max(theirs)),
                   "compose_post_p50_ms": _ms(statistics.median(r["post_ms"] for r in others)),
                   # this run's own first args.first_runs, the ones alternated with these
                   "this_p50_ms": _ms(statistics.median(first[-len(theirs):])),
                   "this_p95_ms": _ms(_p95(first[-len(theirs):])),
                   # each serve's CPU over the alternated runs (idle loops included), a post
                   "this_cpu_ms_a_post": _ms(cpu_used[0] / args.first_runs),
                   "cpu_ms_a_post": _ms(cpu_used[1] / len(theirs)),
                   "p50_ratio": round(statistics.median(first[-len(theirs):])
                                      / statistics.median(theirs), 2),
                   "p95_ratio": round(_p95(first[-len(theirs):]) / _p95(theirs), 2)}
    hub_fast, apprise_fast = med("hub_fast", "queued_to_all"), med("apprise_fast", "all")
    hub_slow = med("hub_slow", "queued_to_all")
    slow_overhead = statistics.median(
        r["queued_to_all"] - r["slowest_call"] for r in results["hub_slow"])
    return {
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python "
                   f"{platform.python_version()}",
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "runs": args.runs, "latency_ms": args.latency_ms, "slow_ms": args.slow_ms,
        "fast": {"hubbub_median_ms": _ms(hub_fast), "apprise_median_ms": _ms(apprise_fast),
                 "ratio": round(hub_fast / apprise_fast, 2),
                 "hubbub_ms": [_ms(r["queued_to_all"]) for r in results["hub_fast"]],
                 "apprise_ms": [_ms(r["all"]) for r in results["apprise_fast"]],
                 "compose_post_median_ms": _ms(med("hub_fast", "post_ms"))},
        "one_slow": {"hubbub_median_ms": _ms(hub_slow),
                     "apprise_median_ms": _ms(med("apprise_slow", "all")),
                     "slow_call_median_ms": _ms(med("hub_slow", "slowest_call")),
                     "hubbub_over_slow_call_median_ms": _ms(slow_overhead),
                     "hubbub_ms": [_ms(r["queued_to_all"]) for r in results["hub_slow"]]},
        "click_to_first_request": {"runs": len(first), "p50_ms": _ms(statistics.median(first)),
                                   "p95_ms": _ms(_p95(first)), "max_ms": _ms(max(first)),
                                   "compose_post_p50_ms": _ms(statistics.median(posting)),
                                   "compose_post_p95_ms": _ms(_p95(posting)),
                                   # negative: the first request left before the page answered
                                   "queued_to_first_p50_ms": _ms(statistics.median(after_return)),
                                   "queued_to_first_p95_ms": _ms(_p95(after_return))},
        "against": against,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--first-runs", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--slow-ms", type=int, default=2000)
    parser.add_argument("--against", default="", metavar="SRC",
                        help="another checkout's src folder, alternated with this one in the "
                             "click-to-first-request runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    fast, slow, first = result["fast"], result["one_slow"], result["click_to_first_request"]
    print(f"commit {result['commit']}, {result['machine']}, load {result['load_before']} -> "
          f"{result['load_after']}")
    print(f"3 targets at {args.latency_ms} ms: hubbub {fast['hubbub_median_ms']} ms, Apprise "
          f"{fast['apprise_median_ms']} ms (median of {args.runs}): {fast['ratio']}x "
          f"(goal <= 1.2x); compose POST {fast['compose_post_median_ms']} ms")
    print(f"one target at {args.slow_ms} ms: hubbub {slow['hubbub_median_ms']} ms, the slow "
          f"call itself {slow['slow_call_median_ms']} ms: "
          f"+{slow['hubbub_over_slow_call_median_ms']} ms (goal <= 100); Apprise "
          f"{slow['apprise_median_ms']} ms")
    print(f"click to first request: p50 {first['p50_ms']} ms, p95 {first['p95_ms']} ms, max "
          f"{first['max_ms']} ms over {first['runs']} (goal p95 < 50); of which the compose "
          f"POST p50 {first['compose_post_p50_ms']} ms, p95 {first['compose_post_p95_ms']} ms")
    if result["against"]:
        them = result["against"]
        print(f"alternated with {them['src']} ({them['runs']} posts each): this p50 "
              f"{them['this_p50_ms']} ms, p95 {them['this_p95_ms']} ms; that p50 "
              f"{them['p50_ms']} ms, p95 {them['p95_ms']} ms, max {them['max_ms']} ms (its "
              f"compose POST p50 {them['compose_post_p50_ms']} ms); this / that: p50 "
              f"{them['p50_ratio']}x, p95 {them['p95_ratio']}x; serve CPU a post (idle "
              f"included) {them['this_cpu_ms_a_post']} ms against {them['cpu_ms_a_post']} ms")


if __name__ == "__main__":
    main()
