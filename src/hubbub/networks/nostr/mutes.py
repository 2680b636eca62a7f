"""A Nostr account's public mute list (NIP-51, kind 10000), for importing into Rules: read from
the account's relays, the newest list wins (a replaceable event). `p` tags are muted keys
(hex), `t` hashtags, `word` words; `e` tags (muted threads) are not imported, nor the private
entries a list may carry encrypted in its content."""

from __future__ import annotations

from hubbub.networks.base import Account
from hubbub.networks.mutes import MAX_ENTRIES, Found, Muted
from hubbub.networks.nostr import keys, mapping
from hubbub.networks.nostr.account_relays import account_relays
from hubbub.networks.nostr.events import Event
from hubbub.networks.nostr.notes import account_keypair
from hubbub.networks.nostr.relay import RelayPool

MUTE_LIST = 10000
_KINDS = {"p": ("author", "muted key"), "t": ("hashtag", "muted hashtag"),
          "word": ("words", "muted word")}


def from_event(event: Event | None) -> Found:
    """What one kind-10000 event mutes (None: the account has no mute list)."""
    found = Found()
    if event is None:
        return found
    threads = 0
    read = 0
    for tag in event.get("tags") or ():
        if not isinstance(tag, list) or len(tag) < 2 or not isinstance(tag[1], str):
            continue
        name, value = tag[0], tag[1].strip()
        if name == "e":
            threads += 1
            continue
        if name not in _KINDS or not value:
            continue
        if name == "p" and not keys.is_hex32(value.lower()):
            found.skipped.append(f"muted key “{value[:20]}”: not a Nostr public key")
            continue
        if read >= MAX_ENTRIES:
            found.skipped.append(f"more than {MAX_ENTRIES} entries: the rest were not read")
            break
        kind, what = _KINDS[name]
        found.entries.append(Muted(kind, value.lower() if name == "p" else value, what))
        read += 1
    if threads:
        found.skipped.append(f"{threads} muted threads (e tags): rules name authors and words, "
                             "not threads")
    if str(event.get("content") or "").strip():
        found.skipped.append("the list's private (encrypted) entries: only its public entries "
                             "are imported")
    return found


def read_account(account: Account) -> Found:
    """The account's newest mute list from its relays; no relay answering is a ConnectorError."""
    public = account_keypair(account).public_hex
    with RelayPool(account_relays(account)) as pool:
        result = pool.query([{"kinds": [MUTE_LIST], "authors": [public], "limit": 1}])
    error = mapping.query_error(result, "mute list request")
    if error is not None:
        raise error
    mine = [e for e in result.events if e.get("pubkey") == public and e.get("kind") == MUTE_LIST]
    newest = max(mine, key=lambda e: (e["created_at"], e["id"]), default=None)
    return from_event(newest)
