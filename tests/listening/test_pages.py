"""The Rules pages: preview then save, the list's order/pause/delete, export and import, the
allow-list form; only one's own rules and columns; CSRF; no 500 on hostile input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.listening import apply
from hubbub.listening.models import ItemMark, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Column, Feed
from tests.timeline.conftest import make_column, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _items(feed: Feed) -> None:
    now = timezone.now()
    ingest(feed, [net_item(n, at=now - timedelta(hours=n), text=text, html=f"<p>{text}</p>")
                  for n, text in enumerate(["Le café est prêt", "football", "CAFE time",
                                            "nothing"])])


def test_preview_then_save_hides_what_the_preview_counted(web: Client, alice: User,
                                                          feed: Feed) -> None:
    column = make_column(alice, [feed])
    _items(feed)
    form = {"name": "no coffee", "words": "café", "visibility": "hide", "days": "30"}
    shown = web.post("/rules/new/", {**form, "do": "preview"})
    assert shown.status_code == 200
    assert "Preview: hides 2 items of the last 30 days" in shown.content.decode()
    assert "CAFE time" in shown.content.decode()
    assert not Rule.objects.exists()
    saved = web.post("/rules/new/", {**form, "do": "save"})
    assert saved.status_code == 302
    apply.recompute(alice.pk)
    assert ItemMark.objects.filter(hidden_until__isnull=False).count() == 2
    deck = web.get(f"/deck/columns/{column.pk}/").content.decode()
    assert "football" in deck
    assert "CAFE time" not in deck
    listing = web.get("/rules/").content.decode()
    assert "no coffee" in listing


def test_list_order_pause_delete_and_owner_only(web: Client, alice: User, bob: User) -> None:
    for word in ("rule-one", "rule-two"):
        web.post("/rules/new/", {"name": word, "words": word, "visibility": "hide",
                                 "days": "30", "do": "save"})
    one, two = Rule.objects.filter(user=alice)
    web.post(f"/rules/{two.pk}/move/", {"to": "up"})
    assert [r.name for r in Rule.objects.filter(user=alice)] == ["rule-two", "rule-one"]
    web.post(f"/rules/{one.pk}/pause/")
    assert Rule.objects.get(pk=one.pk).paused
    web.post(f"/rules/{one.pk}/delete/")
    assert not Rule.objects.filter(pk=one.pk).exists()
    # Bob sees nothing of Alice's and can change nothing.
    other = Client()
    other.force_login(bob)
    assert other.get(f"/rules/{two.pk}/").status_code == 404
    assert other.post(f"/rules/{two.pk}/delete/").status_code == 404
    assert other.post(f"/rules/{two.pk}/pause/").status_code == 404
    assert "rule-two" not in other.get("/rules/").content.decode()
    assert json.loads(other.get("/rules/export/").content)["rules"] == []
    column = make_column(alice, [])
    assert other.get(f"/rules/columns/{column.pk}/").status_code == 404
    refused = other.post("/rules/new/", {"words": "x", "visibility": "", "send_to": column.pk,
                                         "days": "30", "do": "save"})
    assert refused.status_code == 400
    assert not Rule.objects.filter(user=bob).exists()


def test_writes_need_csrf(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/rules/new/", {"words": "x", "visibility": "hide", "days": "30",
                                       "do": "save"}).status_code == 403
    assert not Rule.objects.exists()


@pytest.mark.parametrize("value", ["1" * 30, "\x00", "a" * 1_000_000, "-1", "²", "' OR 1=1"])
def test_hostile_input_is_refused_cleanly(web: Client, alice: User, value: str) -> None:
    for field in ("words", "author", "domain", "connection", "column", "send_to", "days",
                  "hide_until", "kind", "network", "has_media", "visibility"):
        form = {"words": "ok", "visibility": "hide", "days": "30", "do": "preview",
                field: value}
        response = web.post("/rules/new/", form)
        assert response.status_code in (200, 400), (field, response.status_code)
    assert web.get(f"/rules/{'9' * 30}/").status_code == 404
    assert web.post(f"/rules/{'9' * 30}/delete/").status_code == 404
    assert web.post("/rules/columns/999999999999999999999999/",
                    {"only": value}).status_code == 404
    assert not Rule.objects.exists()


def test_export_import_and_a_bad_file(web: Client, alice: User) -> None:
    web.post("/rules/new/", {"name": "quiet", "words": "café\nbreaking news",
                             "visibility": "priority", "days": "30", "do": "save"})
    exported = web.get("/rules/export/")
    assert exported["Content-Disposition"].startswith("attachment")
    from django.core.files.uploadedfile import SimpleUploadedFile

    # One's own export imported again adds nothing twice (issue 12 #16): renamed, it is the
    # same rule; with another word, a new one.
    web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", exported.content)})
    assert Rule.objects.filter(user=alice).count() == 1
    other = exported.content.replace(b"breaking news", b"weather")
    web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", other)})
    assert Rule.objects.filter(user=alice).count() == 2
    bad = web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", b'{"x": 1}')},
                   follow=True)
    assert "Nothing was imported" in bad.content.decode()
    assert Rule.objects.filter(user=alice).count() == 2


def test_allow_list_form(web: Client, alice: User, feed: Feed) -> None:
    column = make_column(alice, [feed])
    assert web.post(f"/rules/columns/{column.pk}/",
                    {"only": "@Bob@x.example\n@carol.bsky.social"}).status_code == 302
    assert Column.objects.get(pk=column.pk).filters["only"] == ["bob@x.example",
                                                                 "carol.bsky.social"]
    assert "only bob@x.example" in web.get("/rules/").content.decode()


def test_the_deck_marks_priority_shows_notices_and_routes(web: Client, alice: User,
                                                          feed: Feed) -> None:
    from hubbub.timeline.models import Deck
    from hubbub.timeline.selectors import ensure_feed
    from tests.timeline.conftest import make_connection

    home = make_column(alice, [feed], title="Home")
    other = make_column(alice, [ensure_feed(make_connection(alice), "home")], title="Ann")
    web.post("/rules/new/", {"name": "ann first", "author": "@ann@x.example",
                             "visibility": "priority", "notify": "on", "send_to": other.pk,
                             "days": "30", "do": "save"})
    _items(feed)
    deck = web.get(f"/deck/{Deck.objects.get(user=alice).pk}/").content.decode()
    assert deck.count('<span class="item-priority">Priority</span>') == 8  # 4 items, 2 columns
    assert "4 notices from your rules" in deck
    assert web.get(f"/deck/columns/{other.pk}/").content.decode().count("item-priority") == 4
    assert home.pk != other.pk
