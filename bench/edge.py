"""The hub's edge under hostile requests: oversized and slow bodies, slow heads.

    uv run python bench/edge.py                 # against a fresh `hubbub serve --web-only`
    uv run python bench/edge.py --megabytes 200

Starts `hubbub serve --web-only` on a free loopback port with a throwaway data dir (TMPDIR
inside it, so the bodies Django spools can be found through /proc), then measures:

- chunked: a chunked body of --megabytes to /accounts/login/: what the client got out before
  the answer, the answer, the seconds it took, and the largest temp file the hub held meanwhile;
- announced: a Content-Length of --megabytes: the answer and its seconds (no body is sent);
- slow head / slow body: a head or body left unfinished, with HUBBUB_HEADER_TIMEOUT_SECONDS and
  HUBBUB_BODY_TIMEOUT_SECONDS at 2: seconds until the hub closes the connection;
- beside attackers: GET /accounts/login/ latency (p50, p95) alone, while twenty clients hold
  unfinished heads, and while four more keep sending chunked bodies as fast as they can.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

MB = 1024 * 1024


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _largest_temp(pid: int, tmp: Path) -> int:
    largest = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if str(fd.readlink()).startswith(str(tmp)):
                largest = max(largest, fd.stat().st_size)
        except OSError:
            continue
    return largest


def _answer(sock: socket.socket) -> str:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data.split(b"\r\n", 1)[0].decode() or "(closed, no answer)"


def chunked(port: int, pid: int, tmp: Path, megabytes: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    start = time.perf_counter()
    sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    piece = b"a" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = largest = 0
    while sent < megabytes * MB and not select.select([sock], [], [], 0)[0]:
        try:
            sock.sendall(chunk)
        except OSError:
            break
        sent += len(piece)
        if sent % MB == 0:
            largest = max(largest, _largest_temp(pid, tmp))
    answer = _answer(sock)
    print(f"chunked {megabytes} MB: {answer!r} after {sent / MB:.2f} MB sent, "
          f"{time.perf_counter() - start:.2f} s; largest temp file {largest / MB:.2f} MB")


def announced(port: int, megabytes: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    start = time.perf_counter()
    sock.sendall(f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Content-Length: {megabytes * MB}\r\n\r\n".encode())
    answer = _answer(sock)
    print(f"announced {megabytes} MB: {answer!r} in {time.perf_counter() - start:.3f} s")


def slow(port: int, what: str, data: bytes) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    start = time.perf_counter()
    sock.sendall(data)
    answer = _answer(sock)
    print(f"slow {what}: {answer!r}, closed after {time.perf_counter() - start:.2f} s")


def latency(url: str, n: int = 200) -> tuple[float, float]:
    session = requests.Session()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        session.get(f"{url}/accounts/login/", timeout=60)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubbub-edge-") as folder:
        tmp = Path(folder) / "tmp"
        tmp.mkdir()
        port = _port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBBUB_", "DJANGO_"))}
        env.update(HUBBUB_DATA_DIR=str(Path(folder) / "data"), TMPDIR=str(tmp),
                   HUBBUB_HEADER_TIMEOUT_SECONDS="2", HUBBUB_BODY_TIMEOUT_SECONDS="2",
                   HUBBUB_LOG_LEVEL="WARNING")
        proc = subprocess.Popen([sys.executable, "-m", "hubbub.cli", "serve", "--web-only",
                                 "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    requests.get(f"{url}/accounts/login/", timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            chunked(port, proc.pid, tmp, args.megabytes)
            announced(port, args.megabytes)
            slow(port, "head", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow(port, "body", b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Length: 100\r\n\r\nusername=")
            alone = latency(url)
            # The attackers run in their own processes, so the client's GIL is not measured.
            stop = multiprocessing.Event()
            attackers = [multiprocessing.Process(target=attack, args=(port, stop), daemon=True)
                         for _ in range(4)]
            holders = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
            for sock in holders:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 1")
            heads = latency(url)
            for attacker in attackers:
                attacker.start()
            beside = latency(url)
            stop.set()
            for attacker in attackers:
                attacker.join(10)
            print(f"GET /accounts/login/ p50/p95: alone {alone[0]:.1f}/{alone[1]:.1f} ms; "
                  f"beside 20 slow heads {heads[0]:.1f}/{heads[1]:.1f} ms; and 4 attackers "
                  f"sending chunked bodies as fast as loopback takes them (on the same 2 "
                  f"cores) {beside[0]:.1f}/{beside[1]:.1f} ms")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


def attack(port: int, stop: Any) -> None:
    """An attacker: chunked bodies, one after another, each until the hub answers or drops it."""
    piece = b"a" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    while not stop.is_set():
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            while not stop.is_set() and not select.select([sock], [], [], 0)[0]:
                try:
                    sock.sendall(chunk)
                except OSError:
                    break


if __name__ == "__main__":
    sys.exit(main())
