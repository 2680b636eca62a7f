"""Browser fixtures live in tests/browser/fixtures.py (a plugin shared by every folder)."""

from tests.browser.fixtures import reload_until, settle, shot

__all__ = ["reload_until", "settle", "shot"]
