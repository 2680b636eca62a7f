"""Brokers a test can take down and bring back: a `redis-server` of the test's own on a spare
loopback port (never the machine's shared Redis or RabbitMQ, which other tests use), and a
closed loopback port, which is a broker that is down."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import redis

from tests.waiting import until


def free_port() -> int:
    """A loopback port nothing listens on (the kernel's pick; closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OwnRedis:
    """A redis-server process of the test's own: `start`, `stop` (the broker is down: the port
    refuses connections), `start` again on the same port (it comes back empty, as a Redis that
    keeps nothing on disk does after a restart)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=5)

    def _answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        assert self.proc is None, "already running"
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=log)
        log.close()
        until(lambda: self._answers() or self.proc is None or self.proc.poll() is not None,
              "the test's own redis-server to answer")
        assert self.proc.poll() is None, (self.workdir / "redis.log").read_text()[-2000:]

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        self.proc.wait(30)
        self.proc = None
        until(lambda: not self._answers(), "the test's own redis-server to be gone")

    def waiting(self, queue: str) -> int:
        """Messages ready in a queue (kombu keeps a Redis queue as a list of its name)."""
        with self.client() as client:
            return int(client.llen(queue))
