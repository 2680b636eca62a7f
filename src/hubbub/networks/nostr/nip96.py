"""Pictures for Nostr notes on a NIP-96 file storage server, for media servers that announce it.

A server that serves `/.well-known/nostr/nip96.json` with an `api_url` (or a `delegated_to_url`
whose own document has one) takes uploads as `POST <api_url>` (multipart/form-data: `file`,
`content_type`, `size`, `alt`, `no_transform`), authorized by a NIP-98 event (kind 27235: `u` the
api_url, `method` POST, `payload` the file's sha256) signed with the account's key, sent as
`Authorization: Nostr <base64>`. The answer's `nip94_event` tags give the address (`url`), the
hash of the bytes sent (`ox`, checked against ours) and of what the server keeps (`x`), its type,
size and dimensions. 200 (known), 201 (new) and 202 (processing: the server serves the original
meanwhile, at the address it gives) are all an upload.

A 202 may carry a `processing_url`: the spec's "delayed processing". It is asked (GET, through
the same guarded session) until the server answers 201 with the processed file's description
(its `x`, size and dimensions, which the 202 may lack); while it answers 200 with `status`
"processing", it is asked again, first after POLL_FIRST seconds, then twice as long each
time up to POLL_MOST (or after the Retry-After it gives, as long, at most POLL_MOST), at most
POLLS times (about half a minute in all). A `status` "error" is a refusal in the server's
words. Still processing after that, or the address not answering, the 202's own description
stands: the spec has the server serve the original at that address meanwhile.

Uploading the same file again is harmless (the server keys files by `ox`), so failures without
an answer are Transient, as for Blossom. Every request goes through the guarded session.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from hubbub.core.http import BlockedDestination, guarded_session
from hubbub.core.sanitize import safe_url
from hubbub.networks.errors import Rejected, Transient
from hubbub.networks.nostr import events
from hubbub.networks.nostr.blossom import Blob, no_answer, refusal

HTTP_AUTH_KIND = 27235
WELL_KNOWN = "/.well-known/nostr/nip96.json"
NAME = "The media server"
POLL_FIRST = 0.25  # seconds before the processing_url is first asked
POLL_MOST = 4.0  # the longest wait between two questions
POLLS = 12  # questions at most: about 0.25 + 0.5 + 1 + 2 + 8 x 4 = 36 s in all


@dataclass(frozen=True)
class Nip96Server:
    api_url: str
    max_bytes: int = 0  # its free plan's max_byte_size; 0 when it states none


def discover(server_url: str) -> Nip96Server | None:
    """The server's NIP-96 upload address (and size limit), when it announces one (following
    one `delegated_to_url`); None when it does not (or cannot be asked now): a Blossom server."""
    session = guarded_session()
    try:
        document = _document(session, server_url)
        if document is not None and not document.get("api_url"):
            delegated = safe_url(str(document.get("delegated_to_url") or ""))
            document = _document(session, delegated.rstrip("/")) if delegated else None
    finally:
        session.close()
    if document is None:
        return None
    api_url = safe_url(str(document.get("api_url") or "")).rstrip("/")
    if not api_url:
        return None
    plans = document.get("plans")
    free = plans.get("free") if isinstance(plans, Mapping) else None
    most = free.get("max_byte_size") if isinstance(free, Mapping) else None
    usable = isinstance(most, int) and not isinstance(most, bool) and most > 0
    return Nip96Server(api_url, most if usable and isinstance(most, int) else 0)


def _document(session: requests.Session, root: str) -> Mapping[str, Any] | None:
    try:
        answer = session.get(root + WELL_KNOWN, allow_redirects=False)
        if answer.status_code != 200:
            return None
        data: object = answer.json()
    except (requests.RequestException, BlockedDestination, ValueError):
        return None
    return data if isinstance(data, Mapping) else None


def auth_header(secret_hex: str, api_url: str, sha256: str, *, now: int | None = None) -> str:
    """`Nostr <base64 of a signed kind-27235 event>` (NIP-98) for POSTing one file."""
    event = events.sign(
        secret_hex, kind=HTTP_AUTH_KIND, content="",
        created_at=int(time.time()) if now is None else now,
        tags=[["u", api_url], ["method", "POST"], ["payload", sha256]],
    )
    raw = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return "Nostr " + base64.b64encode(raw).decode("ascii")


def upload(api_url: str, secret_hex: str, data: bytes, mime_type: str, alt: str = "") -> Blob:
    """POST one picture; return what the note needs, checked against the bytes sent."""
    sha256 = hashlib.sha256(data).hexdigest()
    extension = mime_type.removeprefix("image/").replace("jpeg", "jpg")
    session = guarded_session()
    try:
        answer = session.post(
            api_url,
            headers={"Authorization": auth_header(secret_hex, api_url, sha256)},
            files={"file": (f"{sha256}.{extension}", data, mime_type)},
            data={"content_type": mime_type, "size": str(len(data)), "alt": alt.strip(),
                  "caption": "", "no_transform": "true"},
            allow_redirects=False,
        )
        body = _json(answer)
        if answer.status_code not in (200, 201, 202):
            raise refusal(answer, str(body.get("message") or "") if body else "")
        processing = str(body.get("processing_url") or "") if body else ""
        if answer.status_code == 202 and processing:
            body = _processed(session, urljoin(api_url, processing), body)
    except (requests.RequestException, BlockedDestination) as exc:
        raise no_answer(exc) from None
    finally:
        session.close()
    return _described(body, sha256, len(data), mime_type)


def _processed(session: requests.Session, processing_url: str,
               accepted: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The description of the processed file, once the server says it is done; the 202's
    own when it is not done in time (or cannot be asked)."""
    url = safe_url(processing_url)
    if not url:
        return accepted
    wait = POLL_FIRST
    for _ in range(POLLS):
        time.sleep(wait)
        try:
            answer = session.get(url, allow_redirects=False)
        except (requests.RequestException, BlockedDestination):
            return accepted
        body = _json(answer)
        status = str(body.get("status") or "") if body else ""
        if answer.status_code == 201 and body is not None:
            return body
        if status == "error":
            said = str(body.get("message") or "") if body else ""
            raise Rejected(f"{NAME} could not process the picture"
                           + (f" (it said: {said[:300]})." if said else "."))
        if answer.status_code != 200 or status != "processing":
            return accepted  # an answer the spec does not give: keep what the upload said
        wait = min(_retry_after(answer) or wait * 2, POLL_MOST)
    return accepted


def _retry_after(answer: requests.Response) -> float:
    value = answer.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return seconds if 0 < seconds < 3600 else 0.0


def _json(answer: requests.Response) -> Mapping[str, Any] | None:
    try:
        data: object = answer.json()
    except ValueError:
        return None
    return data if isinstance(data, Mapping) else None


def _described(body: Mapping[str, Any] | None, sha256: str, size: int,
               mime_type: str) -> Blob:
    event = body.get("nip94_event") if body else None
    tags = event.get("tags") if isinstance(event, Mapping) else None
    if not isinstance(tags, list):
        raise Transient(f"{NAME} accepted the picture but did not say where it is; trying "
                        "again")
    found: dict[str, str] = {}
    for tag in tags:
        if isinstance(tag, list) and len(tag) > 1 and isinstance(tag[0], str):
            found.setdefault(tag[0], str(tag[1]))
    original = found.get("ox", "").lower()
    if original != sha256:
        raise Rejected(f"{NAME} says it received a different file (ox {original[:12] or '?'}… "
                       f"instead of {sha256[:12]}…), so it cannot be used for this post.")
    url = safe_url(found.get("url", ""))
    if not url:
        raise Rejected(f"{NAME} gave no usable address for the picture "
                       f"({found.get('url')!r}).")
    kept = found.get("x", "").lower() or sha256
    if kept == sha256:  # kept as sent: what we know of our bytes holds
        return Blob(url=url, sha256=sha256, size=size, mime_type=mime_type)
    # The server changed the file despite no_transform: describe what it serves.
    # Dimensions it does not state are unknown (-1: not those of the file sent).
    width, _, height = found.get("dim", "").partition("x")
    known = width.isdigit() and height.isdigit()
    return Blob(url=url, sha256=kept,
                size=int(found["size"]) if found.get("size", "").isdigit() else 0,
                mime_type=found.get("m") or mime_type,
                width=int(width) if known else -1, height=int(height) if known else -1)
