"""The hub's command line as the tests run it (tests/hubmain.py: under the loopback guard), with
the calls it makes to the networks noted, for bench/reading.py and bench/agency.py:

    python -m bench.readingbench.hubcalls <hubbub arguments>

with HUBBUB_BENCH_CALLS=<path prefix> set, each process appends JSON lines to <prefix>.<pid>:
- {"k": "poll", "t", "conn", "net", "feed", "more", "err"}: each feed read of the poll loop
  (timeline.polling.fetch_page: one page of one feed of one connection; "more" for an older
  page of a gap fill; "err" the exception's class when it raised),
- {"k": "http", "t", "m", "host", "path", "status", "who"}: each HTTP call through requests
  ("who": the DID an AT Protocol access token names, else the token's last 12 characters),
- {"k": "req", "t", "url"}: each Nostr REQ sent (queries and live subscriptions).

The Bluesky dev network's PDS names itself (localhost:<port>) in every account's DID document
and the hub follows it, so a relay in front of it would not see the hub's reads: they are
counted here, in the hub's process, instead. Nothing else in the hub changes."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

_lock = threading.Lock()
_out: Any = None


def note(record: dict[str, Any]) -> None:
    global _out
    prefix = os.environ.get("HUBBUB_BENCH_CALLS")
    if not prefix:
        return
    line = json.dumps(record, separators=(",", ":")) + "\n"
    with _lock:
        if _out is None:
            _out = open(f"{prefix}.{os.getpid()}", "a", buffering=1)  # noqa: SIM115
        _out.write(line)


def who(authorization: str) -> str:
    token = authorization.removeprefix("Bearer ").strip()
    parts = token.split(".")
    if len(parts) == 3:
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            if isinstance(claims, dict) and str(claims.get("sub", "")).startswith("did:"):
                return str(claims["sub"])
        except ValueError:
            pass
    return token[-12:]


def install() -> None:
    import django
    from requests.adapters import HTTPAdapter

    send = HTTPAdapter.send

    def counted_send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        status = 0
        try:
            response = send(self, request, *args, **kwargs)
            status = response.status_code
            return response
        finally:
            parts = urlsplit(request.url or "")
            note({"k": "http", "t": time.time(), "m": request.method, "host": parts.netloc,
                  "path": parts.path, "status": status,
                  "who": who(str(request.headers.get("Authorization") or ""))})

    HTTPAdapter.send = counted_send  # type: ignore[method-assign]

    setup = django.setup

    def setup_then_patch(*args: Any, **kwargs: Any) -> None:
        setup(*args, **kwargs)
        from hubbub.networks.nostr import relay
        from hubbub.timeline import polling

        fetch_page = polling.fetch_page

        def counted_fetch(connector: Any, connection: Any, key: str, cursor: str | None) -> Any:
            error = ""
            try:
                return fetch_page(connector, connection, key, cursor)
            except BaseException as exc:
                error = type(exc).__name__
                raise
            finally:
                note({"k": "poll", "t": time.time(), "conn": connection.pk,
                      "net": connection.network, "feed": key, "more": cursor is not None,
                      "err": error})

        polling.fetch_page = counted_fetch
        relay_send = relay.RelayConnection.send

        def counted_relay_send(self: Any, message: Any) -> None:
            if message and message[0] == "REQ":
                note({"k": "req", "t": time.time(), "url": self.url})
            relay_send(self, message)

        relay.RelayConnection.send = counted_relay_send  # type: ignore[method-assign]

    django.setup = setup_then_patch


def read(prefix: str, since: float = 0.0) -> list[dict[str, Any]]:
    """Every record the processes wrote under `prefix`, from `since` (time.time()) on."""
    folder, stem = os.path.split(prefix)
    records: list[dict[str, Any]] = []
    for name in os.listdir(folder):
        if name.startswith(os.path.basename(stem) + "."):
            with open(os.path.join(folder, name)) as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue  # a line being written
                    if record.get("t", 0) >= since:
                        records.append(record)
    return records


if __name__ == "__main__":
    from tests import loopback

    loopback.install()
    install()
    from hubbub.cli import main

    sys.exit(main())
