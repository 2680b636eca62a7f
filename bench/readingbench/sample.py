"""Once a second: CPU seconds, RSS and threads of the hub's processes, and the database's open
connections (pg_stat_activity)."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(pid: int) -> dict[str, int]:
    out = {"rss_mb": 0, "threads": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) // 1024
            elif line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
    except OSError:
        pass
    return out


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, int], database_url: str) -> None:
        super().__init__(daemon=True)
        self.pids, self.url = pids, database_url
        self.peak: dict[str, dict[str, int]] = {name: {"rss_mb": 0, "threads": 0}
                                                for name in pids}
        self.db_peak = 0
        self.db_counts: list[int] = []
        self.held: dict[str, list[int]] = {name: [] for name in pids}  # PostgreSQL sockets
        self.db_name = database_url.rsplit("/", 1)[-1]
        self._stop = threading.Event()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self.join()
        mean = sum(self.db_counts) / len(self.db_counts) if self.db_counts else 0.0
        return {"peak": self.peak, "db_connections_peak": self.db_peak,
                "db_connections_mean": round(mean, 1),
                "db_held": {name: {"mean": round(sum(v) / len(v), 1) if v else 0,
                                   "max": max(v, default=0)}
                            for name, v in self.held.items()}}

    def _held(self) -> None:
        """PostgreSQL connections (sockets to :5432) each process holds, from `ss`."""
        try:
            out = subprocess.run(["ss", "-tnpH", "dport", "= :5432"], capture_output=True,
                                 text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return
        by_pid = Counter(int(m) for m in re.findall(r"pid=(\d+),", out))
        for name, pid in self.pids.items():
            self.held[name].append(by_pid.get(pid, 0))

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(1.0):
                for name, pid in self.pids.items():
                    now = status(pid)
                    for key, value in now.items():
                        self.peak[name][key] = max(self.peak[name][key], value)
                (count,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname=%s",
                                        (self.db_name,)).fetchone() or (0,)
                self.db_peak = max(self.db_peak, int(count))
                self.db_counts.append(int(count))
                self._held()
