"""The browser fixtures (a Chromium page, a real `hubbub serve`) come from the shared plugin
tests/browser/fixtures.py, registered in tests/conftest.py."""
