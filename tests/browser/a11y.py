"""An accessibility audit of the page a browser test is on: axe-core (the engine the
axe-playwright-python package ships) run in the page with its default rules (WCAG 2 A and AA,
best practices); any violation fails the test with axe's own report of what and where.

`shot()` (tests/browser/fixtures.py) calls `audit()` for every screenshot, so every page and state
a browser test reaches is audited, in the theme it is shown in."""

from __future__ import annotations

from typing import Any

# axe-core is 570 kB of script: it is sent to a document once and reused by later audits of the
# same document (a test that shoots several states of one page); a new document loads it again.
_LOADED = "() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"
# The whole document, violations only (passes and inapplicable rules are not sent back).
_RUN = "() => window.axe.run(document, {resultTypes: ['violations']})"

# app.js marks <html class="js"> as the first thing it does. A page without the mark ran no
# script: a context with JavaScript turned off, where Chromium runs no task, timer or promise
# callback either, so axe (which needs them) never finishes there.
_SCRIPTED = "() => document.documentElement.classList.contains('js')"

# The DOM as it stands, with what the person typed, ticked and picked written into attributes
# (a clone, so the page itself is not touched), and the theme it is shown in.
_SNAPSHOT = """() => {
  const copy = document.documentElement.cloneNode(true);
  const live = document.querySelectorAll("input, textarea, option");
  const dup = copy.querySelectorAll("input, textarea, option");
  live.forEach((el, i) => {
    const c = dup[i];
    if (el instanceof HTMLInputElement) {
      if (el.type === "checkbox" || el.type === "radio") c.toggleAttribute("checked", el.checked);
      else if (el.type !== "file" && el.type !== "password") c.setAttribute("value", el.value);
    } else if (el instanceof HTMLTextAreaElement) {
      c.textContent = el.value;
    } else if (el instanceof HTMLOptionElement) {
      c.toggleAttribute("selected", el.selected);
    }
  });
  return {html: "<!doctype html>" + copy.outerHTML,
          dark: matchMedia("(prefers-color-scheme: dark)").matches};
}"""
# The copy runs none of the page's own scripts (as the original), while axe, evaluated through
# the browser's debugging protocol, is not bound by the page's policy.
_COPY_CSP = "script-src 'none'; style-src 'self'; img-src 'self' blob:"


def _violations(page: Any) -> dict[str, Any]:
    from axe_playwright_python.base import AXE_SCRIPT  # type: ignore[import-untyped]

    if not page.evaluate(_LOADED):
        page.evaluate(AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate(_RUN)
    return result


def _violations_of_copy(page: Any) -> dict[str, Any]:
    """Audit a page that runs no script through a copy of its DOM, served at its own URL (so its
    stylesheets and pictures load as they did) in a context of the same size, theme and cookies
    where script runs."""
    from tests.browser.fixtures import settle

    snap = page.evaluate(_SNAPSHOT)
    context = page.context.browser.new_context(
        viewport=page.viewport_size, color_scheme="dark" if snap["dark"] else "light")
    try:
        context.add_cookies(page.context.cookies())
        copy = context.new_page()
        target = page.url.split("#")[0]
        copy.route(lambda url: url.split("#")[0] == target, lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=snap["html"],
            headers={"Content-Security-Policy": _COPY_CSP}))
        copy.goto(page.url)
        settle(copy)
        return _violations(copy)
    finally:
        context.close()


def audit(page: Any) -> None:
    from axe_playwright_python.base import AxeResults

    response = _violations(page) if page.evaluate(_SCRIPTED) else _violations_of_copy(page)
    results = AxeResults(response)
    assert results.violations_count == 0, (
        f"accessibility violations on {page.url}:\n{results.generate_report()}")
