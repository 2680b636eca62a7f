"""Run one test peer server (Bluesky network, Nostr relay) as its own process group.

- Its output goes to a log file in a private work folder (no pipe to fill up); its TMPDIR is a
  folder inside it; the whole folder is wiped on stop.
- Stop: SIGTERM to the whole group, SIGKILL to the group after a grace period, so nothing the
  server started is left behind. The server also gets SIGKILL if the test process dies first
  (PR_SET_PDEATHSIG), so a killed pytest leaves no server running either.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class PeerStartError(RuntimeError):
    pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_workdirs(name: str, max_age: float = 86400.0) -> None:
    """Remove work folders left by a test run that was killed before it could wipe them: their
    server is gone (or they never got one and are older than `max_age`)."""
    for folder in Path(tempfile.gettempdir()).glob(f"hubbub-peer-{name}-*"):
        pid_file = folder / "server.pid"
        try:
            if pid_file.exists():
                stale = not _pid_alive(int(pid_file.read_text().strip() or 0))
            else:
                stale = time.time() - folder.stat().st_mtime > max_age
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


class GroupProcess:
    """A server process in its own session/process group, with a wiped work folder."""

    def __init__(self, name: str) -> None:
        self.name = name
        sweep_stale_workdirs(name)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"hubbub-peer-{name}-"))
        self.tmpdir = self.workdir / "tmp"
        self.tmpdir.mkdir()
        self.log_path = self.workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> None:
        full_env = {**os.environ, **env, "TMPDIR": str(self.tmpdir)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd or self.workdir,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        (self.workdir / "server.pid").write_text(f"{self.process.pid}\n")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `check` until it is true; fail early if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return
            if not self.alive():
                code = self.process.returncode if self.process else None
                raise PeerStartError(
                    f"{self.name} exited (code {code}) before {what}; log:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise PeerStartError(
                    f"{self.name}: no {what} after {timeout:.0f} s; log:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, grace: float = 10.0, wipe: bool = True) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds, reap, wipe the work folder."""
        proc = self.process
        if proc is not None:
            pgid = proc.pid  # start_new_session: the group id is the leader's pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
            # Whatever is left in the group (the leader, or anything it spawned) goes now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            self.process = None
        if wipe:
            shutil.rmtree(self.workdir, ignore_errors=True)


def run_install(script: Path, env: Mapping[str, str] | None = None, timeout: float = 1200) -> None:
    """Run one of peers/*/install.sh (idempotent, locked); raise with its output on failure."""
    done = subprocess.run(
        ["bash", str(script)],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise PeerStartError(
            f"{script} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
