"""The ASGI application: Django behind the hub's edge (core/asgi_limits.py), which limits and
times request bodies per route before Django reads them.

Django runs each request's middleware and view on one thread, in one hop from the event loop
(`OneHopHandler`), as under WSGI. Django's own ASGI handler runs its async-capable middleware
on the event loop and hops to a thread and back for each of their sync methods and for the
view (about a dozen hops a request here, WhiteNoise being sync-only in the middle): a request
sent to log in cost 3.5-3.8 ms of CPU that way and 1.5-1.8 ms in one hop (docs/benchmarks.md,
"Post now")."""

import os
from functools import cache, lru_cache
from importlib import import_module
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
django.setup(set_prefix=False)


class OneHopHandler(ASGIHandler):
    """Django's ASGI handler with its middleware chain loaded in sync mode: reading the body,
    the request signals and sending the answer stay async, while the middleware and the view
    run in one call on the request's thread (Django's thread-sensitive one, so each request
    still has its own thread and database connection, as before). Every middleware here
    works in sync mode; the views are sync."""

    def __init__(self) -> None:
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)

    async def run_get_response(self, request: Any) -> Any:
        response: Any = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):  # the server chunks it: bigger reads
            response.block_size = self.chunk_size
        return response


django_application = OneHopHandler()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.contrib.auth import SESSION_KEY  # noqa: E402
from django.http.cookie import parse_cookie  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from hubbub.core.asgi_limits import (  # noqa: E402
    EdgeLimits,
    Network,
    Scope,
    parse_networks,
)

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


def _declared_within(scope: Scope, limit: int) -> bool:
    """Whether the request announces a body of at most `limit` bytes (Content-Length: the
    server never passes on more than that)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.strip().isdigit() and int(value) <= limit
    return False


async def body_limit(scope: Scope, path: str) -> int:
    """Files only from someone signed in: anyone else is sent to log in whatever they post, so
    their body gets the form limit (a visitor's 1 GiB had been spooled to disk, then refused).
    A body announced within the form limit gets it without asking: the session is read here
    only for a larger one, or one whose size is not announced (Django reads it anyway; a Post
    now without files had it read twice)."""
    form_limit = int(settings.HUBBUB_MAX_FORM_BYTES)
    if not _takes_files(path) or _declared_within(scope, form_limit):
        return form_limit
    if await _signed_in(scope):
        return int(settings.HUBBUB_MAX_UPLOAD_BYTES)
    return form_limit


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
