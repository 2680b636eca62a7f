"""Reading, pure: feeds -> REQ filters, paging, contact lists, profiles, events -> Items."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import regex

from hubbub.core.languages import language_code
from hubbub.core.sanitize import safe_url
from hubbub.networks.base import DELETED, DIRECT_FEED, Item
from hubbub.networks.emoji import emoji_map
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.events import Event, tag_values, verify
from hubbub.networks.nostr.mapping import nevent_link, profile_link
from hubbub.networks.pages import map_each

HOME_KINDS = (1, 6)  # notes and reposts
NOTE_KINDS = (1,)
DELETION_KIND = 5  # NIP-09
GIFT_WRAP_KIND = 1059  # NIP-59, what NIP-17 direct messages travel in
AUTHORS_PER_FILTER = 500  # big follow lists are split into several filters of one REQ

# --- paging -----------------------------------------------------------------------------------
# Timestamps have one-second resolution and relays have no offset, so a page boundary inside a
# second needs care. NIP-01 says `until` is inclusive; nostr-relay 1.14 treats it as exclusive.
# We ask for `until + 1` and drop, ourselves, what is newer than `until` and the ids at second
# `until` that the previous page already showed (listed in the cursor). That reads the same on
# both kinds of relay and neither repeats nor loses a note at the boundary.

_SKIP_ID_LENGTH = 16
_SKIP_ID = regex.compile(rf"^[0-9a-f]{{{_SKIP_ID_LENGTH}}}$")
_MAX_SKIP_IDS = 200


@dataclass(frozen=True)
class Cursor:
    until: int
    skip: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.until}:{','.join(sorted(self.skip))}" if self.skip else str(self.until)


def parse_cursor(text: str | None) -> Cursor | None:
    """"<until>" or "<until>:<id prefix>,..." (what next_page returns); None for the first page."""
    if not text:
        return None
    until, _, ids = text.partition(":")
    skip = frozenset(i for i in ids.split(",") if i)
    if not until.isdigit() or not all(_SKIP_ID.match(i) for i in skip):
        raise Rejected(f"{text!r} is not a Nostr page cursor")
    return Cursor(int(until), skip)


def query_until(cursor: Cursor | None) -> int | None:
    """The `until` to send: one second past the cursor (see above)."""
    return None if cursor is None else cursor.until + 1


def next_page(found: Sequence[Event], cursor: Cursor | None,
              limit: int) -> tuple[list[Event], str | None]:
    """This page's events (newest first) and the cursor of the next, from what the relays sent
    for a query with query_until(cursor) and `limit`."""
    fresh = [
        e for e in found
        if cursor is None or e["created_at"] < cursor.until or (
            e["created_at"] == cursor.until and e["id"][:_SKIP_ID_LENGTH] not in cursor.skip)
    ]
    fresh.sort(key=lambda e: (-e["created_at"], e["id"]))
    page = fresh[:limit]
    if len(found) < limit:
        return page, None  # the relays had no more than this
    if not page:
        # a full answer of notes already shown (many in one second): step past that second
        return page, str(Cursor(cursor.until - 1)) if cursor is not None else None
    oldest = page[-1]["created_at"]
    skip = {e["id"][:_SKIP_ID_LENGTH] for e in page if e["created_at"] == oldest}
    if cursor is not None and cursor.until == oldest:
        skip |= cursor.skip
    if len(skip) > _MAX_SKIP_IDS:
        return page, str(Cursor(oldest - 1))
    return page, str(Cursor(oldest, frozenset(skip)))


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str = ""
    picture: str = ""
    nip05: str = ""


def profile_from_metadata(event: Mapping[str, Any]) -> Profile:
    """Kind-0 content (JSON): display_name or name, picture (http(s) only), nip05."""
    try:
        data = json.loads(str(event.get("content") or ""))
    except ValueError:
        return Profile()
    if not isinstance(data, Mapping):
        return Profile()
    name = str(data.get("display_name") or data.get("displayName") or data.get("name") or "")
    picture = safe_url(data.get("picture"))
    return Profile(name=name.strip()[:200], picture=picture, nip05=str(data.get("nip05") or ""))


def latest_profiles(events: Iterable[Mapping[str, Any]]) -> dict[str, Profile]:
    newest: dict[str, Mapping[str, Any]] = {}
    for event in events:
        if event.get("kind") != 0:
            continue
        known = newest.get(event["pubkey"])
        if known is None or event["created_at"] > known["created_at"]:
            newest[event["pubkey"]] = event
    return {pubkey: profile_from_metadata(event) for pubkey, event in newest.items()}


def follows_from_contacts(events: Iterable[Mapping[str, Any]], own_pubkey: str) -> list[str]:
    """The `p` tags of the newest kind-3 contact list of `own_pubkey`."""
    lists = [e for e in events if e.get("kind") == 3 and e.get("pubkey") == own_pubkey]
    if not lists:
        return []
    newest = max(lists, key=lambda e: (e["created_at"], e["id"]))
    return [p for p in dict.fromkeys(tag_values(newest, "p")) if keys.is_hex32(p)]


def feed_filters(feed: str, own_pubkey: str, *, follows: Sequence[str] = (),
                 until: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The REQ filters of a feed: home (people followed + own), mentions (#p), author (own),
    hashtag:<tag> (#t), direct (NIP-17 gift wraps tagged with the own key, #p). Raises
    NotImplementedError for other feeds, Rejected for a bad tag."""
    window: dict[str, Any] = {}
    if until is not None:
        window["until"] = until
    if limit is not None:
        window["limit"] = limit
    if feed == "home":
        authors = list(dict.fromkeys([*follows, own_pubkey]))
        return [
            {"kinds": list(HOME_KINDS), "authors": authors[i : i + AUTHORS_PER_FILTER], **window}
            for i in range(0, len(authors), AUTHORS_PER_FILTER)
        ]
    if feed == "mentions":
        return [{"kinds": list(NOTE_KINDS), "#p": [own_pubkey], **window}]
    if feed == "author":
        return [{"kinds": list(HOME_KINDS), "authors": [own_pubkey], **window}]
    if feed == DIRECT_FEED:
        return [{"kinds": [GIFT_WRAP_KIND], "#p": [own_pubkey], **window}]
    if feed.startswith("hashtag:"):
        tag = feed.removeprefix("hashtag:").strip().lstrip("#").lower()
        if not tag or any(ch.isspace() for ch in tag):
            raise Rejected(f"{feed!r} does not name one hashtag (hashtag:<tag>)")
        return [{"kinds": list(NOTE_KINDS), "#t": [tag], **window}]
    raise NotImplementedError(f"Nostr cannot read {feed!r}")


def _in_reply_to(event: Mapping[str, Any]) -> str:
    e_tags = [t for t in event.get("tags", ()) if len(t) > 1 and t[0] == "e"]
    for marker in ("reply", "root"):
        for tag in e_tags:
            if len(tag) > 3 and tag[3] == marker:
                return str(tag[1])
    unmarked = [t for t in e_tags if len(t) <= 3]
    return str(unmarked[-1][1]) if unmarked else ""


def item_from_event(event: Mapping[str, Any], *, own_pubkey: str,
                    profiles: Mapping[str, Profile] | None = None, feed: str = "",
                    relays: Iterable[str] = ()) -> Item | None:
    """A note (kind 1) or repost (kind 6) as an Item; None for other kinds."""
    known = profiles or {}
    details: dict[str, Any] = {"nostr_kind": event["kind"]}
    if feed:
        details["feed"] = feed
    shown: Mapping[str, Any] = event
    if event["kind"] == 6:
        inner = reposted_note(event)
        reposter = known.get(event["pubkey"], Profile())
        details.update(
            reposted_by=keys.npub(event["pubkey"]),
            reposted_by_name=reposter.name or keys.short_npub(event["pubkey"]),
            original_id=inner["id"] if inner else next(iter(tag_values(event, "e")), ""),
        )
        if inner is None:
            return None  # a repost of a note we cannot show
        shown = inner
        kind = "repost"
    elif event["kind"] == 1:
        replied = _in_reply_to(event)
        if replied:
            details["in_reply_to"] = replied
        if feed == "mentions" and event["pubkey"] != own_pubkey:
            kind = "reply" if replied else "mention"
        else:
            kind = "reply" if replied else "post"
    else:
        return None
    author = str(shown["pubkey"])
    profile = known.get(author, Profile())
    warning = tag_values(shown, "content-warning")
    if warning:
        details["content_warning"] = warning[0]
    tags = tag_values(shown, "t")
    if tags:
        details["hashtags"] = tags
    media = media_from_imeta(shown)
    if media:
        details["media"] = media
    emoji = emoji_map((tag[1], tag[2]) for tag in shown.get("tags") or ()
                      if isinstance(tag, list) and len(tag) >= 3 and tag[0] == "emoji")
    if emoji:
        details["emoji"] = emoji
    langs = languages_of(shown)
    if langs:
        details["langs"] = langs
    details["author_url"] = profile_link(author)
    return Item(
        remote_id=str(event["id"]),
        kind=kind,
        author_handle=keys.npub(author),
        author_name=profile.name or keys.short_npub(author),
        created_at=datetime.fromtimestamp(int(event["created_at"]), UTC),
        text=text_without_media_urls(str(shown["content"]), media),
        html="",
        url=nevent_link(str(shown["id"]), author, relays, int(shown["kind"])),
        author_avatar=profile.picture,
        extra=details,
    )


def languages_of(event: Mapping[str, Any]) -> list[str]:
    """The ISO 639-1 codes of the note's NIP-32 language labels (["l", "de", "ISO-639-1"]), in
    order, once each: stored as `langs`, as Bluesky's are, for the rules' Language condition.
    Labels of other namespaces and values that are no ISO 639-1 code are left out."""
    found: dict[str, None] = {}
    for tag in event.get("tags") or ():
        if (isinstance(tag, list) and len(tag) >= 3 and tag[0] == "l"
                and tag[2] == "ISO-639-1"):
            code = language_code(tag[1])
            if code:
                found[code] = None
    return list(found)


def items_from_events(events: Iterable[Mapping[str, Any]], *, own_pubkey: str,
                      profiles: Mapping[str, Profile] | None = None, feed: str = "",
                      relays: Iterable[str] = ()) -> list[Item]:
    """Events as Items (item_from_event); one that cannot be shown (a signed date past the
    year 9999, say) is skipped and logged, and the rest still arrive."""
    hints = tuple(relays)
    return map_each(events, lambda event: item_from_event(
        event, own_pubkey=own_pubkey, profiles=profiles, feed=feed, relays=hints),
        network="nostr", id_of=lambda event: event.get("id"))


def reposted_note(event: Mapping[str, Any]) -> Event | None:
    """The note a kind-6 repost carries in its content (NIP-18), when it is a valid one."""
    try:
        inner = json.loads(str(event.get("content") or ""))
    except ValueError:
        return None
    if verify(inner) and inner.get("kind") == 1:
        return dict(inner)
    return None


def text_without_media_urls(content: str, media: Sequence[Mapping[str, str]]) -> str:
    """The note's text without the picture addresses at its end that its imeta tags describe
    (clients show the picture there instead; the item shows it from `media`). Addresses
    anywhere else, or not described, stay."""
    described = {m["url"] for m in media}
    lines = content.rstrip().split("\n")
    end = len(lines)
    while end > 0 and lines[end - 1].strip() in described:
        end -= 1
    if end == len(lines):
        return content
    return "\n".join(lines[:end]).rstrip()


def media_from_imeta(event: Mapping[str, Any]) -> list[dict[str, str]]:
    """Pictures and videos a note declares in NIP-92 `imeta` tags ("url ...", "m ...", "alt ...",
    one "key value" per element), http(s) URLs only."""
    found: list[dict[str, str]] = []
    for tag in event.get("tags", ()):
        if not tag or tag[0] != "imeta":
            continue
        fields: dict[str, str] = {}
        for part in tag[1:]:
            key, _, value = part.partition(" ")
            fields.setdefault(key, value.strip())
        url = safe_url(fields.get("url"))
        if not url:
            continue
        mime = fields.get("m", "")
        kind = mime.split("/")[0] if mime.split("/")[0] in ("image", "video", "audio") else (
            "unknown")
        found.append({"type": kind, "url": url, "preview_url": url if kind == "image" else "",
                      "description": fields.get("alt", "")})
    return found


# --- deletions (NIP-09) ------------------------------------------------------------------------


def with_deletions(filters: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A live subscription's filters plus, for those that name their authors, the deletion
    requests of the same authors. Feeds of anyone (mentions, hashtags) get none: asking a relay
    for every deletion it sees would be far more than a deck needs."""
    extended = [dict(f) for f in filters]
    for f in filters:
        authors = f.get("authors")
        if authors:
            extended.append({"kinds": [DELETION_KIND], "authors": list(authors)})
    return extended


def deletions_from_event(event: Mapping[str, Any]) -> list[Item]:
    """A verified kind-5 event as DELETED markers, one per `e` tag; the signer goes in
    author_handle, so only that person's own notes (and reposts) are removed by it."""
    if event.get("kind") != DELETION_KIND:
        return []
    signer = keys.npub(str(event["pubkey"]))
    when = datetime.fromtimestamp(int(event["created_at"]), UTC)
    return [
        Item(remote_id=event_id, kind=DELETED, author_handle=signer, author_name="",
             created_at=when, text=str(event.get("content") or "")[:300])
        for event_id in dict.fromkeys(tag_values(event, "e")) if keys.is_hex32(event_id)
    ]
