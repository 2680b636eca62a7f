"""Fetching what a link card shows: the page's head and its image, through the guarded session.

Used while building a post; any failure here means "no card" (or a card without a picture),
never a failed post, so these functions return None instead of raising.
"""

from __future__ import annotations

import logging

import requests

from hubbub.core.http import default_timeout, guarded_session
from hubbub.networks.bluesky.media import LinkCard, card_from_html

log = logging.getLogger(__name__)

PAGE_MAX_BYTES = 512 * 1024  # the <head> is near the top
IMAGE_MAX_BYTES = 10 * 1024 * 1024  # before downscaling
CARD_TIMEOUT_SECONDS = 5.0


def _timeout() -> float:
    return min(default_timeout(), CARD_TIMEOUT_SECONDS)


def _read(response: requests.Response, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=16 * 1024):
        size += len(chunk)
        if size > limit:
            return b"".join(chunks) if limit == PAGE_MAX_BYTES else None
        chunks.append(chunk)
    return b"".join(chunks)


def fetch_card(url: str) -> LinkCard | None:
    session = guarded_session(_timeout())
    try:
        with session.get(
            url, stream=True, headers={"Accept": "text/html,application/xhtml+xml"}
        ) as response:
            content_type = response.headers.get("Content-Type", "").lower()
            if response.status_code != 200 or "html" not in content_type:
                return None
            body = _read(response, PAGE_MAX_BYTES)
            encoding = response.encoding or "utf-8"
            final_url = response.url or url
    except (requests.RequestException, ValueError, OSError) as exc:
        log.info("no link card for %s: %s", url, exc)
        return None
    finally:
        session.close()
    if not body:
        return None
    try:
        text = body.decode(encoding, "replace")
    except LookupError:  # an encoding name Python does not know
        text = body.decode("utf-8", "replace")
    card = card_from_html(final_url, text)
    # The card links where the person linked, even when the page redirected.
    return LinkCard(url, card.title, card.description, card.image_url) if card else None


def fetch_image(url: str) -> bytes | None:
    session = guarded_session(_timeout())
    try:
        with session.get(url, stream=True, headers={"Accept": "image/*"}) as response:
            if response.status_code != 200:
                return None
            if not response.headers.get("Content-Type", "").lower().startswith("image/"):
                return None
            return _read(response, IMAGE_MAX_BYTES)
    except (requests.RequestException, ValueError, OSError) as exc:
        log.info("no card image from %s: %s", url, exc)
        return None
    finally:
        session.close()
