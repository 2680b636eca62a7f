"""What the hostile servers serve: Mastodon-API and XRPC answers, and signed Nostr events, with
the corpus (tests/security/corpus.py) spread over every field each carries.

Each payload is placed beside a marker ("HXm0001X"): in the same field for text and markup, in
the item's content for an address (an unsafe address is dropped, so it cannot carry one). A
payload counts as shown when its marker is in the page's text."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.security.corpus import HTML, TEXT, URLS, Payload

POOLS = {"html": HTML, "text": TEXT, "url": URLS}
HOME, MENTIONS, FOLLOWS, LIKES = 30, 30, 8, 8


@dataclass
class Placer:
    """Hands out payloads of each kind in turn (from a different start per network) and
    remembers which marker shows which payload."""

    net: str
    start: int = 0
    # Where the good pictures are (a server of the test's, on loopback): the page shows them
    # through the hub's image proxy beside the hostile ones.
    pictures: str = "https://ok.test"
    # Nostr events are signed over their UTF-8 serialization: no lone surrogates, and no C0
    # controls besides tab and line breaks (NIP-01 keeps them raw; the test relay escapes
    # them before it checks the id, and refuses the note as badly signed).
    signable_only: bool = False
    placed: list[tuple[str, str]] = field(default_factory=list)
    _taken: dict[str, int] = field(default_factory=dict)
    _markers: int = 0

    def marker(self) -> str:
        self._markers += 1
        return f"HX{self.net}{self._markers:04d}X"

    def take(self, kind: str, *, most: int | None = None) -> Payload:
        pool = POOLS[kind]
        while True:
            n = self._taken.get(kind, self.start)
            self._taken[kind] = n + 1
            payload = pool[n % len(pool)]
            if most is not None and len(payload.value) > most:
                continue
            if self.signable_only and not _signable(payload.value):
                continue
            return payload

    def text(self, *, most: int | None = None) -> str:
        payload, marker = self.take("text", most=most), self.marker()
        self.placed.append((marker, payload.key))
        return f"{marker} {payload.value}"

    def html(self) -> tuple[str, str]:
        """(content, its marker)."""
        payload, marker = self.take("html"), self.marker()
        self.placed.append((marker, payload.key))
        return f"<p>{marker}</p>{payload.value}", marker

    def url(self, carrier: str) -> str:
        payload = self.take("url")
        self.placed.append((carrier, payload.key))
        return payload.value

    def picture(self, n: int) -> str:
        return f"{self.pictures}/ok/pic.png?n={n}"

    def shown(self, text: str) -> set[str]:
        return {key for marker, key in self.placed if marker in text}


def _signable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in text)


def _when(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def dump(value: Any) -> str:
    """JSON text; lone surrogates are written as escapes, as a hostile server may send them."""
    return json.dumps(value, ensure_ascii=True)


# --- Mastodon ------------------------------------------------------------------------------------


def mastodon_account(p: Placer, n: int, carrier: str | None = None) -> dict[str, Any]:
    name = p.text()
    carrier = carrier or name.split(" ", 1)[0]
    # Some accounts name themselves with a payload too (shown as the handle).
    acct = f"m{n}@evil.test" if n % 6 else f"{p.take('text', most=300).value}@evil.test"
    return {
        "id": f"9{n}", "username": f"m{n}", "acct": acct, "display_name": name,
        "url": p.url(carrier), "avatar": p.url(carrier), "avatar_static": p.url(carrier),
        "emojis": [{"shortcode": p.take("text").value[:40], "url": p.url(carrier),
                    "static_url": p.url(carrier), "visible_in_picker": True}],
    }


def mastodon_status(p: Placer, n: int, *, reply: bool = False) -> dict[str, Any]:
    content, marker = p.html()
    status: dict[str, Any] = {
        "id": str(n), "created_at": _when(n % 1000), "content": f"{content}<p>:evil: :ok:</p>",
        "url": p.url(marker), "uri": p.url(marker), "visibility": "public",
        "spoiler_text": p.text() if n % 3 == 0 else "", "sensitive": n % 5 == 0,
        "account": mastodon_account(p, n, marker),
        "media_attachments": [{
            "id": f"{n}01", "type": "image" if n % 2 else "video",
            "url": p.picture(n) if n % 2 else p.url(marker),
            "preview_url": p.picture(n) if n % 4 == 1 else p.url(marker),
            "description": p.text()}],
        "card": {"url": f"https://ok.test/card/{n}" if n % 2 else p.url(marker),
                 "title": p.text(), "description": p.text(),
                 "image": p.picture(n) if n % 4 == 3 else p.url(marker)},
        # Poll options are shown as text (with a marker each); the html pool's payloads too.
        "poll": {"id": f"{n}02", "options": [{"title": p.text(most=400), "votes_count": 1},
                                             {"title": p.text(most=400), "votes_count": 2}]},
        "emojis": [{"shortcode": "evil", "url": p.url(marker), "static_url": p.url(marker)},
                   {"shortcode": p.take("text").value[:40], "url": p.url(marker)},
                   {"shortcode": "ok", "url": p.picture(n)}],
        "replies_count": 1, "reblogs_count": 2, "favourites_count": 3,
    }
    if reply:
        status.update(in_reply_to_id="1", in_reply_to_account_id="1")
    if n % 4 == 1:
        quoted_content, quoted_marker = p.html()
        status["quote"] = {"state": "accepted", "quoted_status": {
            "id": f"{n}03", "content": quoted_content, "url": p.url(quoted_marker),
            "account": mastodon_account(p, n + 500)}}
    return status


@dataclass
class MastodonFeeds:
    me: dict[str, Any]
    home: str
    mentions: str
    notifications: str
    published: str
    instance: str


def mastodon_feeds(p: Placer) -> MastodonFeeds:
    me = mastodon_account(p, 1)
    me.update(id="1", username="me", acct="me")
    home = [mastodon_status(p, 1000 + n) for n in range(HOME)]
    mentions = [{"id": f"{5000 + n}", "type": "mention", "created_at": _when(n),
                 "account": mastodon_account(p, 2000 + n),
                 "status": mastodon_status(p, 2000 + n, reply=n % 2 == 0)}
                for n in range(MENTIONS)]
    others = []
    for n in range(FOLLOWS + LIKES):
        kind = "follow" if n < FOLLOWS else ("favourite", "reblog")[n % 2]
        notification: dict[str, Any] = {
            "id": f"{6000 + n}", "type": kind, "created_at": _when(0),
            "account": mastodon_account(p, 3000 + n)}
        if kind != "follow":
            notification["status"] = mastodon_status(p, 3000 + n)
        others.append(notification)
    others.append({"id": "6999", "type": "poll", "created_at": _when(0),
                   "account": mastodon_account(p, 3999), "status": mastodon_status(p, 3999)})
    published = {"id": "4242", "created_at": _when(0), "content": "<p>published</p>",
                 "url": "javascript:alert(document.domain)", "uri": "data:text/html,x",
                 "account": me, "media_attachments": [], "visibility": "public"}
    instance = {"domain": "evil.test", "version": "4.3.0", "title": p.text(),
                "configuration": {"statuses": {"max_characters": 500}}}
    return MastodonFeeds(me=me, home=dump(home), mentions=dump(mentions),
                         notifications=dump(others + mentions), published=dump(published),
                         instance=dump(instance))


# --- Bluesky -------------------------------------------------------------------------------------


def jwt(did: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"scope": "com.atproto.appPass", "sub": did, "exp": int(time.time()) + 86_400}
    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2ln"


def bluesky_author(p: Placer, n: int, carrier: str | None = None) -> dict[str, Any]:
    name = p.text()
    handle = f"a{n}.evil.test" if n % 6 else p.take("text", most=300).value
    return {"did": f"did:plc:a{n}", "handle": handle, "displayName": name,
            "avatar": p.url(carrier or name.split(" ", 1)[0])}


def bluesky_post(p: Placer, n: int, *, reply: bool = False) -> dict[str, Any]:
    payload, marker = p.take("html"), p.marker()
    p.placed.append((marker, payload.key))
    text = f"{marker} {payload.value}"
    size = len(text.encode("utf-8", "surrogatepass"))
    facets = [{"index": {"byteStart": 0, "byteEnd": len(marker)},
               "features": [{"$type": "app.bsky.richtext.facet#link", "uri": p.url(marker)}]},
              {"index": {"byteStart": len(marker) + 1, "byteEnd": size},
               "features": [{"$type": "app.bsky.richtext.facet#link", "uri": p.url(marker)},
                            {"$type": "app.bsky.richtext.facet#tag",
                             "tag": p.take("text").value[:60]}]}]
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "facets": facets,
                              "createdAt": _when(n % 1000)}
    if reply:
        parent = {"uri": "at://did:plc:me/app.bsky.feed.post/1", "cid": "c"}
        record["reply"] = {"root": parent, "parent": parent}
    embeds = [
        {"$type": "app.bsky.embed.images#view", "images": [
            {"thumb": p.picture(n) if n % 8 == 0 else p.url(marker),
             "fullsize": p.url(marker), "alt": p.text()}]},
        {"$type": "app.bsky.embed.external#view", "external": {
            "uri": f"https://ok.test/card/{n}" if n % 2 else p.url(marker), "title": p.text(),
            "description": p.text(), "thumb": p.url(marker)}},
        {"$type": "app.bsky.embed.record#view", "record": {
            "$type": "app.bsky.embed.record#viewRecord",
            "uri": f"at://did:plc:q{n}/app.bsky.feed.post/{n}", "cid": "c",
            "author": bluesky_author(p, n + 500, marker), "value": {"text": p.text()},
            "indexedAt": _when(n)}},
        {"$type": "app.bsky.embed.video#view", "playlist": p.url(marker),
         "thumbnail": p.url(marker), "alt": p.text()},
    ]
    return {"uri": f"at://did:plc:a{n}/app.bsky.feed.post/{n}", "cid": f"c{n}",
            "author": bluesky_author(p, n, marker), "record": record,
            "embed": embeds[n % len(embeds)], "indexedAt": _when(n % 1000),
            "labels": [{"val": "graphic-media"}] if n % 5 == 0 else [],
            "replyCount": 1, "repostCount": 2, "likeCount": 3}


@dataclass
class BlueskyFeeds:
    session: str
    profile: str
    timeline: str
    notifications: str
    posts: str


def bluesky_feeds(p: Placer) -> BlueskyFeeds:
    did = "did:plc:me"
    session = {"accessJwt": jwt(did), "refreshJwt": jwt(did), "did": did,
               "handle": "me.evil.test", "active": True, "email": p.text()}
    me_name = p.text()
    profile = {"did": did, "handle": "me.evil.test", "displayName": me_name,
               "avatar": p.url(me_name.split(" ", 1)[0]), "description": p.text()}
    timeline = [{"post": bluesky_post(p, 1000 + n)} for n in range(HOME)]
    notifications: list[dict[str, Any]] = []
    subjects = []
    for n in range(MENTIONS):
        post = bluesky_post(p, 2000 + n, reply=n % 2 == 0)
        notifications.append({"uri": post["uri"], "cid": post["cid"], "author": post["author"],
                              "reason": ("mention", "reply", "quote")[n % 3],
                              "record": post["record"], "isRead": False,
                              "indexedAt": post["indexedAt"]})
    for n in range(FOLLOWS + LIKES):
        reason = "follow" if n < FOLLOWS else ("like", "repost")[n % 2]
        entry: dict[str, Any] = {"uri": f"at://did:plc:f{n}/app.bsky.graph.follow/{n}",
                                 "cid": "c", "author": bluesky_author(p, 3000 + n),
                                 "reason": reason, "record": {}, "isRead": False,
                                 "indexedAt": _when(0)}
        if reason != "follow":
            subject = bluesky_post(p, 3000 + n)
            subjects.append(subject)
            entry["reasonSubject"] = subject["uri"]
        notifications.append(entry)
    return BlueskyFeeds(session=dump(session), profile=dump(profile),
                        timeline=dump({"feed": timeline}),
                        notifications=dump({"notifications": notifications}),
                        posts=dump({"posts": subjects}))


# --- Nostr ---------------------------------------------------------------------------------------

NOSTR_MOST = 3000  # the test relay keeps notes of up to 4,096 characters


def nostr_profile(p: Placer) -> tuple[str, str]:
    """(kind-0 content, the marker of its name)."""
    name = p.text(most=180)
    marker = name.split(" ", 1)[0]
    return json.dumps({"name": p.text(most=180), "display_name": name,
                       "picture": p.url(marker), "website": p.url(marker),
                       "banner": p.url(marker), "nip05": p.take("text", most=200).value,
                       "about": p.take("html", most=NOSTR_MOST).value,
                       "lud16": p.take("text", most=200).value}), marker


def nostr_note(p: Placer, n: int, mention: str = "") -> tuple[str, list[list[str]]]:
    payload, marker = p.take("html", most=NOSTR_MOST), p.marker()
    p.placed.append((marker, payload.key))
    tags = [["imeta", f"url {p.url(marker)}", "m image/png", f"alt {p.text(most=NOSTR_MOST)}"],
            ["imeta", f"url {p.picture(n)}", "m image/png",
             f"alt {p.text(most=NOSTR_MOST)}"],
            ["r", p.url(marker)], ["emoji", "evil", p.url(marker)], ["emoji", "ok", p.picture(n)],
            ["t", p.take("text", most=200).value]]
    if n % 3 == 0:
        tags.append(["content-warning", p.text(most=NOSTR_MOST)])
    if mention:
        tags.append(["p", mention])
    return f"{marker} {payload.value} :evil: :ok:", tags
