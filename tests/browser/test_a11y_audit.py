"""The audit every screenshot runs (tests/browser/a11y.py) finds what it looks for: a page with
a fault fails it, naming the rule and the element, and the same page without the fault passes.
Both ways it runs are covered: in the page itself, and through a copy for a page that runs no
script (where axe cannot finish)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.a11y import audit
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en" class="js"><head><title>audit</title></head>
<body><main><h1>A page</h1><p id="faint" style="color: #b8bcc4">Hard to read</p>
<button id="blank"></button></main></body></html>"""

# A box with no label (the hub's policy forbids inline style, so a contrast fault cannot be
# made up in its pages).
UNLABELLED = ("document.querySelector('main').insertAdjacentHTML('beforeend', "
              "'<input id=unlabelled type=text>')")


def test_audit_names_what_is_wrong_and_passes_once_fixed(page: Any) -> None:
    page.set_content(PAGE)
    with pytest.raises(AssertionError) as failed:
        audit(page)
    report = str(failed.value)
    assert re.search(r"color-contrast.*Target: #faint", report, re.S), report
    assert re.search(r"button-name.*Target: #blank", report, re.S), report

    # The same document, fixed: axe is already loaded in it and runs again on the new state.
    page.evaluate("""() => {
        document.getElementById('faint').style.color = '#3d4555';
        document.getElementById('blank').textContent = 'Send';
    }""")
    assert page.evaluate("typeof window.axe") == "object"
    audit(page)


def test_a_page_without_script_is_audited_through_a_copy(
        browser: Any, hub_server: tuple[Hub, str]) -> None:
    _hub, url = hub_server
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  java_script_enabled=False, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(url + "/accounts/login/")
        assert "js" not in (page.get_attribute("html", "class") or "")
        audit(page)  # the page as served passes, in the dark theme

        page.evaluate(UNLABELLED)
        page.fill("#unlabelled", "typed here")
        with pytest.raises(AssertionError) as failed:
            audit(page)
        report = str(failed.value)
        # The copy showed what was typed; the page itself was not touched.
        assert re.search(r"label.*#unlabelled.*value=\"typed here\"", report, re.S), report
        assert page.get_attribute("#unlabelled", "value") is None
        assert page.input_value("#unlabelled") == "typed here"
    finally:
        context.close()
