"""Browser fixtures live in tests/browser/fixtures.py (a plugin shared by every folder)."""

from tests.browser.fixtures import shot

__all__ = ["shot"]
