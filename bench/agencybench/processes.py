"""The agency bench's processes and measures: the workers it starts and kills, a web node's
page probe, and the CPU each process (and the broker) used, read from /proc."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from tests.integration.hubproc import Hub


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def _pids(name: str) -> list[int]:
    """Processes whose command is `name` (the broker's CPU is read from them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


BROKER_PROCESS = {"redis": "redis-server", "amqp": "beam.smp"}


def _listener(port: int) -> list[int]:
    """The processes whose command line names `--port <port>` (a peer server: its CPU is
    read as the broker's is)."""
    found = []
    wanted = ["--port", str(port)]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if any(argv[n:n + 2] == wanted for n in range(len(argv) - 1)):
                found.append(int(entry.name))
    return found


class Workers:
    """`hubbub worker` processes; each one's CPU is read before it stops or is killed."""

    def __init__(self, hub: Hub, folder: Path, name: str, concurrency: int = 1) -> None:
        self.hub, self.folder, self.name = hub, folder, name
        self.concurrency = concurrency
        self.procs: list[subprocess.Popen[bytes]] = []
        self.cpu = 0.0
        self.started = 0

    def start(self, count: int) -> None:
        for _ in range(count):
            log = self.folder / f"{self.name}-worker-{self.started}.log"
            self.started += 1
            self.procs.append(self.hub.popen("worker", "--no-migrate", "--concurrency",
                                             str(self.concurrency), log=log))

    def kill_one(self, rng: random.Random) -> None:
        proc = self.procs.pop(rng.randrange(len(self.procs)))
        self.cpu += _cpu(proc.pid)
        proc.kill()
        proc.wait()

    def stop(self) -> None:
        for proc in self.procs:
            self.cpu += _cpu(proc.pid)
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []


class WebProbe:
    """Fetches a page of the web nodes in turn every 0.5 s; the answer times."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.times: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        http = requests.Session()
        http.trust_env = False
        n = 0
        while not self._stop.wait(0.5):
            url = self.urls[n % len(self.urls)]
            n += 1
            began = time.monotonic()
            try:
                ok = http.get(url, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                self.times.append(time.monotonic() - began)
            else:
                self.errors += 1

    @contextmanager
    def running(self) -> Iterator[WebProbe]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def summary(self) -> dict[str, Any]:
        if not self.times:
            return {"pages": 0, "errors": self.errors}
        return {"pages": len(self.times), "errors": self.errors,
                "p50_ms": round(statistics.median(self.times) * 1000, 1),
                "p95_ms": round(_pct(self.times, 0.95) * 1000, 1)}
