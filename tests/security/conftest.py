"""Fixtures of the image proxy tests (tests/security/image_proxy_support.py), for the modules
that ask for them by name."""

from tests.security.image_proxy_support import fresh_cache, reader, upstream

__all__ = ["fresh_cache", "reader", "upstream"]
