"""Split into a thread, for a quote from a Mastodon server before 4.5: the server gets the
quoted post's link after the first part's words only (networks/draft_checks.with_quote_link),
so the first part leaves room for the link, counted as the composer's counter counts it, and
the later parts keep the whole limit. The panel's split (htmx) and the form's split without
the script agree; the per-part counter counts the link in part 1; the thread is accepted by
the server. Against the Mastodon mock, its /api/v2/instance rewritten to 4.4.3 (the helpers
of test_quote_link_count.py)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.connections.services import capabilities_for
from hubbub.core.counting import count_text
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.timeline.models import Item
from tests.integration.engine_support import run_due
from tests.integration.test_quote_link_count import _quoting, older
from tests.peers.http_faults import HttpFaultProxy, Rewrite
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db
__all__ = ["older"]  # the fixture: the mock as a Mastodon 4.4 server

# About 1,000 characters of sentences: without the link, the first part would fill 500.
TEXT = " ".join(f"Point {i} is made here." for i in range(1, 46))


def _parts(page: str, pk: int) -> list[str]:
    found = re.findall(rf'<textarea name="part_{pk}"[^>]*>(.*?)</textarea>', page, re.S)
    return [html.unescape(p) for p in found]


def _split(client: Client, connection: Connection, item: Item, *, numbered: bool = False,
           script: bool = True) -> list[str]:
    """The thread the composer makes for TEXT: the panel's button (htmx), or the form's
    button without the script (the whole page again)."""
    data: dict[str, Any] = {"text": TEXT, "targets": [connection.pk], "quote": item.pk}
    if numbered:
        data[f"number_{connection.pk}"] = "1"
    if script:
        response = client.post(
            reverse("publishing:target_step", args=[connection.pk, "split"]), data,
            headers={"HX-Request": "true"})
    else:
        response = client.post(reverse("publishing:compose"),
                               {**data, "action": f"split:{connection.pk}"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "custom-notice" not in page, html.unescape(page)[:3000]
    return _parts(page, connection.pk)


def _thread_fields(connection: Connection, item: Item, parts: list[str]) -> dict[str, Any]:
    n = connection.pk
    return {"text": TEXT, "targets": [n], "quote": item.pk, f"custom_{n}": "1",
            f"text_{n}": TEXT, f"part_{n}": parts}


def _link(connection: Connection, item: Item) -> int:
    """What the link adds to the first part, as the composer counts it (with the blank line)."""
    caps = capabilities_for(connection)
    return count_text("mastodon", item.url, url_length=caps.url_length or 23) + 2


@pytest.mark.parametrize("numbered", [False, True])
def test_the_first_part_of_a_split_quote_leaves_room_for_the_link(
    mastodon_peer: MastodonPeer, older: HttpFaultProxy, owner: User, client_in: Client,
    numbered: bool,
) -> None:
    alice, old, item, caps = _quoting(mastodon_peer, older, owner)
    assert caps.quote_as_link
    limit, link = caps.text_limit, _link(old, item)

    parts = _split(client_in, old, item, numbered=numbered)
    assert len(parts) >= 3
    assert count_text("mastodon", parts[0]) + link <= limit
    # The later parts keep the whole limit: the middle ones are fuller than the first may be.
    assert all(count_text("mastodon", p) <= limit for p in parts[1:])
    assert any(count_text("mastodon", p) > limit - link for p in parts[1:-1]), parts
    if numbered:
        assert [p.rsplit(" ", 1)[1] for p in parts] == [
            f"{i}/{len(parts)}" for i in range(1, len(parts) + 1)]
    else:
        assert " ".join(parts) == TEXT  # nothing lost, cut between sentences
    assert parts[0].endswith("here." + (f" 1/{len(parts)}" if numbered else ""))

    # The form without the script splits the same.
    assert _split(client_in, old, item, numbered=numbered, script=False) == parts

    # The per-part counter counts part 1 with the link, the others as they are: none over.
    live = html.unescape(client_in.post(reverse("publishing:count"),
                                        _thread_fields(old, item, parts)).content.decode())
    counted = [(int(a), int(b)) for a, b in
               re.findall(r'class="counter-count"><strong>(\d+)</strong> / (\d+)<', live)]
    assert counted == [(count_text("mastodon", parts[0]) + link, limit)] + [
        (count_text("mastodon", p), limit) for p in parts[1:]]
    assert "over" not in live.split('data-counter="')[1].split("counter-problem")[0]
    assert "data-quote-link-note" in live
    assert "link, added after the first part's words" in live  # not after every part's

    # Sent: the server takes every part, the link after the first part's words only.
    response = client_in.post(reverse("publishing:compose"),
                              {**_thread_fields(old, item, parts), "action": "now"})
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    run_due()
    delivery = Delivery.objects.get(connection=old)
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    sent = [mastodon_peer.status(alice, done["remote_id"]) for done in delivery.parts_done]
    assert len(sent) == len(parts)
    assert item.url in sent[0]["content"]
    assert all(item.url not in status["content"] for status in sent[1:])


def test_a_quote_too_long_only_for_its_link_splits_in_two(
    mastodon_peer: MastodonPeer, older: HttpFaultProxy, owner: User, client_in: Client,
) -> None:
    # The words alone fit one post; with the link they do not, and the counter offers a
    # thread: the split makes one, not the single post the server would refuse.
    _, old, item, caps = _quoting(mastodon_peer, older, owner)
    limit, link = caps.text_limit, _link(old, item)
    words = "The first sentence ends here. " + "w" * (limit - 30 - link + 5)
    assert count_text("mastodon", words) <= limit < count_text("mastodon", words) + link
    live = html.unescape(client_in.post(reverse("publishing:count"), {
        "text": words, "targets": [old.pk], "quote": item.pk}).content.decode())
    assert "Split into a thread there" in live
    response = client_in.post(reverse("publishing:target_step", args=[old.pk, "split"]),
                              {"text": words, "targets": [old.pk], "quote": item.pk},
                              headers={"HX-Request": "true"})
    assert _parts(response.content.decode(), old.pk) == [
        "The first sentence ends here.", words.split(" ", 5)[-1]]


def _version_4_4_limit_30(status: int, body: bytes) -> tuple[int, bytes]:
    document = json.loads(body)
    document["version"] = "4.4.3"
    document["configuration"]["statuses"]["max_characters"] = 30
    return status, json.dumps(document).encode()


def test_a_link_that_leaves_the_first_part_no_room_is_named(
    mastodon_peer: MastodonPeer, owner: User, client_in: Client,
) -> None:
    # A server of 30 characters that cannot show quotes: the link (23, 25 with its blank line)
    # leaves the first part's words no room. The notice names the link, not the words.
    proxy = HttpFaultProxy(mastodon_peer.base_url)
    proxy.arm("GET", "/api/v2/instance/", Rewrite(_version_4_4_limit_30), count=1_000_000)
    try:
        _, old, item, caps = _quoting(mastodon_peer, proxy, owner)
        assert (caps.text_limit, caps.quote_as_link) == (30, True)
        response = client_in.post(
            reverse("publishing:target_step", args=[old.pk, "split"]),
            {"text": TEXT, "targets": [old.pk], "quote": item.pk},
            headers={"HX-Request": "true"})
    finally:
        proxy.close()
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "custom-notice" in page
    assert ("The quoted post's link, which " + old.handle + " gets after the first part's "
            "words, leaves no room for them within 30.") in page, page[:3000]
    assert "first character" not in page
