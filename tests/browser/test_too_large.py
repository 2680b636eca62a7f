"""A body too large for its page, sent by a real browser to `hubbub serve`: the browser reads the
hub's sentence (413), not a reset connection, both from a script and from a plain form post.

On loopback Chromium read the early answer even when the hub closed at once (these pass on the
old code too); the raw-socket test in tests/security/test_body_limits.py is the one that shows
the reset a slower link gets. These keep the person's view of it covered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

SEND = """async (size) => {
  const body = new Blob([new Uint8Array(size)]);
  try {
    const answer = await fetch('/accounts/login/', {method: 'POST', body,
                                headers: {'Content-Type': 'application/octet-stream'}});
    return {status: answer.status, text: await answer.text()};
  } catch (error) {
    return {status: 0, text: String(error)};
  }
}"""


def test_a_browser_sending_too_much_reads_the_refusal(browser: Any, hub_server: tuple[Hub, str]
                                                       ) -> None:
    _hub, url = hub_server
    # Its own page: the `page` fixture counts every 4xx answer as a fault, and this one is meant.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url + "/accounts/login/")
        # 8 MB where the page takes 1 MB: the browser sends all of it before reading an answer.
        answer = page.evaluate(SEND, 8 * 1024 * 1024)
    finally:
        context.close()
    assert answer["status"] == 413, answer
    assert "at most 1 MB" in answer["text"]


def test_a_form_posting_too_much_shows_the_sentence(page: Any, hub_server: tuple[Hub, str]
                                                     ) -> None:
    _hub, url = hub_server
    page.goto(url + "/")  # a new hub opens on its set-up form
    # A form whose password field holds 3 MB: a careless paste, posted as a document.
    page.evaluate("""() => {
      const field = document.querySelector('input[type=password]');
      field.removeAttribute('maxlength');
      field.value = 'x'.repeat(3 * 1024 * 1024);
    }""")
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    assert "too large" in page.locator("body").inner_text()
