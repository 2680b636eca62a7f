"""The image proxy's view and the URLs templates give the browser (`{% proxied url %}`).

The checks and the cache are in core/image_proxy.py. The view is async and fetches in threads
of its own: Django runs sync views under ASGI one at a time on a single thread, and a slow
remote server must hold up neither other pages nor the event loop's default executor. At most
PROXY_THREADS pictures are fetched at once; more requests wait their turn.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.views.decorators.http import require_safe

from hubbub.core.image_proxy import (
    PLACEHOLDER,
    CacheEntry,
    FetchLimits,
    ImageCache,
    decode_address,
    encode_address,
    load,
    proxyable,
    sign,
    signature_ok,
)

log = logging.getLogger(__name__)
_SIG, _ADDR = "SIGNATURE", "ADDRESS"
PROXY_THREADS = 8
_fetchers = ThreadPoolExecutor(max_workers=PROXY_THREADS, thread_name_prefix="image-proxy")


def proxied_url(url: object) -> str:
    """The hub's own URL for the remote picture at `url`, or "" when it is none to show
    (not http(s), too long, malformed)."""
    return _proxied(str(url or ""), get_urlconf(), get_script_prefix(), settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _proxied(url: str, urlconf: object, prefix: str, secret: str) -> str:
    # Remembered: the same avatars come back item after item and page after page, and a page
    # signs up to 90 URLs (~20 us each otherwise). The secret is part of the key, so a new one
    # is never answered with an old signature.
    value = proxyable(url)
    if not value:
        return ""
    before, middle, after = _shape(urlconf, prefix)
    return f"{before}{sign(value)}{middle}{encode_address(value)}{after}"


@cache
def _shape(urlconf: object, prefix: str) -> tuple[str, str, str]:
    """The proxy's path around its two arguments, reversed once per URL conf and prefix."""
    probe = reverse("image_proxy", args=[_SIG, _ADDR])
    before, rest = probe.split(_SIG, 1)
    middle, after = rest.split(_ADDR, 1)
    return before, middle, after


@cache
def image_cache() -> ImageCache:
    return ImageCache(settings.DATA_DIR / "image-cache",
                      max_bytes=int(settings.HUBBUB_IMAGE_CACHE_BYTES),
                      max_age=float(settings.HUBBUB_IMAGE_CACHE_SECONDS),
                      refusal_age=min(300.0, float(settings.HUBBUB_IMAGE_CACHE_SECONDS)))


def _headers(response: HttpResponse, max_age: int) -> HttpResponse:
    # Our own answer's headers, whatever the picture: no script, no sniffing, nobody's cache
    # but the reader's browser, and nothing for other sites to embed.
    response["Cache-Control"] = f"private, max-age={max_age}" if max_age else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _placeholder(reason: str) -> HttpResponse:
    """A picture that could not be shown: one transparent pixel, so a page never shows a
    broken-image icon; the reason is in a header for whoever looks."""
    response = HttpResponse(PLACEHOLDER, content_type="image/gif")
    response["X-Hubbub-Image"] = "placeholder"
    response["X-Hubbub-Image-Reason"] = reason.encode("ascii", "replace").decode("ascii")[:200]
    return _headers(response, 300)


@require_safe
async def image(request: HttpRequest, signature: str, address: str) -> HttpResponse:
    """GET /proxy/image/<signature>/<address>: a remote picture the hub rendered a link to."""
    user = await request.auser()
    if not isinstance(user, User) or not user.is_authenticated:
        # LoginRequiredMiddleware redirects first; this stays true if it is ever taken away.
        return _headers(HttpResponse("Sign in to see pictures.", status=403,
                                     content_type="text/plain; charset=utf-8"), 0)
    url = decode_address(address)
    if url is None or not proxyable(url) or not signature_ok(url, signature):
        return _headers(HttpResponse(
            "This picture link is not one the hub made (its signature does not match).",
            status=403, content_type="text/plain; charset=utf-8"), 0)
    loop = asyncio.get_running_loop()
    try:
        entry: CacheEntry = await loop.run_in_executor(
            _fetchers, load, url, image_cache(), FetchLimits.from_settings())
    except Exception:  # a fault of ours: logged with its trace, and the page still works
        log.exception("image proxy: failed on %s", url)
        return _placeholder("the hub could not fetch this picture")
    if entry.image is None:
        log.info("image proxy: not showing %s: %s", url, entry.reason)
        return _placeholder(entry.reason)
    response = HttpResponse(entry.image.data, content_type=entry.image.mime_type)
    return _headers(response, 86400)
