"""The ASGI application: Django behind the hub's edge (core/asgi_limits.py), which limits and
times request bodies per route before Django reads them."""

import os
from functools import cache, lru_cache
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.contrib.auth import SESSION_KEY  # noqa: E402
from django.http.cookie import parse_cookie  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from hubbub.core.asgi_limits import EdgeLimits, Network, Scope, parse_networks  # noqa: E402

# The views that take files: the composer (its page, its panel in the deck, and the draft it
# saves as you type) and the CSV import with its zip of images. Every other page takes a form
# of text.
UPLOAD_VIEWS = frozenset({"publishing:compose", "publishing:panel", "publishing:autosave",
                          "imports:csv"})


@lru_cache(maxsize=2048)
def _takes_files(path: str) -> bool:
    """Resolving a path costs ~80 us; pages are asked for again and again."""
    try:
        return resolve(path).view_name in UPLOAD_VIEWS
    except Resolver404:
        return False


async def _signed_in(scope: Scope) -> bool:
    """Whether the request carries the session of a signed-in person (one read of the session
    store; the session's password hash is the view's business)."""
    header = "; ".join(value.decode("latin-1") for name, value in scope.get("headers", ())
                       if name == b"cookie")
    key = parse_cookie(header).get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    return await store.aget(SESSION_KEY) is not None


async def body_limit(scope: Scope, path: str) -> int:
    """Files only from someone signed in: anyone else is sent to log in whatever they post, so
    their body gets the form limit (a visitor's 1 GiB had been spooled to disk, then refused)."""
    if _takes_files(path) and await _signed_in(scope):
        return int(settings.HUBBUB_MAX_UPLOAD_BYTES)
    return int(settings.HUBBUB_MAX_FORM_BYTES)


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(cidrs)


application = EdgeLimits(
    django_application,
    limit_for=body_limit,
    idle_seconds=lambda: float(settings.HUBBUB_BODY_TIMEOUT_SECONDS),
    min_rate=lambda: float(settings.HUBBUB_MIN_BODY_RATE),
    trusted_proxies=lambda: _networks(tuple(settings.HUBBUB_TRUSTED_PROXIES)),
)
