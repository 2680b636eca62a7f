"""The shared browser fixtures (a Chromium page, a real `hubbub serve`), for the deck's tests."""

from tests.browser.conftest import browser, browser_zone, hub_server, page  # noqa: F401
