"""Run an HTTP peer server (the Mastodon mock) on a free loopback port until it answers.

The process itself — own process group, private TMPDIR and log in a wiped work folder, SIGTERM
then SIGKILL to the whole group, death with the test process — is `procgroup.GroupProcess`, the
same launcher the Bluesky network and the Nostr relay use. This adds what a single-port HTTP
server needs: pick a port, let a hook write a config naming it, poll a URL until it answers, and
try again on another port if the first was taken in between.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tests.peers.procgroup import GroupProcess, free_ports

START_ATTEMPTS = 3


def free_port() -> int:
    return free_ports(1)[0]


class PeerProcess:
    """One server process. `argv` may use {port} and {workdir}; its TMPDIR is inside workdir."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready_path: str = "/",
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
        grace_period: float = 3.0,
        before_start: Callable[[PeerProcess], None] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready_path = ready_path
        self.extra_env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.grace_period = grace_period
        self.before_start = before_start  # e.g. write a config file naming the port
        self.group = GroupProcess(name)
        self.port = 0

    @property
    def workdir(self) -> Path:
        return self.group.workdir

    @property
    def log_path(self) -> Path:
        return self.group.log_path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            if self.before_start is not None:
                self.before_start(self)
            argv = [a.format(port=self.port, workdir=self.workdir) for a in self.argv]
            self.group.start(argv, self.extra_env)
            if self._wait_ready():
                return
            self.group.stop(grace=self.grace_period, wipe=False)
        raise RuntimeError(f"{self.name} did not start; log:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        url = self.base_url + self.ready_path
        while time.monotonic() < deadline:
            if not self.group.alive():
                return False
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status < 500:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return False

    def stop(self, *, wipe: bool = True) -> None:
        # The mock ignores SIGTERM once a WebSocket client has connected: the group gets
        # SIGKILL after the grace period.
        self.group.stop(grace=self.grace_period, wipe=wipe)

    def log_tail(self, lines: int = 40) -> str:
        return self.group.log_tail(lines)
