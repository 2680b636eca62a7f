"""The account's key and the notes it signs: the key read from the stored credentials (a
missing or broken one means reconnecting), a kind-1 note signed with its tags and pictures, and
the checks on what `prepare`/`stage` stored for a delivery (intact, signed by this account)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hubbub.networks.base import Account, Draft
from hubbub.networks.errors import Rejected, Revoked
from hubbub.networks.nostr import blossom, events, keys, mapping
from hubbub.networks.nostr.keys import KeyPair


def account_keypair(account: Account) -> KeyPair:
    secret = str(account.credentials.get("secret_key_hex") or "")
    if not secret:
        raise Revoked("No secret key is stored for this Nostr account: reconnect it.")
    try:
        return keys.keypair_from_secret_hex(secret)
    except keys.InvalidKey:
        raise Revoked("The stored Nostr key is not usable: reconnect the account.") from None


def sign_note(pair: KeyPair, draft: Draft, reply: mapping.ReplyTarget | None,
              blobs: Sequence[blossom.Blob],
              quote: mapping.QuoteTarget | None = None) -> events.Event:
    tags = mapping.note_tags(draft, pair.public_hex, reply, quote)
    for blob, media in zip(blobs, draft.media, strict=False):
        tags.append(blossom.imeta_tag(blob, alt=media.alt_text, width=media.width,
                                      height=media.height))
    try:
        return events.sign(
            pair.secret_hex,
            kind=1,
            content=mapping.note_content(draft.text, [b.url for b in blobs], quote),
            tags=tags,
        )
    except ValueError as exc:
        raise Rejected(str(exc)) from None


def stored_reply(prepared: Mapping[str, Any]) -> mapping.ReplyTarget | None:
    data = prepared.get("reply")
    if not isinstance(data, Mapping):
        return None
    fields = dict(data)
    fields["parent_p"] = tuple(fields.get("parent_p") or ())
    try:
        return mapping.ReplyTarget(**fields)
    except TypeError:
        raise Rejected("The reply prepared for this delivery is damaged: post it again.") from None


def stored_quote(prepared: Mapping[str, Any]) -> mapping.QuoteTarget | None:
    """The note quoted, as prepare() read it for a note signed later (with its pictures)."""
    data = prepared.get("quote")
    if not isinstance(data, Mapping):
        return None
    try:
        return mapping.QuoteTarget(**dict(data))
    except TypeError:
        raise Rejected("The quote prepared for this delivery is damaged: post it again.") from None


def prepared_event(account: Account, prepared: Mapping[str, Any] | None) -> events.Event | None:
    """The stored signed event (prepared, or staged for a note with pictures), checked: it must
    be intact and signed by this account's key."""
    if not prepared:
        return None
    staged = prepared.get("stage")
    event = prepared.get("event") or (staged.get("event") if isinstance(staged, Mapping)
                                      else None)
    if event is None:
        return None
    if not events.verify(event):
        raise Rejected("The note prepared for this delivery is damaged (bad id or signature).")
    pair = account_keypair(account)
    if event["pubkey"] != pair.public_hex:
        raise Rejected("The note was signed with another key than this account's (was the "
                       "account reconnected with a different key?). Post it again.")
    return dict(event)
