"""A Nostr account's media server: the setting (Blossom, or NIP-96 when the server announces
it), and a picture put on it for a note (NIP-92 `imeta` is written from what this returns)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from hubbub.core.image_fit import FitLimits
from hubbub.networks.base import Account, MediaFile
from hubbub.networks.errors import Rejected
from hubbub.networks.image_fit import fitted
from hubbub.networks.nostr import blossom, nip96

# A Blossom server that refuses a picture's size (413) is offered it fitted to half, at most
# this many times, never below the smallest size (then the refusal stands, in its words).
BLOSSOM_SHRINKS = 3
BLOSSOM_SMALLEST = 256 * 1024

MEDIA_SERVER = "media_server"
MEDIA_API = "media_api"  # a NIP-96 server's upload address; absent for a Blossom server
MEDIA_MAX_BYTES = "media_max_bytes"  # the size a NIP-96 server states; absent when none
MEDIA_KEYS = (MEDIA_SERVER, MEDIA_API, MEDIA_MAX_BYTES)


def media_server_setting(typed: str) -> dict[str, Any]:
    """The credentials keys for a typed media server ({} for none), or Rejected with a
    sentence: only http(s) roots the SSRF guard lets the hub reach. A server that announces
    NIP-96 (/.well-known/nostr/nip96.json) is used through it; any other as Blossom."""
    if not typed.strip():
        return {}
    try:
        url = blossom.normalize_server_url(typed)
        blossom.check_reachable(url)
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    found = nip96.discover(url)
    setting: dict[str, Any] = {MEDIA_SERVER: url}
    if found is not None:
        setting[MEDIA_API] = found.api_url
        if found.max_bytes:
            setting[MEDIA_MAX_BYTES] = found.max_bytes
    return setting


def media_server(account: Account) -> str:
    return str(account.credentials.get(MEDIA_SERVER) or "")


def media_max_bytes(account: Account) -> int:
    value = account.credentials.get(MEDIA_MAX_BYTES)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def upload_picture(account: Account, secret_hex: str, media: MediaFile,
                   limits: FitLimits) -> str:
    """The picture on the account's media server, fitted to `limits`; the media id the note
    needs (blossom.Blob as JSON)."""
    picture = fitted(media, limits, "the media server")
    api_url = str(account.credentials.get(MEDIA_API) or "")
    if api_url:
        blob = nip96.upload(api_url, secret_hex, picture.data, picture.mime_type,
                            media.alt_text)
    else:
        # A Blossom server states no size limit before it is asked (BUD-06 answers 413 to
        # HEAD /upload, before any bytes go): a refused size is fitted to half, a few times.
        for smaller in range(BLOSSOM_SHRINKS + 1):
            try:
                blob = blossom.upload(media_server(account), secret_hex, picture.data,
                                      picture.mime_type)
                break
            except blossom.TooLarge:
                if smaller == BLOSSOM_SHRINKS or len(picture.data) <= BLOSSOM_SMALLEST:
                    raise
                limits = replace(limits, max_bytes=max(len(picture.data) // 2,
                                                       BLOSSOM_SMALLEST))
                picture = fitted(media, limits, "the media server")
    if blob.sha256 != hashlib.sha256(picture.data).hexdigest():
        return blob.to_id()  # the server changed it (NIP-96): as the server describes it
    return replace(blob, width=picture.width, height=picture.height).to_id()
