"""The networks bench/reading.py reads from, each on the real local server the tests use: the
Mastodon mock (rate-limited, behind the counting relay), the Bluesky dev network (PLC + PDS +
AppView from @atproto/dev-env, tests/peers/bluesky.py) and nostr-relay (tests/peers/nostr.py).

A side makes accounts, has each follow one of the "posters" (--fanout followers a poster),
gives what the hub's own connect takes for an account (`spec`), and posts as a poster straight
to the server (not through the hub), returning the id the hub stores the item under."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.agencybench.peers import new_account, start_limited_mastodon
from bench.readingbench import nostrclient
from bench.readingbench.relay import StreamingRelay
from tests.peers.bluesky import BlueskyAccount, BlueskyPeer, start_bluesky_peer
from tests.peers.mastodon import SeededAccount
from tests.peers.nostr import NostrPeer, start_nostr_peer

# Each connector's poll_reads_per_minute (None: the connector keeps no read budget).
BUDGETS: dict[str, float | None] = {"mastodon": 30.0, "bluesky": 60.0, "nostr": None}


class Side:
    network = ""

    def __init__(self, fanout: int) -> None:
        self.fanout = fanout
        self.keys: list[str] = []  # the followers' keys, in order (unique across networks)
        self.poster_count = 0

    def grow(self, total: int) -> list[tuple[str, list[Any]]]:
        """Followers up to `total` (and posters enough for them); the new ones' (key, spec)."""
        raise NotImplementedError

    def post(self, poster: int, text: str) -> str:
        raise NotImplementedError

    def followers(self, poster: int) -> list[str]:
        return self.keys[poster * self.fanout:(poster + 1) * self.fanout]

    def close(self) -> None:
        raise NotImplementedError


class MastodonSide(Side):
    network = "mastodon"

    def __init__(self, fanout: int, rate_limit: int, rate_window: int,
                 mock_streams: bool) -> None:
        super().__init__(fanout)
        self.peer = start_limited_mastodon(rate_limit, rate_window)
        self.relay = StreamingRelay(self.peer.port)
        self.relay.serve_streams = not mock_streams
        self.posters: list[SeededAccount] = []

    def grow(self, total: int) -> list[tuple[str, list[Any]]]:
        first = len(self.keys)
        while len(self.posters) * self.fanout < total:
            self.posters.append(new_account(self.peer))
        self.poster_count = len(self.posters)
        fresh = [new_account(self.peer) for _ in range(total - first)]
        for n, account in enumerate(fresh, start=first):
            self.peer.follow(account, self.posters[n // self.fanout])
        out = []
        for account in fresh:
            key = "m:" + account.access_token[-12:]
            self.keys.append(key)
            out.append((key, ["mastodon", self.relay.base_url,
                              {"access_token": account.access_token}]))
        return out

    def post(self, poster: int, text: str) -> str:
        status = self.peer.post_as(self.posters[poster], text)
        if self.relay.serve_streams:
            # The streaming API is the relay's (readingbench/relay.py): each post the mock
            # answered goes at once to its followers' open streams, as Mastodon does.
            self.relay.push([k[2:] for k in self.followers(poster)], "update",
                            json.dumps(status))
        return str(status["id"])

    def close(self) -> None:
        self.relay.close()
        self.peer.close()


class BlueskySide(Side):
    network = "bluesky"

    def __init__(self, fanout: int) -> None:
        super().__init__(fanout)
        self.peer: BlueskyPeer = start_bluesky_peer()
        self.posters: list[BlueskyAccount] = []
        self.visible: dict[str, float] = {}  # uri -> when the AppView first served it
        self._watchers: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._service_token = ""
        self._token_until = 0.0

    def grow(self, total: int) -> list[tuple[str, list[Any]]]:
        first = len(self.keys)
        with ThreadPoolExecutor(4) as pool:
            want = max(0, -(-total // self.fanout) - len(self.posters))
            self.posters += list(pool.map(lambda _: self.peer.create_account("poster"),
                                          range(want)))
            self.poster_count = len(self.posters)
            fresh = list(pool.map(lambda _: self.peer.create_account("reader"),
                                  range(total - first)))
            list(pool.map(lambda pair: self.peer.follow(pair[1],
                                                        self.posters[pair[0] // self.fanout]),
                          enumerate(fresh, start=first)))
        out = []
        for account in fresh:
            key = "b:" + account.did
            self.keys.append(key)
            out.append((key, ["bluesky", self.peer.pds_url,
                              {"handle": account.handle, "app_password": account.app_password}]))
        return out

    def post(self, poster: int, text: str) -> str:
        return str(self.peer.post(self.posters[poster], text)["uri"])

    def watch(self, uri: str) -> None:
        """Note when the AppView first serves this post (app.bsky.feed.getPosts asked of it
        every 0.2 s, for up to 60 s): the hub's timeline reads, through the PDS, which asks the
        AppView, can find it from then on. (The AppView's indexedAt is the post's createdAt,
        not when it was indexed.)"""
        if self._watchers is None:
            self._watchers = ThreadPoolExecutor(4)
        self._watchers.submit(self._watch, uri)

    def _token(self) -> str:
        with self._lock:
            if time.monotonic() > self._token_until:
                body = self.peer.xrpc("GET", "com.atproto.server.getServiceAuth",
                                      token=self.posters[0].access_jwt,
                                      params={"aud": self.peer.appview_did,
                                              "lxm": "app.bsky.feed.getPosts"})
                self._service_token = str(body["token"])
                self._token_until = time.monotonic() + 30  # they last 60 s
            return self._service_token

    def _watch(self, uri: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                body = self.peer.xrpc("GET", "app.bsky.feed.getPosts", token=self._token(),
                                      base=self.peer.appview_url, params={"uris": [uri]})
            except Exception:
                body = {}
            if body.get("posts"):
                self.visible[uri] = time.time()
                return
            time.sleep(0.2)  # the next look (a poll's pace), not a wait for a result

    def close(self) -> None:
        if self._watchers is not None:
            self._watchers.shutdown(cancel_futures=True)
        self.peer.close()


class NostrSide(Side):
    network = "nostr"

    def __init__(self, fanout: int) -> None:
        super().__init__(fanout)
        self.peer: NostrPeer = start_nostr_peer()
        self.publisher = nostrclient.Publisher(self.peer.url)
        self.posters: list[nostrclient.Keys] = []
        self.secrets: dict[str, nostrclient.Keys] = {}

    def grow(self, total: int) -> list[tuple[str, list[Any]]]:
        first = len(self.keys)
        while len(self.posters) * self.fanout < total:
            self.posters.append(nostrclient.keygen())
        self.poster_count = len(self.posters)
        out = []
        for n in range(first, total):
            keys = nostrclient.keygen()
            # The follow list (NIP-02, kind 3): the hub's home feed asks for these authors.
            poster = self.posters[n // self.fanout]
            self.publisher.publish(nostrclient.sign(keys, "", kind=3, tags=[["p", poster.pk]]))
            key = "n:" + keys.pk
            self.keys.append(key)
            self.secrets[key] = keys
            out.append((key, ["nostr", "", {"nsec": keys.sk, "relays": [self.peer.url]}]))
        return out

    def post(self, poster: int, text: str) -> str:
        event = nostrclient.sign(self.posters[poster], text)
        self.publisher.publish(event)
        return str(event["id"])

    def close(self) -> None:
        self.publisher.close()
        self.peer.close()
