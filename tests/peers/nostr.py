"""The Nostr test peer: nostr-relay (PyPI, pinned in peers/nostr/requirements.txt) in its own
venv, on a free loopback port with its SQLite in a temp folder that is wiped on stop. Plus
helpers to make keys, sign events, publish and query, so tests can seed the relay and check what
landed without going through the code under test.

    uv run python -m tests.peers.nostr     # install if needed, start, print the URL, wait

The project's venv has no websocket client nor secp256k1 library (yet), so the helpers run
peers/nostr/client.py with the relay venv's Python (websockets + coincurve) in a subprocess.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tests.peers.procgroup import GroupProcess, PeerStartError, free_ports, run_install

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = REPO_ROOT / "peers" / "nostr"


def peers_home() -> Path:
    return Path(os.environ.get("HUBBUB_PEERS_HOME") or REPO_ROOT / ".peers").resolve()


def venv_dir() -> Path:
    return peers_home() / "nostr-relay"


def ensure_installed() -> None:
    """nostr-relay in its own venv (seconds the first time, instant afterwards)."""
    env = {}
    if sys.version_info[:2] == (3, 13):
        # The interpreter running the tests is a fine base for the relay's venv.
        env["HUBBUB_PEERS_PYTHON"] = getattr(sys, "_base_executable", sys.executable)
    run_install(PEER_DIR / "install.sh", env)


@dataclass(frozen=True)
class NostrKeys:
    sk: str  # hex secret key
    pk: str  # hex x-only public key (the event's "pubkey")


@dataclass(frozen=True)
class NostrOk:
    ok: bool
    message: str


class NostrPeer:
    def __init__(self, proc: GroupProcess, port: int) -> None:
        self.proc = proc
        self.port = port
        self.url = f"ws://127.0.0.1:{port}"
        self.http_url = f"http://127.0.0.1:{port}"

    def _client(self, *args: str, doc: Any, timeout: float = 20.0) -> Any:
        done = subprocess.run(
            [str(venv_dir() / "bin" / "python"), str(PEER_DIR / "client.py"), *args],
            input=json.dumps(doc),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"nostr client {args[0]} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout)

    def keygen(self) -> NostrKeys:
        out = self._client("keygen", doc={})
        return NostrKeys(sk=out["sk"], pk=out["pk"])

    def sign(
        self,
        keys: NostrKeys | str,
        content: str,
        *,
        kind: int = 1,
        tags: list[list[str]] | None = None,
        created_at: int | None = None,
    ) -> dict[str, Any]:
        """A signed NIP-01 event (BIP-340 Schnorr over secp256k1, by coincurve)."""
        sk = keys.sk if isinstance(keys, NostrKeys) else keys
        template = {"kind": kind, "content": content, "tags": tags or []}
        if created_at is not None:
            template["created_at"] = created_at
        event: dict[str, Any] = self._client("sign", doc={"sk": sk, "event": template})
        return event

    def publish(self, event: dict[str, Any], timeout: float = 10.0) -> NostrOk:
        """Send ["EVENT", event]; return the relay's OK. Note nostr-relay 1.14 answers a resend
        with ok=False, "duplicate: exists", and a rejected event after a 2 s throttle."""
        out = self._client("publish", self.url, str(timeout), doc=event, timeout=timeout + 10)
        return NostrOk(ok=bool(out["ok"]), message=str(out["message"]))

    def query(
        self, filters: dict[str, Any] | list[dict[str, Any]], timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """["REQ", sub, *filters] -> the stored events, up to EOSE."""
        events: list[dict[str, Any]] = self._client(
            "query", self.url, str(timeout), doc=filters, timeout=timeout + 10
        )
        return events

    def close(self) -> None:
        self.proc.stop(grace=5.0)


def _render_config(proc: GroupProcess, port: int) -> Path:
    data = proc.workdir / "data"
    data.mkdir(exist_ok=True)
    text = (PEER_DIR / "relay.yaml").read_text()
    text = text.replace("@PORT@", str(port)).replace("@DATA_DIR@", str(data))
    path = proc.workdir / "relay.yaml"
    path.write_text(text)
    return path


def _answers_http(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/nostr+json\r\n"
                b"Connection: close\r\n\r\n"
            )
            return sock.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_nostr_peer(startup_timeout: float = 60.0, attempts: int = 3) -> NostrPeer:
    """Install if needed, start on a free loopback port, wait until it answers."""
    ensure_installed()
    last_error: Exception | None = None
    for _ in range(attempts):
        (port,) = free_ports(1)
        proc = GroupProcess("nostr")
        config = _render_config(proc, port)
        argv = [
            str(venv_dir() / "bin" / "nostr-relay"),
            "-c",
            str(config),
            "serve",
            "--use-uvicorn",
        ]
        proc.start(argv, {"PYTHONUNBUFFERED": "1"})
        try:
            proc.wait_until(partial(_answers_http, port), startup_timeout, "HTTP answer")
        except PeerStartError as exc:
            last_error = exc
            proc.stop(grace=3.0)
            continue
        return NostrPeer(proc, port)
    raise PeerStartError(f"nostr-relay did not start in {attempts} attempts: {last_error}")


if __name__ == "__main__":
    started = time.monotonic()
    peer = start_nostr_peer()
    print(json.dumps({"url": peer.url, "started_in_s": round(time.monotonic() - started, 2)}))
    print("Ctrl-C stops it.", flush=True)
    try:
        while peer.proc.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        peer.close()
