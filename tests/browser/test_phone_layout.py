"""The hub on a phone (390x844), in Chromium against `hubbub serve` and a real Nostr relay: the
places are in a bar at the bottom with their names; the deck shows one column at a time and a
swipe (a touch gesture) moves to the next, the bar above saying which is shown of how many; the
composer's "Room left" stays in view while the text is typed; the month grid fits the window with
the month's posts listed below it; the week's seven days fit it too and the page scrolls, not
the card. A desktop window keeps the sidebar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.fixtures import page_of
from tests.browser.flows import connect_nostr, create_owner
from tests.integration.hubproc import Hub
from tests.peers.nostr import NostrPeer
from tests.waiting import until

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PLACES = ["Deck", "Compose", "Calendar", "Connections", "More"]
WIDER = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone's page: its size, touch, and a device pixel ratio of 3."""
    with page_of(browser, viewport=PHONE, device_scale_factor=3, is_mobile=True,
                 has_touch=True, timezone_id="UTC") as page:
        yield page


def _signed_in_with_nostr(page: Any, url: str, relay: str) -> None:
    create_owner(page, url)
    connect_nostr(page, url, relay)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not shown"
    return dict(box)


def test_the_places_are_named_at_the_bottom_of_a_phone(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    _signed_in_with_nostr(phone, url, nostr_peer.url)
    phone.goto(url + "/connections/")
    nav = phone.get_by_role("navigation", name="Main")
    links = nav.locator("a.nav-item:visible, .nav-more > summary:visible")
    expect(links).to_have_text(PLACES)
    # Fixed at the bottom of the window, each place a target of 44 px or more.
    bar = _box(phone, ".nav")
    assert bar["y"] + bar["height"] == pytest.approx(PHONE["height"], abs=1)
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box, PLACES[i]
        assert box["width"] >= 44, (PLACES[i], box)
        assert box["height"] >= 44, (PLACES[i], box)
    expect(nav.get_by_role("link", name="Connections")).to_have_attribute("aria-current", "page")
    # The top bar is compact and the page ends above the bottom bar.
    assert _box(phone, ".sidebar")["height"] <= 56
    phone.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    last = phone.locator("main > *:visible").last.bounding_box()
    assert last
    assert last["y"] + last["height"] <= bar["y"], (last, bar)
    shot(phone, "phone-nav-connections")

    # More holds the inbox, Posts, Queue, Import, Rules, the catch-up and Settings, opened
    # upwards within the window.
    nav.get_by_text("More").click()
    menu = phone.locator(".nav-more-menu")
    expect(menu.get_by_role("link")).to_have_text(["Inbox", "Posts", "Queue", "Import", "Rules",
                                                      "Catch-up", "Settings"])
    box = _box(phone, ".nav-more-menu")
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= bar["y"]
    shot(phone, "phone-nav-more-open")
    # It closes as a menu does: Escape (back on More), or a tap elsewhere.
    phone.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(phone.locator(".nav-more > summary")).to_be_focused()
    nav.get_by_text("More").click()
    expect(menu).to_be_visible()
    phone.get_by_role("heading", name="Connections").click()
    expect(menu).to_be_hidden()
    nav.get_by_text("More").click()
    menu.get_by_role("link", name="Posts").click()
    expect(phone).to_have_url(re.compile(r"/posts/$"))
    expect(phone.locator(".nav-more > summary")).to_have_class(re.compile(r"\bis-current\b"))
    expect(phone.locator(".nav-more-menu a[aria-current=page]")).to_have_text("Posts")

    # A desktop window keeps the sidebar with all eleven places; no bar at the bottom.
    phone.set_viewport_size({"width": 1280, "height": 800})
    expect(nav.locator("a.nav-item:visible")).to_have_count(11)
    expect(phone.locator(".nav-more")).to_be_hidden()
    assert _box(phone, ".nav")["y"] < 200


def test_the_deck_on_a_phone_is_one_column_at_a_time_and_a_swipe_moves_one(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    _signed_in_with_nostr(phone, url, nostr_peer.url)
    phone.goto(url + "/deck/")
    columns = phone.locator(".column[data-column]")
    expect(columns).to_have_count(2)  # Home and Mentions of the one account
    ids = columns.evaluate_all("cs => cs.map(c => c.dataset.column)")
    bar = phone.get_by_role("group", name="Column shown")
    picker = bar.get_by_label("Go to column")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("1 of 2")
    expect(picker).to_have_value(ids[0])
    # The column shown fills the width; the next one is off the screen.
    first = _box(phone, f"#col-{ids[0]}")
    assert first["x"] == pytest.approx(0, abs=1)
    assert first["width"] == pytest.approx(390, abs=1)
    assert _box(phone, f"#col-{ids[1]}")["x"] >= 389
    assert not phone.evaluate(WIDER)
    shot(phone, "phone-deck-first-column")

    # A swipe from right to left: a real touch gesture over the column.
    session = phone.context.new_cdp_session(phone)
    def touch(kind: str, x: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": 500, "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 330)
    for x in range(320, 60, -20):
        touch("touchMove", x)
    touch("touchEnd", 60)

    def snapped_to(index: int) -> bool:
        box = phone.locator(f"#col-{ids[index]}").bounding_box()
        return bool(box) and abs(box["x"]) < 1

    until(lambda: snapped_to(1), what="the swipe to bring the second column into place")
    expect(bar).to_contain_text("2 of 2")
    # The column shown is the deck's current one: its keys (j/k, r, l...) act there.
    expect(phone.locator(".column.is-focused")).to_have_attribute("data-column", ids[1])
    expect(picker).to_have_value(ids[1])
    expect(bar.get_by_role("button", name="Next column")).to_have_attribute(
        "aria-disabled", "true")
    shot(phone, "phone-deck-second-column")

    # The buttons and the picker do the same for a keyboard or a screen reader.
    bar.get_by_role("button", name="Previous column").click()
    until(lambda: snapped_to(0), what="Previous column to bring the first back")
    expect(bar).to_contain_text("1 of 2")
    picker.select_option(ids[1])
    until(lambda: snapped_to(1), what="the picker to show the second column")
    expect(bar).to_contain_text("2 of 2")

    # The deck's own keys still move between columns (deck.js), and the bar follows.
    picker.select_option(ids[0])
    until(lambda: snapped_to(0), what="the picker to show the first column")
    phone.keyboard.press("ArrowRight")
    until(lambda: snapped_to(1), what="→ to show the second column")
    expect(bar).to_contain_text("2 of 2")
    phone.keyboard.press("ArrowLeft")
    until(lambda: snapped_to(0), what="← to show the first column")
    expect(bar).to_contain_text("1 of 2")


def test_room_left_stays_in_view_while_typing_on_a_phone(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    _hub, url = hub_server
    _signed_in_with_nostr(phone, url, nostr_peer.url)
    phone.goto(url + "/")
    text = phone.locator("textarea[name=text]")
    # Typed far enough down the page that the counter's own place has scrolled away.
    typed = "Typing on a phone, the room left in view. Typing on."
    text.press_sequentially(typed)
    phone.evaluate("() => window.scrollTo(0, 400)")
    counter = phone.locator(".compose-side .card").first
    expect(counter.locator(".counter-count strong")).to_have_text(str(len(typed)))

    def in_view() -> bool:
        box = counter.bounding_box()
        top = phone.locator(".sidebar").bounding_box()
        return bool(box and top) and box["y"] >= top["y"] + top["height"] - 1 \
            and box["y"] + box["height"] <= PHONE["height"]

    until(in_view, what="Room left to stay under the top bar")
    text.press_sequentially(" More.")
    expect(counter.locator(".counter-count strong")).to_have_text(str(len(typed) + 6))
    assert in_view()
    assert not phone.evaluate(WIDER)
    shot(phone, "phone-compose-typing")

    # The buttons are reachable: scrolled to, each is what a tap there lands on.
    for name in ("Save draft", "Schedule", "Post now"):
        button = phone.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box
        hit = phone.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('button')"
                             "?.textContent.trim()", [box["x"] + box["width"] / 2,
                                                      box["y"] + box["height"] / 2])
        assert hit == name, f"a tap on {name} lands on {hit!r}"


def test_the_month_fits_a_phone_with_its_posts_listed(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    _signed_in_with_nostr(phone, url, nostr_peer.url)
    conn = str(hub.json("connections", "--user", "ada")[0]["id"])
    day = (datetime.now() + timedelta(days=2)).replace(minute=30)
    for hour in (8, 11, 14, 17, 20):  # more than a day's cell lists on a desktop (3)
        hub.json("post", "--user", "ada", "--to", conn, "--at",
                 day.replace(hour=hour).strftime("%Y-%m-%dT%H:%M"), f"Planned at {hour}:30")
    phone.goto(url + f"/plan/calendar/month/?date={day:%Y-%m-%d}")
    cell = phone.locator(f"[data-drop-day='{day:%Y-%m-%d}']")
    # The day's cell: its number and a dot for each of the three it shows, then "+2".
    expect(cell.locator(".pl-dot")).to_have_count(3)
    expect(cell.locator(".pl-dots-more")).to_have_text("+2")
    expect(cell.locator(".pl-event").first).to_be_hidden()
    grid = phone.locator(".pl-month-grid")
    widths = grid.evaluate("g => [g.scrollWidth, g.clientWidth]")
    assert widths[0] <= widths[1], f"the grid scrolls sideways: {widths}"
    assert not phone.evaluate(WIDER)
    box = cell.locator(".pl-daynum").bounding_box()
    assert box
    assert box["width"] >= 34
    assert box["height"] >= 34
    # Below: the month's posts, that day with all five, each a link to the post.
    listed = phone.locator(".pl-month-list")
    expect(listed.get_by_role("heading", name=f"{day:%A} {day.day} {day:%B}")).to_be_visible()
    expect(listed.get_by_role("link", name=re.compile(r"Planned at \d+:30"))).to_have_count(5)
    shot(phone, "phone-calendar-month")
    listed.get_by_role("link", name=re.compile(r"Planned at 17:30")).click()
    expect(phone).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    expect(phone.locator("textarea[name=text]")).to_have_value("Planned at 17:30")

    # On a desktop the grid shows the cards and no list.
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.goto(url + f"/plan/calendar/month/?date={day:%Y-%m-%d}")
    expect(cell.locator(".pl-event")).to_have_count(3)
    expect(cell.locator(".pl-dots")).to_be_hidden()
    expect(listed).to_be_hidden()


def test_the_week_fits_a_phone_and_the_page_scrolls_not_the_card(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    _signed_in_with_nostr(phone, url, nostr_peer.url)
    conn = str(hub.json("connections", "--user", "ada")[0]["id"])
    day = (datetime.now() + timedelta(days=2)).replace(minute=30)
    for hour in (9, 14, 20):
        hub.json("post", "--user", "ada", "--to", conn, "--at",
                 day.replace(hour=hour).strftime("%Y-%m-%dT%H:%M"), f"Planned at {hour}:30")
    phone.goto(url + f"/plan/calendar/?date={day:%Y-%m-%d}")
    card = phone.locator(".pl-calendar.pl-week")
    expect(card).to_be_visible()
    assert not phone.evaluate(WIDER)
    widths = card.evaluate("c => [c.scrollWidth, c.clientWidth]")
    assert widths[0] <= widths[1], f"the week scrolls sideways inside its card: {widths}"
    body = phone.locator(".pl-week-body")
    heights = body.evaluate("b => [b.scrollHeight, b.clientHeight]")
    assert heights[0] <= heights[1] + 1, f"the week scrolls inside its card: {heights}"
    # All seven days side by side within the window, each number a tap target.
    heads = phone.locator(".pl-dayhead")
    expect(heads).to_have_count(7)
    for i in range(7):
        box = heads.nth(i).bounding_box()
        assert box
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        num = heads.nth(i).locator(".pl-daynum").bounding_box()
        assert num
        assert num["width"] >= 24
        assert num["height"] >= 24
    # Each post is in its day's column, a link named by its time and words, large enough to tap.
    events = phone.locator(f".pl-cell[data-drop-day='{day:%Y-%m-%d}'] .pl-event-link")
    expect(events).to_have_count(3)
    for i in range(3):
        box = events.nth(i).bounding_box()
        assert box
        assert box["width"] >= 24
        assert box["height"] >= 24
        assert box["x"] + box["width"] <= PHONE["width"]
    shot(phone, "phone-calendar-week")
    phone.get_by_role("link", name=re.compile(r"Planned at 14:30")).click()
    expect(phone).to_have_url(re.compile(r"/posts/\d+/edit/$"))

    # On a desktop the week keeps its cards with their words, its body scrolling in the card.
    phone.set_viewport_size({"width": 1280, "height": 800})
    phone.goto(url + f"/plan/calendar/?date={day:%Y-%m-%d}")
    expect(events.first.locator(".pl-event-text")).to_be_visible()
    expect(events.first.locator(".pl-event-text")).to_have_text(re.compile(r"Planned at"))
