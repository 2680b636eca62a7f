"""Run a peer server as a child process on loopback: a free port, a private TMPDIR that is wiped
afterwards, a readiness poll, and a stop that escalates from SIGTERM to SIGKILL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        self.workdir = Path(tempfile.mkdtemp(prefix=f"hubbub-peer-{name}-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def start(self) -> None:
        tmp = self.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(tmp), **self.extra_env}
        for attempt in range(3):
            self.port = free_port()
            if self.before_start is not None:
                self.before_start(self)
            argv = [a.format(port=self.port, workdir=self.workdir) for a in self.argv]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                    start_new_session=True,
                )
            if self._wait_ready():
                return
            self.stop(wipe=False)
            if attempt == 2:
                break
        raise RuntimeError(f"{self.name} did not start; log:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        url = self.base_url + self.ready_path
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
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
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            # Its own session: signal the whole group (uvicorn may have children).
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=self.grace_period)
            except subprocess.TimeoutExpired:
                # mastodon_mock ignores SIGTERM once a WebSocket client has connected.
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        if wipe:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
