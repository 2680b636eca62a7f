"""An accessibility audit of the page a browser test is on: axe-core (the engine the
axe-playwright-python package ships) run in the page; any violation fails the test with axe's
own report of what and where."""

from __future__ import annotations

from typing import Any


def audit(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, (
        f"accessibility violations on {page.url}:\n{results.generate_report()}")
