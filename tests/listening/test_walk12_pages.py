"""Issue 12's walkthrough, the Rules pages: a rule that would do nothing from today is refused
(#3), columns are named with their accounts (#5), the preview counts a rule in its place and
names the rules above that decide first (#10), values that can never match are refused saying
why (#13), and importing one's own export again adds nothing twice (#16)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.listening.models import Rule
from hubbub.networks.nostr import keys
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Column, Feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _text(response: object) -> str:
    """The page's text with tags and runs of spaces taken out."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" :", ":")


def _day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- #3: an end date or a "hide until" already begun -------------------------------------------


@pytest.mark.parametrize("do", ["preview", "save"])
def test_a_rule_ending_on_a_past_day_is_refused_before_preview_or_save(
        web: Client, alice: User, feed: Feed, do: str) -> None:
    ingest(feed, [net_item(1, at=timezone.now() - timedelta(hours=1), text="about relays")])
    form = {"words": "relays", "visibility": "hide", "days": "30", "do": do}
    for day in ("2001-01-01", _day(0)):
        answer = web.post("/rules/new/", {**form, "expires": day})
        assert answer.status_code == 400
        text = _text(answer)
        assert "has begun already, so the rule would do nothing" in text
        assert "Preview:" not in text  # no count of what an ended rule would hide
    assert not Rule.objects.exists()
    tomorrow = web.post("/rules/new/", {**form, "expires": _day(1)})
    assert tomorrow.status_code == (302 if do == "save" else 200)


def test_hide_until_a_past_day_is_refused(web: Client, alice: User) -> None:
    form = {"words": "relays", "visibility": "hide_until", "days": "30", "do": "save"}
    answer = web.post("/rules/new/", {**form, "hide_until": "2001-01-01"})
    assert answer.status_code == 400
    assert "The items would come back on 1 Jan 2001, which has begun already" in _text(answer)
    assert not Rule.objects.exists()
    # "Hide" with a date would drop the date without a word: refused, saying what to choose
    # (tests/listening/test_rules_walk12b.py).
    hide = web.post("/rules/new/", {**form, "visibility": "hide", "hide_until": "2001-01-01"})
    assert hide.status_code == 400
    assert "To hide until a date, choose “Hide until a date”" in _text(hide)
    assert web.post("/rules/new/", {**form, "visibility": "hide"}).status_code == 302


def test_a_rule_that_has_ended_says_so_on_the_list(web: Client, alice: User) -> None:
    web.post("/rules/new/", {"name": "old one", "words": "relays", "visibility": "hide",
                             "days": "30", "do": "save"})
    Rule.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(days=3))
    text = _text(web.get("/rules/"))
    assert "Ended" in text
    assert "does nothing now" in text
    assert "Ends " not in text


# --- #5: columns named with their accounts ------------------------------------------------------


def _three_homes(alice: User) -> list[str]:
    handles = ["@ada@localhost", "@ada.test", keys.npub("7e" * 32)]
    for n, handle in enumerate(handles):
        connection = make_connection(alice, handle=handle)
        make_column(alice, [ensure_feed(connection, "home")], title="Home")
        if n == 0:
            make_column(alice, [ensure_feed(connection, "home"),
                                ensure_feed(make_connection(alice, handle="@bo@localhost"),
                                            "home")], title="Both")
    return handles


def test_the_rule_form_and_rules_pages_name_each_columns_accounts(
        web: Client, alice: User) -> None:
    handles = _three_homes(alice)
    short = f"{handles[2][:9]}…{handles[2][-4:]}"
    form = _text(web.get("/rules/new/"))
    for shown in ("Home · @ada@localhost (deck deck)", "Home · @ada.test (deck deck)",
                  f"Home · {short} (deck deck)",
                  "Both · @ada@localhost, @bo@localhost (deck deck)"):
        # In "Read into the column" and in "Also show in the column".
        assert form.count(shown) == 2, shown
    assert handles[2] not in form  # the npub is shortened
    rules = _text(web.get("/rules/"))
    assert "Home · @ada@localhost (deck deck): everyone" in rules
    assert f"Home · {short} (deck deck): everyone" in rules
    column = Column.objects.get(deck__user=alice, title="Home",
                                feeds__connection__handle="@ada.test")
    page = _text(web.get(f"/rules/columns/{column.pk}/"))
    assert "Who shows in “Home · @ada.test (deck deck)”" in page


def test_a_rules_column_condition_is_shown_by_its_label(web: Client, alice: User) -> None:
    _three_homes(alice)
    column = Column.objects.get(deck__user=alice, title="Home",
                                feeds__connection__handle="@ada@localhost")
    saved = web.post("/rules/new/", {"column": [column.pk], "visibility": "priority",
                                     "days": "30", "do": "save"})
    assert saved.status_code == 302
    assert "Read into the column: Home · @ada@localhost (deck deck)" in _text(web.get("/rules/"))


# --- #10: the rules above that decide first -----------------------------------------------------


def test_the_preview_names_the_rules_above_that_decide_first(web: Client, alice: User,
                                                             feed: Feed) -> None:
    ingest(feed, [net_item(1, at=timezone.now() - timedelta(hours=1), text="coffee by Ann")])
    for name, words, action in (("Ana first", "ann", "priority"), ("Just read", "x", ""),
                                ("No coffee", "coffee", "hide")):
        form = {"name": name, "words": words, "visibility": action, "days": "30", "do": "save"}
        if not action:
            form["mark_read"] = "on"
        assert web.post("/rules/new/", form).status_code == 302
    coffee = Rule.objects.get(name="No coffee")
    shown = _text(web.post(f"/rules/{coffee.pk}/", {
        "name": "No coffee", "words": "coffee", "visibility": "hide", "days": "30",
        "do": "preview"}))
    # "Ana first" marks the one coffee item priority first: "No coffee" hides nothing of it.
    assert "Preview: hides 0 items" in shown
    assert ("Not counted: 1 more item it matches, which a rule above it decides first (hides "
            "or marks priority): “Ana first” 1.") in shown
    assert "“Just read”" not in shown[shown.find("Not counted"):]  # neither hides nor marks
    # The first rule has none above it; a paused one above does not count.
    first = Rule.objects.get(name="Ana first")
    alone = _text(web.post(f"/rules/{first.pk}/", {
        "name": "Ana first", "words": "ann", "visibility": "priority", "days": "30",
        "do": "preview"}))
    assert "Preview: marks as priority 1 item" in alone
    assert "Not counted" not in alone
    Rule.objects.filter(pk=first.pk).update(paused=True)
    again = _text(web.post(f"/rules/{coffee.pk}/", {
        "name": "No coffee", "words": "coffee", "visibility": "hide", "days": "30",
        "do": "preview"}))
    assert "Preview: hides 1 item" in again
    assert "Not counted" not in again


# --- #13: values that can never match -----------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "said"), [
    ("author", "not a handle!!", "“not a handle!!” is not a handle, DID or npub"),
    ("author", "npub1notvalid", "“npub1notvalid” is not a valid npub"),
    ("language", "german", "“german” is not a language code: give a BCP 47 / ISO 639 code"),
    ("domain", "http://", "“http://” is not a domain: give one such as example.com"),
])
def test_a_value_that_can_never_match_is_refused_saying_why(
        web: Client, alice: User, field: str, value: str, said: str) -> None:
    answer = web.post("/rules/new/", {field: value, "visibility": "hide", "days": "30",
                                      "do": "preview"})
    assert answer.status_code == 400
    assert said in _text(answer)
    assert "'' is not a domain" not in _text(answer)


@pytest.mark.parametrize(("field", "value"), [
    ("author", "@ana@social.example, ana.bsky.social\ndid:plc:abcdefghijklmnopqrstuvwx"),
    ("author", keys.npub("7e" * 32)),
    ("author", "7e" * 32),
    ("language", "de, pt-BR\nen-US"),
    ("domain", "https://news.example.com/path, example.org"),
])
def test_values_that_can_match_are_taken(web: Client, alice: User, field: str,
                                         value: str) -> None:
    answer = web.post("/rules/new/", {field: value, "visibility": "hide", "days": "30",
                                      "do": "save"})
    assert answer.status_code == 302, _text(answer)


def test_the_allow_list_refuses_what_is_no_account(web: Client, alice: User) -> None:
    column = make_column(alice, [], title="Home")
    refused = web.post(f"/rules/columns/{column.pk}/", {"only": "@ana@social.example\n"
                                                                "not a handle!!"})
    assert refused.status_code == 400
    assert "“not a handle!!” is not a handle, DID or npub" in _text(refused)
    column.refresh_from_db()
    assert not column.filters.get("only")
    taken = web.post(f"/rules/columns/{column.pk}/", {"only": "@ana@social.example"})
    assert taken.status_code == 302


# --- #16: importing one's own export again ------------------------------------------------------


def test_importing_ones_own_export_again_adds_nothing_twice(web: Client, alice: User) -> None:
    for word in ("one", "two"):
        web.post("/rules/new/", {"name": word, "words": word, "visibility": "hide",
                                 "days": "30", "do": "save"})
    exported = web.get("/rules/export/").content
    again = web.post("/rules/import/", {"file": _upload(exported)}, follow=True)
    assert Rule.objects.filter(user=alice).count() == 2
    assert "Nothing was imported: you have every rule of the file already." in _text(again)
    # A file with one new rule and one known: the new one only, said in the singular.
    data = json.loads(exported)
    data["rules"][1]["conditions"][0]["values"] = ["three"]
    mixed = web.post("/rules/import/", {"file": _upload(json.dumps(data).encode())}, follow=True)
    assert sorted(r.conditions[0]["values"][0] for r in Rule.objects.filter(user=alice)) == [
        "one", "three", "two"]
    assert ("1 rule imported, after your own. 1 rule of the file you had already (was not "
            "added again).") in _text(mixed)


def _upload(content: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hubbub-rules.json", content, content_type="application/json")
