"""Nostr: a key pair and a list of relays. Notes are signed here and sent to every relay.

Exactly once: `prepare` signs the note once per delivery and the engine stores the signed event
on the delivery row; `publish` sends that same event on every attempt. The event id is its hash,
so a relay that already has it answers "duplicate:", which is success. A note with pictures is
signed in `stage` instead, once the pictures are on the account's media server (their addresses
are in the note), and stored by the engine the same way before the first publish.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, ClassVar

from hubbub.core.counting import count_text
from hubbub.networks.base import (
    DIRECT_FEED,
    Account,
    AuthKind,
    Capabilities,
    Connected,
    Connector,
    CredentialField,
    Draft,
    Identity,
    Item,
    MediaFile,
    Page,
    Problem,
    Published,
    Validation,
)
from hubbub.networks.draft_checks import over_limit
from hubbub.networks.errors import NotFound, Rejected
from hubbub.networks.nostr import (
    blossom,
    columns,
    conversation,
    direct,
    events,
    keys,
    mapping,
    reading,
)
from hubbub.networks.nostr.account_relays import (
    account_relays,
    nip11_document,
    no_relay_answered,
    relay_list,
)
from hubbub.networks.nostr.columns import KIND_REASONS, read_column, with_column_kinds
from hubbub.networks.nostr.keys import KeyPair, generate_keypair
from hubbub.networks.nostr.live import LiveSubscription, NostrStream
from hubbub.networks.nostr.media import (
    MEDIA_API,
    MEDIA_SERVER,
    media_max_bytes,
    media_server,
    media_server_setting,
    upload_picture,
)
from hubbub.networks.nostr.notes import (
    account_keypair,
    prepared_event,
    sign_note,
    stored_quote,
    stored_reply,
)
from hubbub.networks.nostr.relay import (
    RelayPool,
    normalize_relay_url,
    parallel,
)

__all__ = ["NostrConnector", "generate_keypair"]

log = logging.getLogger(__name__)

PAGE_SIZE = 40
# find_published without a stored event looks this far before `since` (clock skew).
CLOCK_SLACK = timedelta(minutes=2)
REACTIONS = {"like": 7, "repost": 6}


class NostrConnector(Connector):
    slug: ClassVar[str] = "nostr"
    name: ClassVar[str] = "Nostr"
    # A quote is a NIP-18 `q` tag and a nostr:nevent1... reference in the note (notes.py).
    native_quotes: ClassVar[bool] = True
    column_kind_reasons: ClassVar[Mapping[str, str]] = KIND_REASONS
    column_param_refusal = columns.column_param_refusal  # lists by name or naddr, not keys or notes

    def mention(self, handle: str, own_handle: str) -> str | None:
        """nostr:npub1... (NIP-27); the note then carries the key in a p tag (note_tags)."""
        try:
            return "nostr:" + keys.npub(keys.parse_pubkey(handle.strip()))
        except (keys.InvalidKey, ValueError):
            return None
    auth_kind: ClassVar[AuthKind] = "keypair"
    no_media_reason: ClassVar[str] = (
        "this Nostr account has no media server (add one on the Connections page)")
    # The media server is the person's choice, not part of the key: reconnecting keeps it.
    kept_settings: ClassVar[tuple[str, ...]] = ("media_server", "media_api", "media_max_bytes")
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("relays", "Relays", "--relay", kind="lines",
                        help="A relay address (wss://...); give it once per relay.",
                        placeholder="wss://relay.example.com"),
        CredentialField("nsec", "Secret key", "--nsec", kind="secret",
                        help="Generate a new key pair instead of importing one.",
                        placeholder="nsec1...", empty_flag="--generate"),
        CredentialField("media_server", "Media server (optional)", "--media-server", kind="url",
                        required=False,
                        help="A Blossom (or NIP-96) server, https://..., that stores the "
                             "pictures of your notes; without one, notes carry no pictures.",
                        placeholder="https://blossom.example.com"),
    )

    # --- identity and capabilities -------------------------------------------------------------
    def capabilities(self, account: Account) -> Capabilities:
        """The strictest `limitation.max_content_length` the relays' NIP-11 documents state."""
        documents = parallel(nip11_document, account_relays(account))
        return with_column_kinds(mapping.capabilities_from_documents(
            (d for d in documents if d is not None), bool(media_server(account)),
            media_max_bytes(account)), documents)  # lists, and search where a relay offers it

    def account_notes(self, account: Account) -> tuple[str, ...]:
        server = media_server(account)
        if not server:
            return (mapping.NO_MEDIA_SERVER,)
        kind = "NIP-96" if account.credentials.get(MEDIA_API) else "Blossom"
        return (f"Pictures are stored on the media server {server} ({kind}).",)

    def default_capabilities(self) -> Capabilities:
        return with_column_kinds(mapping.default_capabilities(), ())

    def whoami(self, account: Account) -> Identity:
        pair = account_keypair(account)
        with RelayPool(account_relays(account)) as pool:
            result = pool.query([{"kinds": [0], "authors": [pair.public_hex], "limit": 1}])
        error = mapping.query_error(result, "profile request")
        if error is not None:
            raise error
        profile = reading.latest_profiles(result.events).get(pair.public_hex)
        return _identity(pair, profile)

    # --- auth ----------------------------------------------------------------------------------
    def connect_with_token(self, base_url: str, credentials: dict[str, Any]) -> Connected:
        """credentials: {"nsec": "nsec1..." or 64 hex, or "" to generate a key pair,
        "relays": ["wss://...", ...]} (base_url, when given, is one more relay)."""
        relays = relay_list(base_url, credentials.get("relays"))
        media = media_server_setting(str(credentials.get(MEDIA_SERVER) or ""))
        secret = str(credentials.get("nsec") or credentials.get("secret_key_hex") or "").strip()
        try:
            pair = keys.parse_secret(secret) if secret else generate_keypair()
        except keys.InvalidKey as exc:
            raise Rejected(f"That secret key cannot be used: {exc}") from None
        with RelayPool(relays) as pool:
            result = pool.query([{"kinds": [0], "authors": [pair.public_hex], "limit": 1}])
        if not result.answered:
            raise no_relay_answered(result.failures)
        profile = reading.latest_profiles(result.events).get(pair.public_hex)
        notice = "" if secret else (
            f"A new key pair was made for this account. Its secret key is {pair.nsec} — keep a "
            "copy somewhere safe to use this identity in other Nostr apps; the hub will not "
            "show it again."
        )
        stored: dict[str, Any] = {"secret_key_hex": pair.secret_hex, "relays": relays, **media}
        return Connected(
            base_url=relays[0],
            credentials=stored,
            identity=_identity(pair, profile),
            notice=notice,
        )

    # --- write ---------------------------------------------------------------------------------
    def validate(self, draft: Draft, capabilities: Capabilities) -> Validation:
        caps = capabilities
        count = count_text(caps.counting, draft.text, content_warning=draft.content_warning)
        problems: list[Problem] = []
        if not draft.text.strip() and not draft.media:
            problems.append(Problem("empty", "Write something."))
        if count > caps.text_limit:
            over = count - caps.text_limit
            problems.append(Problem("too_long", over_limit(over, caps.text_limit)))
        if len(draft.media) > caps.media.max_count:
            problems.append(Problem(
                "too_many_media",
                mapping.NO_MEDIA_SERVER if caps.media.max_count == 0
                else f"{len(draft.media)} attachments; at most {caps.media.max_count}",
            ))
        elif draft.media:
            problems.extend(mapping.media_problems(draft.media, caps.media))
        return Validation(count=count, limit=caps.text_limit, problems=tuple(problems))

    def prepare(self, account: Account, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        """Sign the note once: {"event": <signed NIP-01 event>}. For a reply this reads the note
        replied to from the relays (its thread root and people, NIP-10), for a quote the note
        quoted (its author, NIP-18): that read may raise Transient (nothing was sent)."""
        pair = account_keypair(account)
        if not draft.text.strip() and not draft.media:
            raise Rejected("An empty note cannot be posted.")
        reply = self._reply_target(account, draft.in_reply_to) if draft.in_reply_to else None
        quote = self._quote_target(account, draft.quote) if draft.quote else None
        if draft.media:
            # Signed in stage(), once the pictures' addresses are known.
            return {"reply": asdict(reply) if reply is not None else None,
                    "quote": asdict(quote) if quote is not None else None}
        return {"event": sign_note(pair, draft, reply, (), quote)}

    def stage(self, account: Account, draft: Draft, media_ids: tuple[str, ...],
              prepared: Mapping[str, Any]) -> dict[str, Any]:
        """A note with pictures: signed here, once, with their addresses and NIP-92 imeta tags
        (media_ids are the blob descriptors upload_media returned). The engine stores it before
        the first publish, so every attempt sends this very event. Writes nothing anywhere."""
        if "event" in prepared or not media_ids:
            return {}
        pair = account_keypair(account)
        blobs = [blossom.Blob.from_id(media_id) for media_id in media_ids]
        return {"event": sign_note(pair, draft, stored_reply(prepared), blobs,
                                   stored_quote(prepared))}

    def publish(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        media_ids: tuple[str, ...],
        prepared: Mapping[str, Any] | None = None,
    ) -> Published:
        event = prepared_event(account, prepared)
        if event is None and media_ids and prepared is not None and "reply" in prepared:
            # Prepared but not staged (a caller that skips stage): sign it now.
            event = self.stage(account, draft, media_ids, prepared)["event"]
        elif event is None and media_ids:
            event = self.stage(account, draft, media_ids,
                               self.prepare(account, draft, idempotency_key))["event"]
        if event is None:
            # No stored event (a caller that did not prepare): sign now. Retries of this call
            # are then new events; the engine always prepares, so it never comes here.
            log.info("publishing a Nostr note that was not prepared: signing it now")
            event = self.prepare(account, draft, idempotency_key)["event"]
        elif not mapping.event_matches_draft(event, draft, event["pubkey"]):
            # The post was edited after the note was signed: sending the old text silently
            # would be wrong, signing a new one could double it. Say so.
            raise Rejected("The post was changed after it was signed for Nostr, and the signed "
                           "note no longer matches it. Post the new text as a new post.")
        return self._send(account, event, what="note")

    def upload_media(self, account: Account, media: MediaFile) -> str:
        """Put the picture on the account's media server (Blossom, or NIP-96 when it announces
        that) and return what the note needs of it as the media id (blossom.Blob as JSON). The
        same bytes give the same blob: a retry is harmless."""
        if not media_server(account):
            raise Rejected(mapping.NO_MEDIA_SERVER)
        if media.is_video:
            raise Rejected("Nostr notes from the hub carry pictures only, not video.")
        pair = account_keypair(account)
        # Over 10 MB (or a type Nostr clients do not show) it goes fitted (networks/image_fit).
        limits = self.image_fit(mapping.default_capabilities(
            has_media_server=True, server_max_bytes=media_max_bytes(account)))
        return upload_picture(account, pair.secret_hex, media, limits)

    def find_published(
        self,
        account: Account,
        draft: Draft,
        idempotency_key: str,
        since: datetime,
        prepared: Mapping[str, Any] | None = None,
    ) -> Published | None:
        """With the stored event: is it on a relay (REQ by id)? Without: a note of ours since
        `since` with the same content, warning and reply target."""
        pair = account_keypair(account)
        event = prepared_event(account, prepared)
        if event is not None:
            wanted: dict[str, Any] = {"ids": [event["id"]]}
        else:
            earliest = int((since - CLOCK_SLACK).timestamp())
            wanted = {"kinds": [1], "authors": [pair.public_hex], "since": earliest}
        with RelayPool(account_relays(account)) as pool:
            result = pool.query([wanted])
        error = mapping.query_error(result, "check for the note")
        if error is not None:
            raise error
        if event is not None:
            found = [e for e in result.events if e["id"] == event["id"]]
        else:
            found = [e for e in result.events
                     if mapping.event_matches_draft(e, draft, pair.public_hex)]
        if not found:
            return None
        first = min(found, key=lambda e: (e["created_at"], e["id"]))
        return mapping.published_from_event(first, result.answered)

    def delete(self, account: Account, remote_id: str) -> None:
        """A NIP-09 deletion request (kind 5) for one of our events. Relays that honour it drop
        the event; sending it again for an event already gone is harmless."""
        pair = account_keypair(account)
        target = _event_id(remote_id)
        deletion = events.sign(
            pair.secret_hex, kind=5, content="", tags=[["e", target], ["k", "1"]]
        )
        self._send(account, deletion, what="deletion", maybe_sent_is_unknown=False)

    # --- engage --------------------------------------------------------------------------------
    def react(self, account: Account, item_remote_id: str, kind: str) -> str:
        """like -> a kind-7 "+" reaction (NIP-25); repost -> a kind-6 repost carrying the note
        (NIP-18). Returns the reaction's event id (`delete` takes it back)."""
        if kind not in REACTIONS:
            raise NotImplementedError(f"Nostr cannot {kind}")
        pair = account_keypair(account)
        ref = _event_ref(item_remote_id)
        target = self._read_event(account, ref)
        if target is None:
            raise NotFound("That note was not found on this account's relays.")
        hint = ref.relays[0] if ref.relays else account_relays(account)[0]
        tags = [["e", target["id"], hint], ["p", target["pubkey"]],
                ["k", str(target["kind"])]]
        if kind == "like":
            reaction = events.sign(pair.secret_hex, kind=7, content="+", tags=tags)
        else:
            content = json.dumps(target, ensure_ascii=False, separators=(",", ":"))
            reaction = events.sign(pair.secret_hex, kind=6, content=content, tags=tags[:2])
        self._send(account, reaction, what=kind)
        return str(reaction["id"])

    # --- read ----------------------------------------------------------------------------------
    def fetch(self, account: Account, feed: str, cursor: str | None = None) -> Page:
        """One page of a feed, newest first. The cursor is the `until` timestamp of the next
        (older) page, with the ids already shown at that second (reading.next_page).
        Feeds: home, mentions, author, hashtag:<tag>, direct (NIP-17 messages, direct.py)."""
        pair = account_keypair(account)
        if feed == DIRECT_FEED:
            return direct.fetch(account, pair, cursor)
        if feed.startswith(("list:", "search:")):  # NIP-51 lists, NIP-50 search: columns.py
            return read_column(account, pair.public_hex, feed, cursor, page_size=PAGE_SIZE,
                               profiles_of=self._profiles, query_error=mapping.query_error)
        position = reading.parse_cursor(cursor)
        with RelayPool(account_relays(account)) as pool:
            follows: list[str] = []
            if feed == "home":
                contacts = pool.query([{"kinds": [3], "authors": [pair.public_hex], "limit": 1}])
                error = mapping.query_error(contacts, "contact list request")
                if error is not None:
                    raise error
                follows = reading.follows_from_contacts(contacts.events, pair.public_hex)
            filters = reading.feed_filters(
                feed, pair.public_hex, follows=follows, until=reading.query_until(position),
                limit=PAGE_SIZE,
            )
            result = pool.query(filters)
            error = mapping.query_error(result, feed)
            if error is not None:
                raise error
            page, next_cursor = reading.next_page(result.events, position, PAGE_SIZE)
            profiles = self._profiles(pool, page)
        items = reading.items_from_events(page, own_pubkey=pair.public_hex, profiles=profiles,
                                          feed=feed, relays=result.answered)
        return Page(items=tuple(items), next_cursor=next_cursor)

    def conversation(self, account: Account, remote_id: str) -> tuple[Item, ...]:
        """The note's NIP-10 thread with reaction counts (networks/nostr/conversation.py)."""
        pair = account_keypair(account)
        opened = self._read_event(account, _event_ref(remote_id))
        if opened is None:
            raise NotFound("That note was not found on this account's relays.")
        with RelayPool(account_relays(account)) as pool:
            return conversation.read(pool, opened, pair.public_hex)

    def send_direct(self, account: Account, conversation: Mapping[str, Any], draft: Draft,
                    idempotency_key: str) -> Published:
        """A NIP-17 message to the conversation's people, safe to retry (direct.py)."""
        return direct.send(account, account_keypair(account), conversation, draft, idempotency_key)

    def can_stream(self, feed: str) -> bool:
        return feed in ("home", "mentions", "author", DIRECT_FEED) or feed.startswith("hashtag:")

    def stream(self, account: Account, feeds: Sequence[str]) -> NostrStream:
        """New items of `feeds` as they arrive (a REQ per feed on every relay, kept open after
        EOSE; each item's extra["feed"] names its feed). Iterate it; `close()` from any thread
        ends it. `wait_ready(seconds)` returns once every relay has sent its stored events, so
        what is published after is live. Relays that drop are reconnected inside (asking again
        since the newest event they sent); only when no relay can ever be used does `next()`
        raise Rejected."""
        pair = account_keypair(account)
        follows: list[str] = []
        if "home" in feeds:
            with RelayPool(account_relays(account)) as pool:
                contacts = pool.query([{"kinds": [3], "authors": [pair.public_hex], "limit": 1}])
            follows = reading.follows_from_contacts(contacts.events, pair.public_hex)
        requests_by_feed = {
            feed: reading.feed_filters(feed, pair.public_hex, follows=follows) for feed in feeds
        }
        live = LiveSubscription(account_relays(account), requests_by_feed, since=int(time.time()),
                                lookback={DIRECT_FEED: direct.STREAM_LOOKBACK_SECONDS})
        return NostrStream(live, pair.public_hex, direct.opener(pair.secret_hex))

    # --- helpers -------------------------------------------------------------------------------
    def _send(self, account: Account, event: events.Event, *, what: str,
              maybe_sent_is_unknown: bool = True) -> Published:
        with RelayPool(account_relays(account)) as pool:
            outcomes = pool.publish(event)
        stored = mapping.stored_on(outcomes, maybe_sent_is_unknown=maybe_sent_is_unknown,
                                   what=what)
        return mapping.published_from_event(event, stored)

    def _read_event(self, account: Account, ref: keys.Entity) -> events.Event | None:
        relays = list(account_relays(account))
        for hint in ref.relays:
            try:
                url = normalize_relay_url(hint)
            except ValueError:
                continue
            if url not in relays:
                relays.append(url)
        with RelayPool(relays) as pool:
            result = pool.query([{"ids": [ref.value]}])
        found = [e for e in result.events if e["id"] == ref.value]
        if found:
            return found[0]
        error = mapping.query_error(result, "request for the note")
        if error is not None:
            raise error
        return None

    def _reply_target(self, account: Account, in_reply_to: str) -> mapping.ReplyTarget:
        ref = _event_ref(in_reply_to)
        parent = self._read_event(account, ref)
        return mapping.reply_target(ref, parent, fallback_relay=account_relays(account)[0])

    def _quote_target(self, account: Account, quote: str) -> mapping.QuoteTarget:
        """The note quoted, read from the account's relays (and the nevent's): one none of
        them has any more is refused, nothing is signed."""
        ref = _event_ref(quote)
        quoted = self._read_event(account, ref)
        if quoted is None:
            raise Rejected("The note quoted is not on this account's relays any more: it "
                           "cannot be quoted.")
        return mapping.quote_target(ref, quoted, fallback_relay=account_relays(account)[0])

    def _profiles(self, pool: RelayPool, page: Sequence[events.Event]) -> dict[
            str, reading.Profile]:
        """Names and pictures of the page's authors (and reposted authors); best effort."""
        authors: list[str] = []
        for event in page:
            authors.append(event["pubkey"])
            if event["kind"] == 6:
                inner = reading.reposted_note(event)
                if inner is not None:
                    authors.append(inner["pubkey"])
        wanted = list(dict.fromkeys(authors))
        if not wanted or not pool.live:
            return {}
        result = pool.query([{"kinds": [0], "authors": wanted}])
        return reading.latest_profiles(result.events)


# --- helpers -----------------------------------------------------------------------------------


def _identity(pair: KeyPair, profile: reading.Profile | None) -> Identity:
    return Identity(
        remote_id=pair.public_hex,
        handle=pair.npub,
        display_name=(profile.name if profile and profile.name else keys.short_npub(
            pair.public_hex)),
        avatar_url=profile.picture if profile else "",
        profile_url=mapping.profile_link(pair.public_hex),
    )


def _event_ref(text: str) -> keys.Entity:
    try:
        return keys.parse_event_ref(text)
    except keys.InvalidKey as exc:
        raise Rejected(f"Not a Nostr note id: {exc}") from None


def _event_id(text: str) -> str:
    return _event_ref(text).value
