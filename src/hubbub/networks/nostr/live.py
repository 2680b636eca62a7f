"""Live subscriptions: REQs kept open after EOSE on several relays, read by one thread each."""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from hubbub.core.http import default_timeout
from hubbub.networks.base import Item
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr.events import Event, matches, verify
from hubbub.networks.nostr.reading import (
    DELETION_KIND,
    GIFT_WRAP_KIND,
    deletions_from_event,
    items_from_events,
    with_deletions,
)
from hubbub.networks.nostr.relay import (
    RelayConnection,
    RelayError,
    RelayFailure,
    closed_failure,
    open_connection,
)

log = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 60.0
_POLL_STOP_SECONDS = 1.0  # how often a reader thread notices close() (not network polling)
# A resubscription asks from this far behind the newest event it saw: a note that reached the
# relay after newer ones (passed on late by another relay, or dated by a slow clock) still
# arrives; what was delivered already is dropped by id.
RESUME_SLACK_SECONDS = 120


class LiveSubscription:
    """New events for several labelled REQs on several relays, as an iterator of
    (label, event, relay url). One reader thread per relay; each reconnects with backoff and
    asks again `since` the newest event it saw, so nothing is missed while it was away: a relay
    dropping does not end the iteration. Only when every relay can never be used (the SSRF
    guard, a bad address) does `next()` raise Rejected.

    Iteration blocks until an event arrives; `close()` (from any thread) ends it. Events are
    verified and each id is delivered once a label, whichever relay sends it first."""

    def __init__(self, urls: Iterable[str], requests: Mapping[str, Sequence[Mapping[str, Any]]],
                 since: int, timeout: float | None = None, *, deletions: bool = True,
                 lookback: Mapping[str, int] | None = None) -> None:
        self.urls = list(dict.fromkeys(urls))
        # With `deletions`, each label also hears its authors' deletion requests (NIP-09).
        self.requests = {label: with_deletions(filters) if deletions else [dict(f) for f in filters]
                         for label, filters in requests.items()}
        self.since = since
        # Labels whose events are dated in the past on purpose (NIP-59 gift wraps, up to two
        # days) are asked for that much further back: `since` alone would miss them.
        self.lookback = {label: seconds for label, seconds in (lookback or {}).items()
                         if label in self.requests}
        self.timeout = default_timeout() if timeout is None else timeout
        self._queue: queue.Queue[tuple[str, Event, str] | Rejected | None] = queue.Queue()
        self._stop = threading.Event()
        self._ready: dict[str, threading.Event] = {url: threading.Event() for url in self.urls}
        self._seen: dict[tuple[str, str], None] = {}
        self._lock = threading.Lock()
        self._open: dict[str, RelayConnection] = {}
        self._newest: dict[str, int] = {}
        self._given_up: set[str] = set()
        self.failures: dict[str, RelayFailure] = {}
        self._threads = [
            threading.Thread(target=self._run, args=(url,), daemon=True,
                             name=f"nostr-live {url}")
            for url in self.urls
        ]
        for thread in self._threads:
            thread.start()

    # iterator side
    def __iter__(self) -> Iterator[tuple[str, Event, str]]:
        return self

    def __next__(self) -> tuple[str, Event, str]:
        while True:
            item = self._queue.get()
            if item is None:  # closed
                self._queue.put(None)  # later calls end too
                raise StopIteration
            if isinstance(item, Rejected):
                self._queue.put(item)
                raise item
            label, event, url = item
            # Once a label: one event can belong to several (a followed person's note that
            # p-tags the account is in both home and mentions), and each feed must have it.
            # A deletion request names no feed: once.
            key = ("", event["id"]) if event.get("kind") == DELETION_KIND else (
                label, event["id"])
            if key in self._seen:
                continue
            self._seen[key] = None
            if len(self._seen) > 10_000:
                self._seen.pop(next(iter(self._seen)))
            return label, event, url

    def wait_ready(self, timeout: float) -> bool:
        """True once every relay has ended its stored events (EOSE) or been given up on."""
        deadline = time.monotonic() + timeout
        return all(flag.wait(max(0.0, deadline - time.monotonic()))
                   for flag in self._ready.values())

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._open.values())
        for conn in conns:
            conn.close()
        self._queue.put(None)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=self.timeout + 2.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # reader threads
    def _run(self, url: str) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                conn = open_connection(url, self.timeout)
            except RelayError as exc:
                self.failures[url] = exc.failure
                if exc.failure.kind in ("blocked", "invalid_url"):
                    log.warning("live subscription: giving up on %s: %s", url, exc.failure.reason)
                    self._ready[url].set()
                    self._give_up(url)
                    return
                log.info("live subscription: %s unreachable (%s); retrying in %.0f s",
                         url, exc.failure.reason, backoff)
                self._ready[url].set()  # not ready, but waiting for it would block forever
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)
                continue
            with self._lock:
                self._open[url] = conn
            try:
                self._read(conn)
                backoff = 1.0
            except RelayError as exc:
                if not self._stop.is_set():
                    self.failures[url] = exc.failure
                    log.info("live subscription on %s ended (%s); reconnecting in %.0f s",
                             url, exc.failure.reason, backoff)
            finally:
                with self._lock:
                    self._open.pop(url, None)
                conn.close()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    def _give_up(self, url: str) -> None:
        """A relay that can never be used (refused by the SSRF guard, not a relay address).
        When that is every relay, the iteration ends with an error instead of waiting forever."""
        with self._lock:
            self._given_up.add(url)
            everyone = self._given_up == set(self.urls)
        if everyone:
            said = "; ".join(f"{f.url}: {f.reason}" for f in self.failures.values())
            self._queue.put(Rejected(f"No relay can be followed from this hub ({said})"))

    def _read(self, conn: RelayConnection) -> None:
        """Subscribe (a little before the newest event this relay sent us) and read until
        closed."""
        newest_seen = self._newest.get(conn.url)
        since = self.since if newest_seen is None else newest_seen - RESUME_SLACK_SECONDS
        subs: dict[str, str] = {}
        for label, filters in self.requests.items():
            sub = f"{label[:40]}-{secrets.token_hex(4)}"
            subs[sub] = label
            back = since - self.lookback.get(label, 0)
            conn.send(["REQ", sub, *[{**f, "since": back} for f in filters]])
        pending = set(subs)
        while not self._stop.is_set():
            try:
                message = conn.receive(time.monotonic() + _POLL_STOP_SECONDS)
            except RelayError as exc:
                if exc.failure.kind == "timeout":
                    continue
                if exc.failure.kind == "malformed":
                    log.warning("%s sent a malformed message: ignored", conn.url)
                    continue
                raise
            kind = message[0]
            if kind == "EVENT" and len(message) >= 3 and message[1] in subs:
                event = message[2]
                label = subs[message[1]]
                if verify(event) and any(matches(event, f) for f in self.requests[label]):
                    # Never past now: a note dated ahead (relays store some up to an hour
                    # ahead) would make the next subscription skip everything said until then.
                    dated = min(int(event["created_at"]), int(time.time()))
                    newest = max(self._newest.get(conn.url, since), dated)
                    self._newest[conn.url] = newest
                    self._queue.put((label, event, conn.url))
            elif kind == "EOSE" and len(message) >= 2 and message[1] in pending:
                pending.discard(message[1])
                if not pending:
                    self._ready[conn.url].set()
            elif kind == "CLOSED" and len(message) >= 2 and message[1] in subs:
                raise closed_failure(conn.url, str(message[2]) if len(message) > 2 else "")


class NostrStream:
    """Items from a LiveSubscription (what NostrConnector.stream returns). Deletion requests
    (NIP-09) of the authors a feed follows are asked for too, and come out as DELETED markers
    signed by their author. Gift wraps (NIP-59) go to `opener`, which gives the message inside
    as an Item (or None: skipped)."""

    def __init__(self, live: LiveSubscription, own_pubkey: str,
                 opener: Callable[[Event, str], Item | None] | None = None) -> None:
        self.live = live
        self.own_pubkey = own_pubkey
        self.opener = opener
        self._deletions: list[Item] = []

    def __iter__(self) -> NostrStream:
        return self

    def __next__(self) -> Item:
        while True:
            if self._deletions:
                return self._deletions.pop(0)
            feed, event, url = next(self.live)
            if event.get("kind") == DELETION_KIND:
                self._deletions.extend(deletions_from_event(event))
                continue
            if event.get("kind") == GIFT_WRAP_KIND:
                opened = self.opener(event, feed) if self.opener is not None else None
                if opened is not None:
                    return opened
                continue
            # One event that cannot be shown is skipped (and logged), not the stream's end.
            found = items_from_events([event], own_pubkey=self.own_pubkey, feed=feed,
                                      relays=(url,))
            if found:
                return found[0]

    def wait_ready(self, timeout: float) -> bool:
        return self.live.wait_ready(timeout)

    def close(self) -> None:
        self.live.close()

    def __enter__(self) -> NostrStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
