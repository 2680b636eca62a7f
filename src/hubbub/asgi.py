"""The ASGI application: Django behind the hub's edge (core/asgi_limits.py), which limits and
times request bodies per route before Django reads them."""

import os
from functools import cache, lru_cache

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.urls import Resolver404, resolve  # noqa: E402

from hubbub.core.asgi_limits import EdgeLimits, Network, parse_networks  # noqa: E402

# The views that take files: the composer (its form and the draft it saves as you type) and the
# CSV import with its zip of images. Every other page takes a form of text.
UPLOAD_VIEWS = frozenset({"publishing:compose", "publishing:autosave", "imports:csv"})


@lru_cache(maxsize=2048)
def _takes_files(path: str) -> bool:
    """Resolving a path costs ~80 us; pages are asked for again and again."""
    try:
        return resolve(path).view_name in UPLOAD_VIEWS
    except Resolver404:
        return False


def body_limit(path: str) -> int:
    if _takes_files(path):
        return int(settings.HUBBUB_MAX_UPLOAD_BYTES)
    return int(settings.HUBBUB_MAX_FORM_BYTES)


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(cidrs)


application = EdgeLimits(
    django_application,
    limit_for=body_limit,
    idle_seconds=lambda: float(settings.HUBBUB_BODY_TIMEOUT_SECONDS),
    trusted_proxies=lambda: _networks(tuple(settings.HUBBUB_TRUSTED_PROXIES)),
)
