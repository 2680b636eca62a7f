"""Whether a value typed as an account or a language can ever match what the networks give: the
shape of a Mastodon handle, a Bluesky handle or DID, a Nostr npub, a language code. The rule
form, the allow-list form and a Person's accounts refuse what cannot, saying so, instead of
keeping a value that then matches nothing.

Values are checked as `listening.text.author_key` gives them (no leading @, lower case, a hex
Nostr key as its npub)."""

from __future__ import annotations

import re

# How a message quotes a value: the networks' own, re-exported for the listening forms.
from hubbub.networks.column_params import shown as shown

# user@server, the server with an optional port (a local server: localhost:3000).
_MASTODON = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)*(:\d{1,5})?$")
# A domain name of at least two labels (atproto handle syntax).
_BLUESKY = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_DID = re.compile(r"^did:[a-z]+:[a-z0-9._:%-]+$")
# One word as other networks' handles are (X, Threads...): letters, digits, _ . -
_WORD = re.compile(r"^[\w.-]+$")
# BCP 47's primary language subtag is an ISO 639 code of 2 or 3 letters; subtags follow.
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")

EXAMPLES = {
    "mastodon": "@name@server (such as @ana@social.example)",
    "bluesky": "a handle such as ana.bsky.social, or a DID such as did:plc:…",
    "nostr": "an npub (npub1 and 58 more letters and digits) or a 64-character hex key",
}
NETWORK_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "nostr": "Nostr"}


def is_npub(key: str) -> bool:
    """A well-formed npub: bech32 that holds a 32-byte key."""
    from hubbub.networks.nostr import keys

    try:
        return keys.decode(key).prefix == "npub"
    except (ValueError, TypeError):
        return False


def fits_network(network: str, key: str) -> bool:
    """Whether `key` (as author_key gives it) is an account of `network`'s shape. A network
    without a known shape here (X, Threads...) takes any one word."""
    if network == "mastodon":
        return bool(_MASTODON.match(key))
    if network == "bluesky":
        return len(key) <= 253 and bool(_BLUESKY.match(key) or _DID.match(key))
    if network == "nostr":
        return key.startswith("npub1") and is_npub(key)
    return True


def is_author(key: str) -> bool:
    """Whether `key` is an account of any network: an npub must be a real one (an invalid npub
    is never any author's), anything else a handle's or DID's shape."""
    if key.startswith("npub1"):
        return is_npub(key)
    return bool(_MASTODON.match(key) or _DID.match(key) or _WORD.match(key))


def network_refusal(network: str, value: str) -> str:
    """The sentence for a value that is not an account of `network`."""
    name = NETWORK_NAMES.get(network, network.capitalize())
    quoted = shown(value)
    if network == "nostr":
        return f"“{quoted}” is not a valid Nostr key: give {EXAMPLES['nostr']}."
    return f"“{quoted}” is not a {name} account: give {EXAMPLES.get(network, 'its handle')}."


def author_refusal(value: str) -> str:
    quoted = shown(value)
    if value.strip().lstrip("@").lower().startswith("npub1"):
        return f"“{quoted}” is not a valid npub: a character is wrong or missing."
    return (f"“{quoted}” is not a handle, DID or npub (such as @ana@social.example, "
            "ana.bsky.social, did:plc:… or npub1…).")


def is_language(value: str) -> bool:
    return bool(_LANGUAGE.match(value.strip().lower()))


def language_refusal(value: str) -> str:
    return (f"“{shown(value)}” is not a language code: give a BCP 47 / ISO 639 code such as "
            "en, de or pt-BR.")
