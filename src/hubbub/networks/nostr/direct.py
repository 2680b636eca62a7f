"""Nostr direct messages (NIP-17): the feed `direct` and `send_direct` (the inbox, issue 12).

Reading: the gift wraps (kind 1059) tagged with the account's key, from its relays and the DM
relays its own kind-10050 list names; each is opened (giftwrap.unwrap) and its kind-14 message
becomes an Item of kind "direct". A wrap that cannot be opened or is not honest (a bad MAC, a
seal signed by someone else than the message's author, an oversized payload) is skipped with a
log line. Paging is by the wraps' own (backdated) times, as relays only know those.

Sending: one wrap per recipient, to the relays of their kind-10050 list (the account's relays
when they have none), and one to the account itself, first, to its own list's relays (or its
relays). A retry with the same idempotency key looks for the wraps an earlier attempt made
(their one-time keys are derived from the key, giftwrap.py), takes the message's time from
one, and so makes the very same events again: relays answer "duplicate" and nobody gets a
message twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hubbub.networks.base import DIRECT_FEED, Account, Draft, Item, Page, Published
from hubbub.networks.errors import Rejected
from hubbub.networks.nostr import giftwrap, keys, mapping, nip44, reading
from hubbub.networks.nostr.account_relays import account_relays
from hubbub.networks.nostr.events import Event, tag_values
from hubbub.networks.nostr.keys import KeyPair
from hubbub.networks.nostr.relay import RelayPool, normalize_relay_url

log = logging.getLogger(__name__)

PAGE_SIZE = 40
INBOX_RELAYS_KIND = 10050  # NIP-17: the relays a person reads their direct messages from
MOST_INBOX_RELAYS = 5  # of one person's list (NIP-17 asks lists to be kept to 1-3)
MOST_RECIPIENTS = 10  # NIP-17: bigger groups should use another scheme
# A received message naming more people than this is skipped: no chat room is that big, and its
# conversation key (every participant's key) would be stored with each of its items.
MOST_PARTICIPANTS_READ = 100
# A live subscription asks this far back: wraps are dated up to two days before they are sent.
STREAM_LOOKBACK_SECONDS = giftwrap.BACKDATE_SECONDS + 600


def wraps_filter(own_pubkey: str) -> dict[str, Any]:
    return {"kinds": [giftwrap.GIFT_WRAP_KIND], "#p": [own_pubkey]}


def inbox_relays_from(found: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each author's newest kind-10050 list: its `relay` tags, normalized (unusable ones left
    out), at most MOST_INBOX_RELAYS. Authors whose list names no usable relay are left out."""
    newest: dict[str, Mapping[str, Any]] = {}
    for event in found:
        if event.get("kind") != INBOX_RELAYS_KIND:
            continue
        known = newest.get(event["pubkey"])
        if known is None or (event["created_at"], event["id"]) > (known["created_at"],
                                                                   known["id"]):
            newest[event["pubkey"]] = event
    lists: dict[str, list[str]] = {}
    for pubkey, event in newest.items():
        urls: list[str] = []
        for text in tag_values(event, "relay"):
            try:
                url = normalize_relay_url(text)
            except ValueError:
                continue
            if url not in urls:
                urls.append(url)
        if urls:
            lists[pubkey] = urls[:MOST_INBOX_RELAYS]
    return lists


def _inbox_lists(account: Account, pubkeys: Sequence[str]) -> dict[str, list[str]]:
    with RelayPool(account_relays(account)) as pool:
        result = pool.query([{"kinds": [INBOX_RELAYS_KIND], "authors": list(pubkeys)}])
    error = mapping.query_error(result, "request for DM relay lists")
    if error is not None:
        raise error
    return inbox_relays_from(result.events)


def read_relays(account: Account, own_inbox: Sequence[str]) -> list[str]:
    """Where the account's messages are: its relays, then its own list's."""
    relays = list(account_relays(account))
    return relays + [url for url in own_inbox if url not in relays]


# --- reading ----------------------------------------------------------------------------------


def fetch(account: Account, pair: KeyPair, cursor: str | None) -> Page:
    """A page of direct messages, by the wraps' times, newest first (see reading.next_page)."""
    position = reading.parse_cursor(cursor)
    own_inbox = _inbox_lists(account, [pair.public_hex]).get(pair.public_hex, [])
    window: dict[str, Any] = {"limit": PAGE_SIZE}
    until = reading.query_until(position)
    if until is not None:
        window["until"] = until
    with RelayPool(read_relays(account, own_inbox)) as pool:
        result = pool.query([{**wraps_filter(pair.public_hex), **window}])
        error = mapping.query_error(result, "request for direct messages")
        if error is not None:
            raise error
        page, next_cursor = reading.next_page(result.events, position, PAGE_SIZE)
        opened = open_wraps(pair.secret_hex, page)
        profiles = _profiles(pool, [o.sender for o in opened])
    items = [item for o in opened
             if (item := item_from_opened(o, pair.public_hex, profiles, DIRECT_FEED))]
    return Page(items=tuple(items), next_cursor=next_cursor)


def open_wraps(own_secret: str, wraps: Iterable[Event]) -> list[giftwrap.Opened]:
    """The wraps that open, each message once (a message can come in several wraps)."""
    opened: dict[str, giftwrap.Opened] = {}
    for wrap in wraps:
        found = open_wrap(own_secret, wrap)
        if found is not None:
            opened.setdefault(str(found.rumor["id"]), found)
    return list(opened.values())


def open_wrap(own_secret: str, wrap: Mapping[str, Any]) -> giftwrap.Opened | None:
    try:
        return giftwrap.unwrap(own_secret, wrap)
    except giftwrap.GiftWrapError as exc:
        log.warning("skipped a Nostr gift wrap %.16s: %s", wrap.get("id"), exc)
        return None


def _profiles(pool: RelayPool, authors: Sequence[str]) -> dict[str, reading.Profile]:
    wanted = list(dict.fromkeys(authors))
    if not wanted or not pool.live:
        return {}
    return reading.latest_profiles(pool.query([{"kinds": [0], "authors": wanted}]).events)


def item_from_opened(opened: giftwrap.Opened, own_pubkey: str,
                     profiles: Mapping[str, reading.Profile] | None = None,
                     feed: str = "") -> Item | None:
    """A kind-14 message as an Item of kind "direct"; None (logged) for other kinds (files,
    reactions) and for a message that cannot be shown (a date past the year 9999)."""
    rumor = opened.rumor
    if rumor["kind"] != giftwrap.CHAT_KIND:
        log.info("skipped a Nostr direct message of kind %s (only kind 14 is read)",
                 rumor["kind"])
        return None
    try:
        when = datetime.fromtimestamp(int(rumor["created_at"]), UTC)
    except (OverflowError, OSError, ValueError):
        log.warning("skipped a Nostr direct message %.16s: its date cannot be read", rumor["id"])
        return None
    author = opened.sender
    people = giftwrap.participants(rumor, own_pubkey)
    if len(people) > MOST_PARTICIPANTS_READ:
        log.warning("skipped a Nostr direct message %.16s naming %d people", rumor["id"],
                    len(people))
        return None
    profile = (profiles or {}).get(author, reading.Profile())
    extra: dict[str, Any] = {
        "conversation": ",".join(people),
        "participants": [keys.npub(p) for p in people if p != own_pubkey],
        "nostr_kind": giftwrap.CHAT_KIND,
        "author_url": mapping.profile_link(author),
        "wrap_id": opened.wrap_id,
    }
    replied = [e for e in tag_values(rumor, "e") if keys.is_hex32(e)]
    if replied:
        extra["in_reply_to"] = replied[0]
    subject = tag_values(rumor, "subject")
    if subject:
        extra["subject"] = subject[-1][:300]
    if feed:
        extra["feed"] = feed
    return Item(
        remote_id=str(rumor["id"]),
        kind="direct",
        author_handle=keys.npub(author),
        author_name=profile.name or keys.short_npub(author),
        created_at=when,
        text=str(rumor["content"]),
        html="",
        url="",
        author_avatar=profile.picture,
        extra=extra,
    )


# --- sending ----------------------------------------------------------------------------------


def recipients(conversation: Mapping[str, Any], own_pubkey: str) -> list[str]:
    """The other people of the conversation (hex keys, sorted) from its "conversation" (hex
    keys joined by ",") or, without one, its "participants" (npubs)."""
    named = [p.strip().lower() for p in str(conversation.get("conversation") or "").split(",")
             if p.strip()]
    if not named:
        named = []
        for text in conversation.get("participants") or ():
            try:
                named.append(keys.parse_pubkey(str(text)))
            except keys.InvalidKey:
                raise Rejected("A participant of this conversation is not a Nostr public "
                               "key.") from None
    if not all(keys.is_hex32(p) and giftwrap.is_point(p) for p in named):
        raise Rejected("This conversation names someone who is not a Nostr public key.")
    others = sorted(set(named) - {own_pubkey})
    if not others:
        raise Rejected("This conversation names nobody to write to.")
    if len(others) > MOST_RECIPIENTS:
        raise Rejected(f"Nostr direct messages go to at most {MOST_RECIPIENTS} people "
                       f"(this conversation has {len(others)}).")
    return others


def _check_draft(draft: Draft) -> None:
    if draft.media:
        raise Rejected("Nostr direct messages from the hub carry text only, not pictures.")
    if draft.content_warning:
        raise Rejected("Nostr direct messages carry no content warning: write it in the text.")
    if not draft.text.strip():
        raise Rejected("Write something.")


def send(account: Account, pair: KeyPair, conversation: Mapping[str, Any], draft: Draft,
         idempotency_key: str) -> Published:
    """Seal and wrap the message for each recipient and the account, then publish (the
    account's own copy first). Nothing is sent unless every wrap could be made: a message too
    long for NIP-44 is refused before any relay hears of it. Safe to call again with the same
    key (see the module's docstring); a relay that took nothing raises Transient."""
    _check_draft(draft)
    own = pair.public_hex
    others = recipients(conversation, own)
    reply_to = str(conversation.get("remote_id") or "")
    reply_to = reply_to if keys.is_hex32(reply_to) else ""
    inboxes = _inbox_lists(account, [own, *others])
    targets = {who: inboxes.get(who) or account_relays(account) for who in (own, *others)}
    earlier = _earlier_copy(pair, targets, idempotency_key)
    try:
        rumor = giftwrap.chat_rumor(own, others, draft.text,
                                    int(earlier["created_at"]) if earlier else int(time.time()),
                                    reply_to)
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    if earlier is not None and earlier["id"] != rumor["id"]:
        raise Rejected("This message was already sent with other words or to other people; "
                       "send the new text as a new message.")
    wraps = {who: _wrap(pair, rumor, who, idempotency_key) for who in (own, *others)}
    for who in (own, *others):  # the own copy first
        _publish(targets[who], wraps[who])
    return Published(remote_id=str(rumor["id"]), url="",
                     created_at=datetime.fromtimestamp(int(rumor["created_at"]), UTC))


def _wrap(pair: KeyPair, rumor: Mapping[str, Any], recipient: str, key: str) -> Event:
    try:
        return giftwrap.wrap(pair.secret_hex, rumor, recipient, key)
    except nip44.MessageTooLong:
        size = len(str(rumor["content"]).encode("utf-8"))
        raise Rejected(f"This message is too long for a Nostr direct message ({size:,} bytes; "
                       "encrypted twice it must stay within NIP-44's 65,535 bytes: about "
                       "40,000 bytes of text). Shorten it.") from None
    except nip44.Nip44Error as exc:
        raise Rejected(f"This message cannot be encrypted ({exc}).") from None


def _earlier_copy(pair: KeyPair, targets: Mapping[str, Sequence[str]],
                  idempotency_key: str) -> dict[str, Any] | None:
    """The message an earlier attempt with this key sent, from any of its wraps (the own copy
    or a recipient's: their one-time keys are derived from the key and the person alone, and
    the sender can open them all), on every relay they would have gone to. Only the one-time
    keys are asked for, which link nobody to anybody."""
    one_time = [giftwrap.public_of(giftwrap.wrap_secret(pair.secret_hex, idempotency_key, who))
                for who in targets]
    relays = list(dict.fromkeys(url for urls in targets.values() for url in urls))
    with RelayPool(relays) as pool:
        result = pool.query([{"kinds": [giftwrap.GIFT_WRAP_KIND], "authors": one_time}])
    error = mapping.query_error(result, "check for an earlier copy of the message")
    if error is not None:
        raise error
    for wrap in result.events:
        try:
            return giftwrap.open_sent(pair.secret_hex, idempotency_key, wrap).rumor
        except giftwrap.GiftWrapError as exc:
            log.warning("an earlier Nostr wrap %.16s did not open: %s", wrap.get("id"), exc)
    return None


def _publish(relays: Sequence[str], wrap: Event) -> list[str]:
    with RelayPool(relays) as pool:
        outcomes = pool.publish(wrap)
    # The same wraps come out of a retry, so a relay that did not answer is no doubt: Transient.
    return mapping.stored_on(outcomes, maybe_sent_is_unknown=False, what="direct message")


def opener(own_secret: str) -> Callable[[Event, str], Item | None]:
    """What a live stream does with a gift wrap: open it and give its message as an Item."""
    own_pubkey = giftwrap.public_of(own_secret)

    def open_one(wrap: Event, feed: str) -> Item | None:
        found = open_wrap(own_secret, wrap)
        return item_from_opened(found, own_pubkey, feed=feed) if found is not None else None

    return open_one
