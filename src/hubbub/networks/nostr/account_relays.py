"""The relays a Nostr account uses: the list stored with it or typed when connecting, each
relay's NIP-11 document, and the sentence given when none of them answered."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from hubbub.core.http import guarded_session
from hubbub.networks.base import Account
from hubbub.networks.errors import NotFound, Rejected, Transient
from hubbub.networks.nostr.relay import RelayFailure, http_url, normalize_relay_url

log = logging.getLogger(__name__)


def account_relays(account: Account) -> list[str]:
    stored = account.credentials.get("relays")
    relays = [str(r) for r in stored] if isinstance(stored, list) else []
    if not relays and account.base_url:
        relays = [account.base_url]
    if not relays:
        raise Rejected("No relay is configured for this Nostr account: reconnect it with one.")
    return relays


def relay_list(base_url: str, given: object) -> list[str]:
    raw: list[str] = []
    if isinstance(given, str):
        raw.extend(given.split())
    elif isinstance(given, list | tuple):
        raw.extend(str(r) for r in given)
    if base_url:
        raw.insert(0, base_url)
    relays: list[str] = []
    for text in raw:
        if not text.strip():
            continue
        try:
            url = normalize_relay_url(text)
        except ValueError as exc:
            raise Rejected(str(exc)) from None
        if url not in relays:
            relays.append(url)
    if not relays:
        raise Rejected("Give at least one relay address (wss://...).")
    return relays


def no_relay_answered(failures: Mapping[str, RelayFailure]) -> Rejected | NotFound | Transient:
    """A connect where no relay answered: an error that says, for each relay, why."""
    said = "; ".join(f"{url}: {f.reason}" for url, f in failures.items())
    kinds = {f.kind for f in failures.values()}
    if kinds <= {"blocked", "invalid_url"}:
        return Rejected(f"No relay can be used from this hub ({said})")
    if kinds <= {"blocked", "invalid_url", "dns", "refused", "tls", "handshake", "http_status"}:
        return NotFound(f"No Nostr relay answered ({said})")
    return Transient(f"No Nostr relay answered ({said})")


def nip11_document(relay_url: str) -> object | None:
    """The relay's NIP-11 document, or None when it serves none (or cannot be reached)."""
    session = guarded_session()
    try:
        response = session.get(http_url(relay_url),
                               headers={"Accept": "application/nostr+json"})
    except (requests.RequestException, ValueError) as exc:
        log.info("no NIP-11 document from %s: %s", urlsplit(relay_url).netloc, exc)
        return None
    finally:
        session.close()
    if response.status_code != 200:
        return None
    try:
        document: object = response.json()
    except ValueError:
        return None
    return document
