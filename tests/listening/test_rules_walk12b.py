"""Issue 12's second walkthrough of the Rules pages, the server side: an exported file names
what its rules point at (a column's title and deck, an account, a person) beside the ids, and an
import finds them by name on another hub or after the column was made again, skips (and names)
only the rules whose references it cannot find; "Hide" with a date is refused rather than the
date dropped; the list names the column a rule sends to and the accounts it reads; a rule
without a name is "Untitled rule" everywhere. The browser side: test_rules_walk12b_browser.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from hubbub.listening import services
from hubbub.listening.conditions import Invalid, spec_from
from hubbub.listening.models import Rule
from hubbub.people.models import Person
from hubbub.timeline.models import Column, Deck, Feed
from tests.timeline.conftest import make_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _text(response: Any) -> str:
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" :", ":")


def _column(user: User, title: str, deck: str = "Main") -> Column:
    made, _ = Deck.objects.get_or_create(user=user, name=deck)
    return Column.objects.create(deck=made, title=title)


def _save(user: User, name: str, conditions: list[dict[str, Any]],
          actions: list[dict[str, Any]]) -> Rule:
    return services.save_rule(user, spec_from({"conditions": conditions, "actions": actions}),
                              name=name, expires_at=None)


def _file(*rules: dict[str, Any]) -> bytes:
    return json.dumps({"hubbub_rules": 1, "rules": list(rules)}).encode()


# --- export names what the ids are ------------------------------------------------------------


def test_the_export_names_columns_accounts_and_people_beside_their_ids(alice: User) -> None:
    python = _column(alice, "#python")
    account = make_connection(alice, handle="@ada@social.example", network="mastodon")
    ana = Person.objects.create(user=alice, name="Ana Lima")
    _save(alice, "to python", [{"kind": "column", "values": [python.pk]},
                               {"kind": "connection", "values": [account.pk]},
                               {"kind": "person", "values": [ana.pk]}],
          [{"kind": "send_to", "column": python.pk}])
    rule = json.loads(services.export(alice))["rules"][0]
    column, connection, person = rule["conditions"]
    assert column["values"] == [python.pk]
    assert column["names"] == [{"title": "#python", "deck": "Main"}]
    assert connection["names"] == [{"network": "mastodon", "handle": "@ada@social.example"}]
    assert person["names"] == [{"name": "Ana Lima"}]
    assert rule["actions"] == [{"kind": "send_to", "column": python.pk,
                                "column_name": {"title": "#python", "deck": "Main"}}]


# --- import finds them by name, skips and names what it cannot find ---------------------------


def test_another_persons_export_imports_by_names(alice: User, bob: User) -> None:
    _save(alice, "to python", [{"kind": "words", "values": ["django"]}],
          [{"kind": "send_to", "column": _column(alice, "#python").pk}])
    ana = Person.objects.create(user=alice, name="Ana Lima")
    account = make_connection(alice, handle="@ada@social.example", network="mastodon")
    _save(alice, "ana", [{"kind": "person", "values": [ana.pk]},
                         {"kind": "connection", "values": [account.pk]}], [{"kind": "hide"}])
    exported = services.export(alice).encode()
    # Bob has things of the same names (other ids): the rules point at his.
    bobs_column = _column(bob, "#python")
    bobs_ana = Person.objects.create(user=bob, name="Ana Lima")
    bobs_account = make_connection(bob, handle="@ADA@social.example", network="mastodon")
    done = services.import_file(bob, exported)
    assert (done.added, done.skipped) == (2, ())
    to_python, by_ana = Rule.objects.filter(user=bob).order_by("position")
    assert to_python.actions == [{"kind": "send_to", "column": bobs_column.pk}]
    assert [c["values"] for c in by_ana.conditions] == [[bobs_ana.pk], [bobs_account.pk]]


def test_a_rule_whose_column_is_gone_is_skipped_by_name_and_the_rest_imported(
        web: Client, alice: User) -> None:
    python = _column(alice, "#python")
    _save(alice, "Python to its column", [{"kind": "words", "values": ["django"]}],
          [{"kind": "send_to", "column": python.pk}])
    _save(alice, "", [{"kind": "column", "values": [python.pk]}], [{"kind": "mark_read"}])
    _save(alice, "No coffee", [{"kind": "words", "values": ["coffee"]}], [{"kind": "hide"}])
    exported = web.get("/rules/export/").content
    Rule.objects.filter(user=alice).delete()
    python.delete()
    answer = web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", exported)},
                      follow=True)
    said = _text(answer)
    assert "1 rule imported, after your own." in said
    assert ("Not imported, 2 rules: “Python to its column”: the column “#python” (deck Main) "
            "is not one of yours; “Untitled rule” (Read into the column): the column "
            "“#python” (deck Main) is not one of yours." in said)
    assert [r.name for r in Rule.objects.filter(user=alice)] == ["No coffee"]
    # The column made again (another id): found by its name.
    again = _column(alice, "#python")
    web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", exported)})
    assert Rule.objects.filter(user=alice).count() == 3
    assert Rule.objects.get(user=alice, name="Python to its column").actions == [
        {"kind": "send_to", "column": again.pk}]


def test_a_renamed_column_is_still_found_by_its_id(alice: User) -> None:
    python = _column(alice, "#python")
    _save(alice, "r", [{"kind": "words", "values": ["x"]}],
          [{"kind": "send_to", "column": python.pk}])
    exported = services.export(alice).encode()
    Rule.objects.filter(user=alice).delete()
    Column.objects.filter(pk=python.pk).update(title="Python")
    assert services.import_file(alice, exported).added == 1


def test_an_old_file_of_ids_only_still_imports(alice: User, bob: User) -> None:
    mine = _column(alice, "Home")
    theirs = _column(bob, "Home")
    old = _file({"name": "mine", "conditions": [{"kind": "words", "values": ["a"]}],
                 "actions": [{"kind": "send_to", "column": mine.pk}]},
                {"name": "theirs", "conditions": [{"kind": "words", "values": ["b"]}],
                 "actions": [{"kind": "send_to", "column": theirs.pk}]})
    done = services.import_file(alice, old)
    assert done.added == 1
    assert done.skipped == (f"“theirs”: the column {theirs.pk} (the file gives no name) is "
                            "not one of yours",)
    assert Rule.objects.get(user=alice).name == "mine"


def test_names_of_the_wrong_shape_are_no_help_but_no_error(alice: User) -> None:
    for names in ([1, 2], "x", [{"title": 5}], [{"title": "\ud800"}], [None], None):
        raw = _file({"name": "n", "conditions": [{"kind": "column", "values": [9],
                                                  "names": names}],
                     "actions": [{"kind": "hide"}]})
        done = services.import_file(alice, raw)
        assert done.added == 0
        assert done.skipped == ("“n”: the column 9 (the file gives no name) is not one of "
                                "yours",)


def test_a_malformed_file_is_still_refused_whole_naming_the_rule(alice: User) -> None:
    raw = _file({"name": "fine", "conditions": [{"kind": "words", "values": ["a"]}],
                 "actions": [{"kind": "hide"}]},
                {"name": "broken", "conditions": [{"kind": "column", "values": ["x"]}],
                 "actions": [{"kind": "hide"}]})
    with pytest.raises(Invalid, match="Rule 2 \\(“broken”\\): Read into the column: not an id"):
        services.import_file(alice, raw)
    assert not Rule.objects.exists()


# --- "Hide" with a date -----------------------------------------------------------------------


def test_hide_with_a_date_is_refused_saying_what_to_choose(web: Client, alice: User) -> None:
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    form = {"words": "relays", "days": "30", "do": "save", "hide_until": day}
    for visibility in ("hide", "priority", ""):
        answer = web.post("/rules/new/", {**form, "visibility": visibility})
        assert answer.status_code == 400
        assert ("To hide until a date, choose “Hide until a date” under “Then”; otherwise "
                "empty this date." in _text(answer))
    assert not Rule.objects.exists()
    assert web.post("/rules/new/", {**form, "visibility": "hide_until"}).status_code == 302


def test_the_past_hide_until_refusal_offers_what_is_allowed(web: Client, alice: User) -> None:
    form = {"words": "relays", "days": "30", "do": "save", "visibility": "hide_until"}
    said = _text(web.post("/rules/new/", {**form, "hide_until": "2001-01-01"}))
    assert "or leave it empty" not in said
    assert "or choose “Hide” to hide them for good" in said
    # ... and leaving it empty is indeed refused: the message no longer offers it.
    assert "Give the date the items come back." in _text(web.post("/rules/new/", form))
    ends = _text(web.post("/rules/new/", {**form, "visibility": "hide",
                                          "expires": "2001-01-01"}))
    assert "or leave it empty: the rule never ends" in ends  # which is allowed there


# --- the list names what a rule points at ------------------------------------------------------


def test_the_list_names_the_column_sent_to_and_the_account_read_by(
        web: Client, alice: User, feed: Feed) -> None:
    python = _column(alice, "#python")
    account = make_connection(alice, handle="@ada@social.example", network="mastodon")
    _save(alice, "to python", [{"kind": "connection", "values": [account.pk]}],
          [{"kind": "send_to", "column": python.pk},
           {"kind": "hide_until", "until": "2031-03-04T00:00:00+00:00"}])
    said = _text(web.get("/rules/"))
    assert "Then: Also show in the column #python (deck Main), Hide until 4 Mar 2031" in said
    assert "Read by the account: @ada@social.example (Mastodon)" in said
    python.delete()
    assert "Also show in the column a deleted column" in _text(web.get("/rules/"))


# --- one wording for a rule without a name ----------------------------------------------------


def test_a_rule_without_a_name_is_untitled_rule_in_every_message(web: Client,
                                                                 alice: User) -> None:
    saved = web.post("/rules/new/", {"words": "relays", "visibility": "hide", "days": "30",
                                     "do": "save"}, follow=True)
    assert "Rule “Untitled rule” saved." in _text(saved)
    rule = Rule.objects.get(user=alice)
    paused = web.post(f"/rules/{rule.pk}/pause/", follow=True)
    assert "Rule “Untitled rule” paused." in _text(paused)
    assert "Pause “Untitled rule”" not in paused.content.decode()
    assert "Resume “Untitled rule”" in paused.content.decode()
    deleted = web.post(f"/rules/{rule.pk}/delete/", follow=True)
    assert "Rule “Untitled rule” deleted" in _text(deleted)
    assert f"rule {rule.pk}" not in _text(deleted)


# --- the place a keyboard user had, kept ------------------------------------------------------


def _focused(html: str) -> list[str]:
    return [m for m in re.findall(r"<(?:button|a)\b[^>]*>", html) if " autofocus" in m]


def test_moving_or_pausing_brings_focus_back_to_the_same_button(web: Client,
                                                                alice: User) -> None:
    first = _save(alice, "first", [{"kind": "words", "values": ["a"]}], [{"kind": "hide"}])
    for name in ("second", "third"):
        _save(alice, name, [{"kind": "words", "values": [name]}], [{"kind": "hide"}])
    moved = web.post(f"/rules/{first.pk}/move/", {"to": "down"}, follow=True).content.decode()
    assert _focused(moved) == ['<button class="btn btn-sm" type="submit" autofocus '
                               'aria-label="Move “first” down">']
    # Now last, its Down button is disabled: the rule's name has the focus.
    moved = web.post(f"/rules/{first.pk}/move/", {"to": "down"}, follow=True).content.decode()
    assert _focused(moved) == [f'<a class="rule-name" href="/rules/{first.pk}/" autofocus>']
    assert f'id="rule-{first.pk}"' in moved
    paused = web.post(f"/rules/{first.pk}/pause/", follow=True).content.decode()
    assert _focused(paused) == ['<button class="btn btn-sm" type="submit" autofocus '
                                'aria-label="Resume “first”">']
    assert _focused(web.get("/rules/").content.decode()) == []  # once only


def test_a_file_whose_every_rule_names_what_one_has_not_says_so(web: Client,
                                                                alice: User) -> None:
    raw = _file({"name": "gone", "conditions": [{"kind": "person", "values": [77],
                                                 "names": [{"name": "Zoë"}]}],
                 "actions": [{"kind": "hide"}]})
    said = _text(web.post("/rules/import/", {"file": SimpleUploadedFile("r.json", raw)},
                          follow=True))
    assert ("Nothing was imported: the file's rules name what you have not. Not imported, "
            "1 rule: “gone”: the person “Zoë” is not one of yours." in said)
    assert not Rule.objects.exists()
