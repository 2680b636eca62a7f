"""The agency bench's Bluesky and Nostr targets, on the real local servers the tests use: the
Bluesky dev network (tests/peers/bluesky.py: PLC, a real PDS, the AppView) and nostr-relay
(tests/peers/nostr.py). Accounts are made on them and connected through the hub's own connect;
after a phase, what each server holds is read back (the PDS's repositories, the relay's
events), by text: a text held twice is a duplicate, a delivery whose text is not held is lost.

Neither server limits rates here: dev-env runs the PDS with its rate limits off, and
nostr-relay's configuration (peers/nostr/relay.yaml) has none for publishing."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.readingbench import nostrclient
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer, start_bluesky_peer
from tests.peers.nostr import NostrPeer, start_nostr_peer

AUTHORS_A_QUERY = 50


class OpenNetworks:
    def __init__(self) -> None:
        self.bluesky: BlueskyPeer | None = None
        self.nostr: NostrPeer | None = None
        self.sky_accounts: list[BlueskyAccount] = []
        self.nostr_keys: list[nostrclient.Keys] = []

    def start(self, bluesky: int, nostr: int) -> list[list[Any]]:
        """Start the servers asked for, make the accounts; [network, base, credentials] of
        each, for the hub's connect."""
        specs: list[list[Any]] = []
        if bluesky:
            self.bluesky = peer = start_bluesky_peer()
            with ThreadPoolExecutor(4) as pool:
                self.sky_accounts = list(pool.map(lambda _: peer.create_account("agency"),
                                                  range(bluesky)))
            specs += [["bluesky", peer.pds_url,
                       {"handle": a.handle, "app_password": a.app_password}]
                      for a in self.sky_accounts]
        if nostr:
            self.nostr = start_nostr_peer()
            self.nostr_keys = [nostrclient.keygen() for _ in range(nostr)]
            specs += [["nostr", "", {"nsec": k.sk, "relays": [self.nostr.url]}]
                      for k in self.nostr_keys]
        return specs

    def held(self, like: str, since: float) -> dict[str, Counter[str]]:
        """network -> texts containing `like` each server holds, counted (Nostr: notes dated
        from `since` on)."""
        out: dict[str, Counter[str]] = {}
        if self.bluesky is not None:
            peer = self.bluesky

            def texts(account: BlueskyAccount) -> list[str]:
                found: list[str] = []
                cursor = None
                while True:
                    params: dict[str, Any] = {"repo": account.did,
                                              "collection": "app.bsky.feed.post", "limit": 100}
                    if cursor:
                        params["cursor"] = cursor
                    body = peer.xrpc("GET", "com.atproto.repo.listRecords", params=params,
                                     timeout=60)
                    records = body.get("records", [])
                    found += [str(r["value"].get("text", "")) for r in records]
                    cursor = body.get("cursor")
                    if not cursor or not records:
                        return [t for t in found if like in t]

            with ThreadPoolExecutor(4) as pool:
                out["bluesky"] = Counter(t for got in pool.map(texts, self.sky_accounts)
                                         for t in got)
        if self.nostr is not None:
            held: Counter[str] = Counter()
            for n in range(0, len(self.nostr_keys), AUTHORS_A_QUERY):
                authors = [k.pk for k in self.nostr_keys[n:n + AUTHORS_A_QUERY]]
                events = nostrclient.query(self.nostr.url, [
                    {"kinds": [1], "authors": authors, "since": int(since), "limit": 5000}])
                held.update(str(e["content"]) for e in events if like in str(e["content"]))
            out["nostr"] = held
        return out

    def close(self) -> None:
        if self.bluesky is not None:
            self.bluesky.close()
        if self.nostr is not None:
            self.nostr.close()
