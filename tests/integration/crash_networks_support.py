"""The seven networks the crash test (tests/integration/test_crash.py) posts to at once: for each,
what the hub needs to reach its server, how the crash user connects, how its publish endpoint
is slowed (so kills land mid-send) and how the posts are read back from the server itself.

Mastodon (the mock), Bluesky (the reference PDS) and Nostr (a relay) are real servers; X,
LinkedIn, Facebook and Threads are the stand-ins under tests/peers, none of which takes an
idempotency key, so a post in doubt there is settled only by reading the account's own posts
back (Threads first asks its stored container whether it was published).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from hubbub.networks.nostr import keys
from hubbub.networks.threads.oauth import SCOPES as THREADS_SCOPES
from hubbub.networks.x.oauth import SCOPES as X_SCOPES
from tests.integration import facebook_support, linkedin_support, threads_support, x_support
from tests.integration.hubproc import Hub
from tests.peers.bluesky import BlueskyPeer
from tests.peers.facebook.peer import FacebookPeer
from tests.peers.linkedin.peer import LinkedInPeer
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.peers.threads.peer import ThreadsPeer
from tests.peers.x.peer import XPeer

# How long each stand-in holds a publish call, and for how many calls (all of the run's).
DELAY_SECONDS = 0.25
DELAYED_CALLS = 1000


def _nothing() -> None:
    return None


@dataclass
class CrashNetwork:
    """One network of the crash run, for one crash user."""

    name: str  # as the hub names it (a delivery's "network")
    connect: Callable[[Hub, str], None]  # connect the given hub user
    # (text, id) of every live post the account has on the server.
    posts: Callable[[], list[tuple[str, str]]]
    # The id of the remote post a delivery's URL links to.
    link_id: Callable[[str], str] = lambda url: url.rstrip("/").rsplit("/", 1)[-1]
    env: dict[str, str] = field(default_factory=dict)
    slow_down: Callable[[], None] = _nothing
    speed_up: Callable[[], None] = _nothing


def mastodon(peer: MastodonPeer) -> CrashNetwork:
    account = peer.new_account(f"crash{uuid.uuid4().hex[:6]}")

    def connect(hub: Hub, user: str) -> None:
        hub.run("connect", "mastodon", "--user", user, "--instance", peer.base_url,
                f"--token={account.access_token}")

    def posts() -> list[tuple[str, str]]:
        statuses: list[dict[str, Any]] = []
        max_id = None
        while True:  # the account's statuses, a page of 40 at a time
            params: dict[str, Any] = {"limit": 40, **({"max_id": max_id} if max_id else {})}
            page = requests.get(f"{peer.base_url}/api/v1/accounts/{account.id}/statuses",
                                params=params, timeout=10,
                                headers={"Authorization": f"Bearer {account.access_token}"}).json()
            if not page:
                return [(_plain(s["content"]), s.get("url") or s["uri"]) for s in statuses]
            statuses += page
            max_id = page[-1]["id"]

    def slow_down() -> None:
        peer.add_fault({"type": "latency", "delay_ms": int(DELAY_SECONDS * 1000)},
                       methods=["POST"], path="/api/v1/statuses", count=None)

    # A status links to its own page: the URL is the id here.
    return CrashNetwork("mastodon", connect, posts, link_id=lambda url: url,
                        slow_down=slow_down, speed_up=peer.clear_faults)


def bluesky(peer: BlueskyPeer) -> CrashNetwork:
    sky = peer.create_account("crash")

    def connect(hub: Hub, user: str) -> None:
        hub.run("connect", "bluesky", "--user", user, "--service", peer.pds_url,
                "--handle", sky.handle, "--app-password-stdin", stdin=sky.app_password + "\n")

    def posts() -> list[tuple[str, str]]:
        held: list[tuple[str, str]] = []
        cursor = None
        while True:
            params = {"repo": sky.did, "collection": "app.bsky.feed.post", "limit": 100,
                      **({"cursor": cursor} if cursor else {})}
            page = peer.xrpc("GET", "com.atproto.repo.listRecords", params=params)
            # at://did/app.bsky.feed.post/<rkey>; the web link ends in /post/<rkey>.
            held += [(r["value"]["text"], r["uri"].rsplit("/", 1)[-1]) for r in page["records"]]
            cursor = page.get("cursor")
            if not page["records"] or not cursor:
                return held

    return CrashNetwork("bluesky", connect, posts)


def nostr(peer: NostrPeer) -> CrashNetwork:
    author: dict[str, str] = {}

    def connect(hub: Hub, user: str) -> None:
        connected = hub.json("connect", "nostr", "--user", user, "--relay", peer.url,
                             "--generate")
        author["pubkey"] = connected["remote_id"]

    def posts() -> list[tuple[str, str]]:
        events = peer.query({"kinds": [1], "authors": [author["pubkey"]]})
        return [(e["content"], e["id"]) for e in events]

    def link_id(url: str) -> str:  # https://njump.me/nevent1... names the event's id
        return keys.decode(url.rsplit("/", 1)[-1]).value

    return CrashNetwork("nostr", connect, posts, link_id=link_id)


def x(peer: XPeer) -> CrashNetwork:
    client_id, secret = peer.create_app([x_support.CALLBACK])
    assert secret is not None
    person = peer.create_user()
    tokens = peer.token_for(person, (client_id, secret), list(X_SCOPES))

    def connect(hub: Hub, user: str) -> None:
        hub.run("connect", "x", "--user", user, f"--token={tokens.access_token}",
                f"--refresh-token={tokens.refresh_token}")

    def posts() -> list[tuple[str, str]]:
        return [(p["text"], str(p["id"])) for p in peer.posts(person) if not p["deleted"]]

    def slow_down() -> None:
        peer.fail_next("POST", "/2/tweets", "delay", count=DELAYED_CALLS, seconds=DELAY_SECONDS)

    return CrashNetwork("x", connect, posts, env=x_support.x_env(peer, client_id, secret),
                        slow_down=slow_down, speed_up=peer.clear_faults)


def linkedin(peer: LinkedInPeer) -> CrashNetwork:
    """Posting as the member (with the permission to read its own posts back)."""
    scopes = [*linkedin_support.SCOPES, linkedin_support.READ_MEMBER]
    client_id, secret = peer.create_app([linkedin_support.CALLBACK], scopes=scopes)
    member = peer.create_member("Crash Test")
    tokens = peer.token_for(member, (client_id, secret), scopes)

    def connect(hub: Hub, user: str) -> None:
        hub.run("connect", "linkedin", "--user", user, f"--token={tokens.access_token}")

    def posts() -> list[tuple[str, str]]:
        live = [p for p in peer.posts(member.urn) if not p["deleted"]]
        # A reserved character sent unescaped cuts the post short where LinkedIn shows it.
        cut = [p["text"] for p in live if p["cut"]]
        assert not cut, f"LinkedIn cut these posts short: {cut}"
        return [(p["text"], p["urn"]) for p in live]

    def link_id(url: str) -> str:  # https://www.linkedin.com/feed/update/<urn>/
        found = re.fullmatch(r"https://www\.linkedin\.com/feed/update/([^/]+)/", url)
        return found.group(1) if found else url

    def slow_down() -> None:
        peer.fail_next("POST", "/rest/posts", "delay", count=DELAYED_CALLS,
                       seconds=DELAY_SECONDS)

    return CrashNetwork("linkedin", connect, posts, link_id=link_id,
                        env=linkedin_support.li_env(peer, client_id, secret),
                        slow_down=slow_down, speed_up=peer.clear_faults)


def facebook(peer: FacebookPeer) -> CrashNetwork:
    """A Page the crash user manages, posted to with its Page token."""
    app = peer.create_app(facebook_support.CALLBACK)
    person = peer.create_user("Crash Tester")
    page = peer.create_page(f"Crash Page {uuid.uuid4().hex[:6]}", [person])
    page_token = peer.page_token_for(peer.user_token_for(person, app), page)

    def connect(hub: Hub, user: str) -> None:
        connected = hub.json("connect", "facebook", "--user", user, f"--token={page_token}",
                             "--page-id", page.id)
        assert connected["remote_id"] == page.id

    def posts() -> list[tuple[str, str]]:
        # A post's id is {page-id}_{n}; its web link ends in /posts/{n}.
        return [(str(p.get("message")), str(p["id"]).split("_", 1)[-1])
                for p in facebook_support.live_posts(peer, page)]

    def slow_down() -> None:
        peer.fail_next("POST", "/{page-id}/feed", "delay", count=DELAYED_CALLS,
                       seconds=DELAY_SECONDS)

    return CrashNetwork("facebook", connect, posts,
                        env=facebook_support.fb_env(peer, *app),
                        slow_down=slow_down, speed_up=peer.clear_faults)


def threads(peer: ThreadsPeer) -> CrashNetwork:
    """A Threads account posted to with a long-lived token; its posts read back through the
    stand-in's API (a post's web link names its shortcode, which the API's permalink gives)."""
    app = peer.create_app(threads_support.CALLBACK)
    person = peer.create_user(f"crash_{uuid.uuid4().hex[:6]}")
    token = peer.token_for(person, app, THREADS_SCOPES)

    def connect(hub: Hub, user: str) -> None:
        connected = hub.json("connect", "threads", "--user", user, f"--token={token}")
        assert connected["remote_id"] == person.id

    def posts() -> list[tuple[str, str]]:
        held: list[tuple[str, str]] = []
        params: dict[str, Any] = {"fields": "id,text,permalink", "limit": 100,
                                  "access_token": token}
        while True:
            page = requests.get(f"{peer.graph_url}/{person.id}/threads", params=params,
                                timeout=10).json()
            held += [(p.get("text", ""), p["permalink"]) for p in page["data"]]
            after = page.get("paging", {}).get("cursors", {}).get("after")
            if not page["data"] or not page.get("paging", {}).get("next") or not after:
                return held
            params["after"] = after

    def slow_down() -> None:
        peer.fail_next("POST", "/{user-id}/threads_publish", "delay", count=DELAYED_CALLS,
                       seconds=DELAY_SECONDS)

    return CrashNetwork("threads", connect, posts, link_id=lambda url: url,
                        env=threads_support.threads_env(peer, *app),
                        slow_down=slow_down, speed_up=peer.clear_faults)


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()
