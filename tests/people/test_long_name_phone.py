"""A person's name of any length (200 characters without a space, the most a name takes) fits
a phone's window on the People page and on the person's own page, with the accessibility
audit passing on both (a walkthrough found the person page 2,490 px wide)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.a11y import audit
from tests.browser.fixtures import page_of, shot
from tests.browser.flows import create_owner
from tests.integration.hubproc import Hub

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
NAME = "N" * 200
SEED = f"""
from django.contrib.auth.models import User
from hubbub.people.models import Person
Person.objects.create(user=User.objects.get(), name={NAME!r}, note="note " * 40)
"""
WIDE = "() => document.documentElement.scrollWidth"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    with page_of(browser, viewport=PHONE, timezone_id="UTC") as page:
        yield page


def test_a_long_name_fits_a_phone(phone: Any, hub_server: tuple[Hub, str]) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(phone, url)
    hub.run("manage", "shell", "--no-imports", "-c", SEED)
    phone.goto(url + "/people/")
    expect(phone.locator(".person-name")).to_have_text(NAME)
    assert phone.evaluate(WIDE) <= PHONE["width"]
    audit(phone)
    phone.locator(".person-name").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(NAME)
    assert phone.evaluate(WIDE) <= PHONE["width"]
    shot(phone, "people-long-name-phone")
    audit(phone)
