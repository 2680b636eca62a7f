"""The deck's rule notices in Chromium against `hubbub serve` and a real Nostr relay: on a phone
(375 px) the box keeps to a few lines however many there are, each notice keeps its Dismiss
button in view and opens its post's conversation, "Dismiss all" empties it, and the deck with
notices passes the accessibility audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.a11y import audit
from tests.browser.conftest import shot
from tests.browser.fixtures import page_of
from tests.browser.flows import connect_nostr, create_owner
from tests.integration.hubproc import Hub
from tests.peers.nostr import NostrPeer

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
COUNT = 26

# Run in the hub's own `manage shell`: the owner's Nostr feed gets COUNT posts, and a rule that
# notifies has noticed each (as ingest makes them when a notify rule matches).
SEED = f"""
from datetime import timedelta
from django.utils import timezone
from hubbub.connections.models import Connection
from hubbub.listening.models import Notice, Rule
from hubbub.networks.base import Item as NetItem
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Item
from hubbub.timeline.selectors import ensure_feed

connection = Connection.objects.get(network="nostr")
feed = ensure_feed(connection, "home")
now = timezone.now()
ingest(feed, [NetItem(remote_id=f"{{n:064x}}", kind="post", author_handle="npub1ana",
                      author_name="Ana Lima", created_at=now - timedelta(minutes=n),
                      text=f"News {{n}}: the garden is blooming and the bread is ready " * 2,
                      html="", url="", author_avatar="", extra={{}})
              for n in range({COUNT})])
rule = Rule.objects.create(user=connection.user, name="Ana first", conditions=[], actions=[])
for item in Item.objects.filter(connection=connection).order_by("created_at"):
    Notice.objects.create(user=connection.user, item=item, rule=rule)
"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    with page_of(browser, viewport=PHONE, timezone_id="UTC") as page:
        yield page


def test_notices_stay_small_on_a_phone_open_posts_and_go_all_at_once(
        phone: Any, hub_server: tuple[Hub, str], nostr_peer: NostrPeer) -> None:
    from playwright.sync_api import expect

    hub, url = hub_server
    create_owner(phone, url)
    connect_nostr(phone, url, nostr_peer.url)
    hub.run("manage", "shell", "--no-imports", "-c", SEED)
    phone.goto(url + "/deck/")
    box = phone.locator(".rule-notices")
    expect(box.get_by_role("heading")).to_have_text(f"{COUNT} notices from your rules")
    expect(box).to_contain_text("and 6 older not shown")
    height = box.bounding_box()
    assert height is not None
    assert height["height"] <= 240, height  # a few lines, not one a notice (was 456 px for 6)
    first = box.locator("li").first
    dismiss = first.get_by_role("button", name=re.compile("Dismiss the notice"))
    button = dismiss.bounding_box()
    assert button is not None
    assert button["x"] + button["width"] <= PHONE["width"], button
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "rule-notices-phone")
    audit(phone)
    first.get_by_role("link").click()
    expect(phone).to_have_url(re.compile(r"/deck/items/\d+/conversation/"))
    expect(phone.locator("main")).to_contain_text("News 0: the garden is blooming")
    phone.go_back()
    phone.get_by_role("button", name=f"Dismiss all {COUNT}").click()
    expect(phone).to_have_url(re.compile(r"/deck/"))
    expect(phone.locator(".rule-notices")).to_have_count(0)
