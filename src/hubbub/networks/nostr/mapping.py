"""Nostr shapes <-> hubbub values, and relay answers -> connector errors. Pure: no I/O.

- a draft -> note content and tags (NIP-27 mentions, `t` hashtags, NIP-10 replies, NIP-36
  content warning, NIP-32 language label);
- NIP-11 relay documents -> Capabilities;
- relay outcomes (per relay) -> one result or one connector error;
- links (njump.me nevent). Reading (feeds, paging, Items) is in reading.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import regex

from hubbub.networks.base import (
    Capabilities,
    Draft,
    MediaFile,
    MediaLimits,
    Problem,
    Published,
    fit_limits_of,
)
from hubbub.networks.draft_checks import alt_problems
from hubbub.networks.errors import (
    ConnectorError,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
)
from hubbub.networks.image_fit import fit_problems
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.events import Tags, tag_values
from hubbub.networks.nostr.relay import PublishOutcome, QueryResult

# No limit in the protocol; relays that state none usually take at least this much.
DEFAULT_TEXT_LIMIT = 64_000
# Where a published note is shown on the web. njump.me renders any nevent (it reads the relay
# hints inside it); a `nostr:` URI would need a local Nostr app, and the Sent page needs http(s).
WEB_VIEWER = "https://njump.me/"
FEEDS = ("home", "mentions", "author", "hashtag", "direct")


# --- capabilities -----------------------------------------------------------------------------


# Pictures, with a media server: as many as the composer attaches; the types every Nostr client
# shows inline (others go converted); a size most Blossom servers take (a server that takes less
# says so with 413); a bigger picture goes fitted to it.
MEDIA_MAX_COUNT = 4
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MEDIA_MAX_BYTES = 10 * 1024 * 1024
NO_MEDIA_SERVER = ("Nostr notes carry pictures through a media server: add a Blossom server "
                   "to this account (Connections, then Media server) to send pictures.")


def media_limits(has_server: bool, server_max_bytes: int = 0) -> MediaLimits:
    """Pictures (no video) when the account has a media server, at most the size the server
    states (NIP-96 does) when it is smaller; none without one."""
    if not has_server:
        return MediaLimits(max_count=0, mime_types=(), image_max_bytes=0)
    most = min(MEDIA_MAX_BYTES, server_max_bytes) if server_max_bytes > 0 else MEDIA_MAX_BYTES
    return MediaLimits(max_count=MEDIA_MAX_COUNT, mime_types=MEDIA_TYPES, image_max_bytes=most)


def default_capabilities(text_limit: int = DEFAULT_TEXT_LIMIT,
                         has_media_server: bool = False,
                         server_max_bytes: int = 0) -> Capabilities:
    return Capabilities(
        text_limit=text_limit,
        counting="graphemes",
        # Pictures need a media server (Blossom upload) and NIP-92 imeta tags.
        media=media_limits(has_media_server, server_max_bytes),
        content_warning=True,
        threads=True,
        visibilities=(),
        feeds=FEEDS,
        idempotency="content_hash",
        native_scheduling=False,
    )


def media_problems(media: Sequence[MediaFile], limits: MediaLimits) -> list[Problem]:
    """Each picture against the account's limits (no video). A picture over the size, or of a
    type Nostr clients do not show inline, is no problem: it goes fitted to them
    (networks/image_fit.py); only one that cannot be fitted is."""
    problems: list[Problem] = []
    fit = fit_limits_of(limits)
    for number, item in enumerate(media, start=1):
        label = f"Attachment {number}" if len(media) > 1 else "The attachment"
        if item.is_video:
            problems.append(Problem(
                "media_type", f"{label}: Nostr notes from the hub carry pictures only, not "
                "video"))
            continue
        problems.extend(fit_problems(label, item, fit, "Nostr"))
        problems.extend(alt_problems(label, item.alt_text, limits.alt_text_max, required=False))
    return problems


def stated_content_limit(document: object) -> int | None:
    """limitation.max_content_length from a NIP-11 document, when it states a usable one."""
    if not isinstance(document, Mapping):
        return None
    limitation = document.get("limitation")
    if not isinstance(limitation, Mapping):
        return None
    value = limitation.get("max_content_length")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def capabilities_from_documents(documents: Iterable[object], has_media_server: bool = False,
                                server_max_bytes: int = 0) -> Capabilities:
    """The strictest stated content limit among the relays' NIP-11 documents (a note goes to
    all of them), else the default."""
    limits = [limit for doc in documents if (limit := stated_content_limit(doc)) is not None]
    return default_capabilities(min(limits) if limits else DEFAULT_TEXT_LIMIT,
                                has_media_server, server_max_bytes)


# --- drafts -> notes --------------------------------------------------------------------------

_BECH32 = "[qpzry9x8gf2tvdw0s3jn54khce6mua7l]"
_MENTION = regex.compile(rf"(?<![\w/])(?P<lead>nostr:|@)(?P<ref>(?:npub|nprofile)1{_BECH32}+)")
# A hashtag: # then letters, marks, digits or _, with at least one letter or _ (not "#1").
_HASHTAG = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}_&/#])#(?P<tag>[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)"
)


@dataclass(frozen=True)
class ReplyTarget:
    """What a reply needs to know about the note it answers (NIP-10)."""

    parent_id: str
    parent_author: str = ""
    root_id: str = ""  # "" when the parent is the root
    root_author: str = ""
    relay_hint: str = ""
    parent_p: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteTarget:
    """The note a quote quotes (NIP-18): its id, a relay that has it, its author."""

    event_id: str
    relay_hint: str = ""
    author: str = ""

    def tag(self) -> list[str]:
        """["q", <event id>, <relay>, <author's pubkey>] (the author only when known)."""
        return ["q", self.event_id, self.relay_hint, *([self.author] if self.author else [])]

    def reference(self) -> str:
        """The NIP-21 reference the quote's content carries: nostr:nevent1... (with the relay
        when it is a public one, and the author), read back from the tag alone."""
        hints = public_relay_hints([self.relay_hint]) if self.relay_hint else ()
        author = self.author if keys.is_hex32(self.author) else ""
        return f"nostr:{keys.encode_nevent(self.event_id, hints, author)}"

    @classmethod
    def from_tag(cls, tag: Sequence[str]) -> QuoteTarget | None:
        if len(tag) < 2 or tag[0] != "q" or not keys.is_hex32(tag[1]):
            return None
        return cls(tag[1], tag[2] if len(tag) > 2 else "", tag[3] if len(tag) > 3 else "")


def quote_target(ref: keys.Entity, quoted: Mapping[str, Any] | None,
                 fallback_relay: str = "") -> QuoteTarget:
    """The NIP-18 facts of the note quoted; its author from the note itself, else from the
    nevent naming it."""
    hint = ref.relays[0] if ref.relays else fallback_relay
    author = str(quoted["pubkey"]) if quoted is not None else ref.author
    return QuoteTarget(event_id=ref.value, relay_hint=hint, author=author)


def quote_of(event: Mapping[str, Any]) -> QuoteTarget | None:
    """The note this one quotes (its first valid `q` tag), or None."""
    for tag in event.get("tags", ()):
        found = QuoteTarget.from_tag(tag) if isinstance(tag, list) else None
        if found is not None:
            return found
    return None


def note_content(text: str, media_urls: Sequence[str] = (),
                 quote: QuoteTarget | None = None) -> str:
    """The note's content: the text as written, with `@npub1...`/`@nprofile1...` written as
    NIP-27 `nostr:` references so that clients link them, then the quoted note's reference
    (NIP-18), then the pictures' addresses, one a line after a blank line (clients show a
    picture where its address is; NIP-92)."""
    written = _with_references(text)
    if quote is not None:
        reference = quote.reference()
        written = f"{written.rstrip()}\n\n{reference}" if written.strip() else reference
    if not media_urls:
        return written
    urls = "\n".join(media_urls)
    return f"{written.rstrip()}\n\n{urls}" if written.strip() else urls


def _with_references(text: str) -> str:

    def rewrite(match: regex.Match[str]) -> str:
        ref = match.group("ref")
        try:
            keys.decode(ref)
        except keys.InvalidKey:
            return str(match.group(0))
        return f"nostr:{ref}"

    return str(_MENTION.sub(rewrite, text))


def mentioned_pubkeys(text: str) -> list[str]:
    found: list[str] = []
    for match in _MENTION.finditer(text):
        try:
            pubkey = keys.parse_pubkey(match.group("ref"))
        except keys.InvalidKey:
            continue
        if pubkey not in found:
            found.append(pubkey)
    return found


def hashtags(text: str) -> list[str]:
    """#tags in the text, lowercased (NIP-24: `t` tags are lowercase), first seen first."""
    found: list[str] = []
    for match in _HASHTAG.finditer(text):
        tag = match.group("tag").lower()
        if tag not in found:
            found.append(tag)
    return found


def reply_target(ref: keys.Entity, parent: Mapping[str, Any] | None,
                 fallback_relay: str = "") -> ReplyTarget:
    """The NIP-10 facts of the note replied to. Without the note itself (no relay had it), it is
    taken as the root of its thread, by the author the nevent names (if any)."""
    hint = ref.relays[0] if ref.relays else fallback_relay
    if parent is None:
        return ReplyTarget(parent_id=ref.value, parent_author=ref.author, relay_hint=hint)
    root_id, root_author = _root_of(parent)
    return ReplyTarget(
        parent_id=str(parent["id"]),
        parent_author=str(parent["pubkey"]),
        root_id=root_id,
        root_author=root_author,
        relay_hint=hint,
        parent_p=tuple(tag_values(parent, "p")),
    )


def _root_of(event: Mapping[str, Any]) -> tuple[str, str]:
    """The root of the thread `event` belongs to: its e tag marked root, else (deprecated
    positional scheme) its first unmarked e tag; ("", "") when it is a root itself."""
    e_tags = [t for t in event.get("tags", ()) if len(t) > 1 and t[0] == "e"]
    for tag in e_tags:
        if len(tag) > 3 and tag[3] == "root" and keys.is_hex32(tag[1]):
            return tag[1], tag[4] if len(tag) > 4 and keys.is_hex32(tag[4]) else ""
    unmarked = [t for t in e_tags if len(t) <= 3 or t[3] == ""]
    if unmarked and keys.is_hex32(unmarked[0][1]) and not any(len(t) > 3 for t in e_tags):
        return unmarked[0][1], ""
    return "", ""


def note_tags(draft: Draft, own_pubkey: str, reply: ReplyTarget | None = None,
              quote: QuoteTarget | None = None) -> Tags:
    tags: Tags = []
    people: list[str] = []
    if reply is not None:
        if reply.root_id and reply.root_id != reply.parent_id:
            tags.append(["e", reply.root_id, reply.relay_hint, "root", reply.root_author])
            tags.append(["e", reply.parent_id, reply.relay_hint, "reply", reply.parent_author])
        else:
            tags.append(["e", reply.parent_id, reply.relay_hint, "root", reply.parent_author])
        people.extend(p for p in (reply.parent_author, *reply.parent_p) if p != own_pubkey)
    mentioned = mentioned_pubkeys(draft.text)
    people.extend(mentioned)
    for pubkey in dict.fromkeys(people):
        if keys.is_hex32(pubkey):
            tags.append(["p", pubkey])
    if quote is not None:
        tags.append(quote.tag())
    tags.extend(["t", tag] for tag in hashtags(draft.text))
    if draft.content_warning:
        tags.append(["content-warning", draft.content_warning])
    if draft.language:
        tags.append(["L", "ISO-639-1"])
        tags.append(["l", draft.language.split("-")[0].lower(), "ISO-639-1"])
    return tags


def event_matches_draft(event: Mapping[str, Any], draft: Draft, own_pubkey: str) -> bool:
    """Is this note the draft? (find_published without a stored event.)"""
    if event.get("kind") != 1 or event.get("pubkey") != own_pubkey:
        return False
    urls = imeta_urls(event)
    if len(urls) != len(draft.media):
        return False
    quoted = quote_of(event)
    if draft.quote:
        try:
            wanted = keys.parse_event_ref(draft.quote).value
        except keys.InvalidKey:
            return False
        if quoted is None or quoted.event_id != wanted:
            return False
    elif quoted is not None:
        return False
    if event.get("content") != note_content(draft.text, urls, quoted):
        return False
    warning = tag_values(event, "content-warning")
    if warning != ([draft.content_warning] if draft.content_warning else []):
        return False
    if draft.in_reply_to:
        try:
            target = keys.parse_event_ref(draft.in_reply_to).value
        except keys.InvalidKey:
            return False
        return target in tag_values(event, "e")
    return not reply_ids(event)


def imeta_urls(event: Mapping[str, Any]) -> list[str]:
    """The `url` of each NIP-92 imeta tag, in order."""
    urls: list[str] = []
    for tag in event.get("tags", ()):
        if len(tag) > 1 and tag[0] == "imeta":
            for part in tag[1:]:
                key, _, value = part.partition(" ")
                if key == "url":
                    urls.append(value.strip())
                    break
    return urls


def reply_ids(event: Mapping[str, Any]) -> list[str]:
    """Ids of the notes this one replies to (root/reply markers, or unmarked e tags)."""
    return [
        t[1] for t in event.get("tags", ())
        if len(t) > 1 and t[0] == "e" and (len(t) <= 3 or t[3] in ("", "root", "reply"))
    ]



# --- links ------------------------------------------------------------------------------------


def public_relay_hints(relays: Iterable[str], most: int = 2) -> tuple[str, ...]:
    """Relay hints worth putting in a shared link: wss only (a ws:// relay is a local one)."""
    return tuple(url for url in relays if url.startswith("wss://"))[:most]


def nevent_link(event_id: str, author: str = "", relays: Iterable[str] = (),
                kind: int | None = 1) -> str:
    nevent = keys.encode_nevent(event_id, public_relay_hints(relays), author, kind)
    return f"{WEB_VIEWER}{nevent}"


def profile_link(pubkey: str) -> str:
    return f"{WEB_VIEWER}{keys.npub(pubkey)}"


def published_from_event(event: Mapping[str, Any], relays: Iterable[str]) -> Published:
    return Published(
        remote_id=str(event["id"]),
        url=nevent_link(str(event["id"]), str(event["pubkey"]), relays, int(event["kind"])),
        created_at=datetime.fromtimestamp(int(event["created_at"]), UTC),
    )


# --- relay answers -> results or errors -------------------------------------------------------


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _said(outcomes: Sequence[PublishOutcome]) -> str:
    return "; ".join(f"{_host(o.url)}: {o.message or o.status}" for o in outcomes)


def stored_on(outcomes: Sequence[PublishOutcome], *, maybe_sent_is_unknown: bool = True,
              what: str = "note") -> list[str]:
    """The relays that stored the event (at least one), or the one error that says why none did.

    A relay's "duplicate:" (OK true or false) means it has the event: success. Order of blame
    when none stored it: a relay that may have got it without answering -> OutcomeUnknown
    (Transient for writes that are safe to repeat); a rate limit -> RateLimited; a relay out of
    reach or failing on its side -> Transient; every relay refusing -> Rejected."""
    stored = [o.url for o in outcomes if o.stored]
    if stored:
        return stored
    if not outcomes:
        raise Rejected("No relay is configured for this account: reconnect it with a relay.")
    unknown = [o for o in outcomes if o.status == "unknown"]
    if unknown:
        message = f"No relay confirmed the {what} ({_said(unknown)})"
        if maybe_sent_is_unknown:
            raise OutcomeUnknown(message + "; it may have been stored")
        raise Transient(message)
    limited = [o for o in outcomes if o.status == "rate_limited"]
    if limited:
        retry_at = max(o.retry_at or datetime.now(UTC) for o in limited)
        raise RateLimited(f"Rate-limited ({_said(outcomes)})", retry_at=retry_at)
    passing = [o for o in outcomes if o.status in ("unreachable", "error")]
    if passing:
        retry_times = [o.retry_at for o in passing if o.retry_at is not None]
        if all(o.blocked for o in outcomes):
            raise Rejected(f"No relay can be used from this hub ({_said(outcomes)})")
        raise Transient(f"No relay took the {what} ({_said(outcomes)})",
                        retry_at=min(retry_times) if retry_times else None)
    raise Rejected(f"Every relay refused the {what} ({_said(outcomes)})")


def query_error(result: QueryResult, what: str = "read") -> ConnectorError | None:
    """The error for a query no relay answered (None when one did)."""
    if result.answered:
        return None
    failures = list(result.failures.values())
    if not failures:
        return Rejected("No relay is configured for this account: reconnect it with a relay.")
    said = "; ".join(f"{_host(f.url)}: {f.reason}" for f in failures)
    if all(f.kind == "blocked" for f in failures):
        return Rejected(f"No relay can be used from this hub ({said})")
    limited = [f for f in failures if f.kind == "rate_limited"]
    if limited:
        retry_at = max(f.retry_at or datetime.now(UTC) for f in limited)
        return RateLimited(f"Rate-limited ({said})", retry_at=retry_at)
    retry_times = [f.retry_at for f in failures if f.retry_at is not None]
    return Transient(f"No relay answered the {what} ({said})",
                     retry_at=min(retry_times) if retry_times else None)
