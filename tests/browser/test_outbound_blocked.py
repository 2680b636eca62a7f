"""The test browser reaches nothing past loopback: any other address goes to the dead proxy the
browser is launched with (tests/browser/fixtures.py), refused at once, on this machine."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("address", ["http://93.184.215.14/", "https://social.example/@ana"])
def test_the_browser_cannot_reach_past_loopback(page: Any, address: str) -> None:
    from playwright.sync_api import Error

    with pytest.raises(Error) as refused:
        page.goto(address)
    assert "ERR_PROXY_CONNECTION_FAILED" in str(refused.value)
