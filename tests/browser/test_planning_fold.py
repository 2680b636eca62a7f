"""A time the clocks show twice, in a real browser against `hubbub serve` and the Mastodon mock,
in Berlin (02:30 on the last Sunday of October) and New York (01:30 on the first Sunday of
November): the composer shows the two instants as soon as the date and time are typed, the
post is scheduled at the one picked, the edit page keeps it and can switch it. Without
JavaScript the form comes back asking, with the same two choices."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hubbub.core import localtime
from tests.browser.conftest import shot
from tests.browser.flows import PASSWORD, connect_mastodon, create_owner
from tests.integration.hubproc import Hub
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.browser
WALL = {"Europe/Berlin": time(2, 30), "America/New_York": time(1, 30)}


@pytest.fixture(params=sorted(WALL))
def browser_zone(request: Any) -> str:
    return str(request.param)


def next_fold(zone: str) -> date:
    """The next day on which the zone's wall time WALL[zone] happens twice."""
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)
    while localtime.ambiguity(day, WALL[zone], zone) is None:
        day += timedelta(days=1)
    return day


def stored(hub: Hub, text: str) -> datetime:
    [found] = [p for p in hub.json("posts", "--user", "ada") if p["text"] == text]
    return datetime.fromisoformat(found["scheduled_for"]).astimezone(UTC)


def choice_texts(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#schedule-fold label").all_inner_texts()]


def test_the_composer_asks_which_of_the_two(
    page: Any, browser: Any, browser_zone: str, hub_server: tuple[Hub, str],
    mastodon_peer: MastodonPeer,
) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    zone = browser_zone
    at = WALL[zone]
    day = next_fold(zone)
    first, second = (o.utc for o in localtime.occurrences(day, at, zone))
    create_owner(page, url)
    connect_mastodon(page, url, mastodon_peer, mastodon_peer.new_account())
    slug = zone.split("/")[1].lower()

    # With JavaScript: the choice appears as soon as the date and time are typed.
    page.goto(url + "/")
    expect(page.locator(".schedule .zone")).to_have_text(zone)
    page.fill("textarea[name=text]", "Which night owl are you?")
    page.fill("input[name=schedule_date]", day.isoformat())
    page.fill("input[name=schedule_time]", f"{at:%H:%M}")
    fold = page.locator("#schedule-fold fieldset")
    expect(fold).to_contain_text(f"{at:%H:%M} happens twice on {day:%-d %B} in {zone}")
    live = choice_texts(page)
    assert len(live) == 2
    assert live[0].endswith("the first")
    assert live[1].endswith("an hour later")
    expect(page.locator("#schedule-fold input:checked")).to_have_count(0)
    shot(page, f"fold-{slug}-1-compose-asks")

    # Scheduling without picking is refused, and the choices are still there.
    page.click("button[name=action][value=schedule]")
    expect(page.locator(".schedule-errors")).to_contain_text("Pick which of the two you mean.")
    assert choice_texts(page) == live
    assert page.locator("textarea[name=text]").input_value() == "Which night owl are you?"

    # A time that happens once takes the choice away; back again, it asks again.
    page.fill("input[name=schedule_time]", "12:00")
    expect(fold).to_have_count(0)
    page.fill("input[name=schedule_time]", f"{at:%H:%M}")
    expect(fold).to_have_count(1)
    page.get_by_label(live[1]).check()
    shot(page, f"fold-{slug}-2-compose-second")
    page.click("button[name=action][value=schedule]")
    expect(page).to_have_url(re.compile(r"/posts/"))
    assert stored(hub, "Which night owl are you?") == second

    # The edit page shows the reading the post has; switch it to the first.
    page.locator("article.post").first.get_by_role("link", name="Edit").click()
    expect(page.get_by_label(live[1])).to_be_checked()
    shot(page, f"fold-{slug}-3-edit")
    page.get_by_label(live[0]).check()
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page).to_have_url(re.compile(r"/posts/"))
    assert stored(hub, "Which night owl are you?") == first

    # Without JavaScript: the form comes back asking, with the same two choices.
    context = browser.new_context(viewport={"width": 1280, "height": 860},
                                  java_script_enabled=False)
    plain = context.new_page()
    try:
        plain.goto(url + "/accounts/login/")
        plain.fill("input[name=username]", "ada")
        plain.fill("input[name=password]", PASSWORD)
        plain.click("button[type=submit]")
        plain.goto(url + "/")
        plain.fill("textarea[name=text]", "Asked without JavaScript")
        plain.fill("input[name=schedule_date]", day.isoformat())
        plain.fill("input[name=schedule_time]", f"{at:%H:%M}")
        assert choice_texts(plain) == []
        plain.click("button[name=action][value=schedule]")
        expect(plain.locator(".schedule-errors")).to_contain_text("Pick which of the two")
        assert choice_texts(plain) == live
        shot(plain, f"fold-{slug}-4-nojs-asks")
        plain.get_by_label(live[1]).check()
        plain.click("button[name=action][value=schedule]")
        expect(plain).to_have_url(re.compile(r"/posts/"))
        assert stored(hub, "Asked without JavaScript") == second
    finally:
        context.close()
