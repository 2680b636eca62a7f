"""Fixtures of the image proxy tests (tests/security/image_proxy_support.py) and of the
parameter fuzzing (tests/security/param_fuzz.py), for the modules that ask for them by name."""

from tests.security.image_proxy_support import fresh_cache, reader, upstream
from tests.security.param_fuzz import signed_in

__all__ = ["fresh_cache", "reader", "signed_in", "upstream"]
