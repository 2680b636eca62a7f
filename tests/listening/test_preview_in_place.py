"""The preview counts a rule in its place among the others (issue 12 walkthrough #10): an
earlier active rule that hides or marks priority decides first the items it also matches
(matcher._apply), so the preview of a rule that hides or marks priority counts only the items
it decides itself, which is what the saved rule then does at ingest and in the recompute. For an
edited rule the rules above it; for a new rule every rule (it goes last). Through each of the
preview's paths: the exact cut of a words rule, the cut then a Python check, no cut at all, and
items that have no kept words yet."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.listening import apply, services
from hubbub.listening.conditions import spec_from
from hubbub.listening.models import ItemMark, Rule
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.listening.test_store import now_item
from tests.timeline.conftest import make_column

pytestmark = pytest.mark.django_db

TEXTS = ["coffee by ann", "coffee alone", "coffee again", "coffee with ann again", "tea by ann"]


def rule(*conditions: dict[str, Any], action: str = "hide") -> Any:
    return spec_from({"conditions": list(conditions), "actions": [{"kind": action}]})


def words(*values: str, negate: bool = False) -> dict[str, Any]:
    return {"kind": "words", "values": list(values), "negate": negate}


COFFEE_RULES = {
    "words alone (the exact cut)": rule(words("coffee")),
    "words and a network (cut, then checked)": rule(words("coffee"),
                                                    {"kind": "network", "values": ["scripted"]}),
    "no cut (not tea)": rule(words("tea", negate=True)),
}


def saved(user: User, spec: Any, name: str) -> Rule:
    rule = services.save_rule(user, spec, name=name, expires_at=None)
    apply.recompute(user.pk)
    return rule


def decided_by(rule: Rule) -> set[str]:
    """The texts the saved rule hides or marks priority itself: it is the first rule of the
    item's mark that hides or marks priority."""
    found = set()
    now = timezone.now()
    for mark in ItemMark.objects.filter(item__connection__user=rule.user).select_related("item"):
        if not (mark.priority or (mark.hidden_until and mark.hidden_until > now)):
            continue
        deciding = [pk for pk in mark.rule_ids if any(
            a.get("kind") in apply.DECIDING for a in Rule.objects.get(pk=pk).actions)]
        if deciding and deciding[0] == rule.pk:
            found.add(mark.item.text)
    return found


@pytest.fixture
def stored(alice: User, feed: Feed, request: pytest.FixtureRequest) -> list[Item]:
    """The items; with `indexed`, a rule existed when they came (ingest kept their words)."""
    if getattr(request, "param", True):
        saved(alice, rule(words("zzzunused")), "unused")
    ingest(feed, [now_item(n, text) for n, text in enumerate(TEXTS, start=1)])
    return list(Item.objects.all())


@pytest.mark.parametrize("stored", [True, False], ids=["indexed", "no kept words"],
                         indirect=True)
@pytest.mark.parametrize("name", list(COFFEE_RULES))
@pytest.mark.parametrize("first_action", ["priority", "hide"])
def test_an_edited_rule_previews_what_it_decides_below_a_rule_that_decides_first(
        alice: User, stored: list[Item], name: str, first_action: str) -> None:
    first = saved(alice, rule(words("ann"), action=first_action), "Ana first")
    paused = saved(alice, rule(words("again")), "paused")
    services.set_paused(paused, True)
    coffee = saved(alice, COFFEE_RULES[name], "No coffee")
    spec = COFFEE_RULES[name]
    before = apply.rules_before(alice.pk, coffee.pk)
    assert {s.rule_id for s in before} >= {first.pk, paused.pk}
    assert coffee.pk not in {s.rule_id for s in before}
    shown = apply.preview(alice.pk, spec, days=30, earlier=before)
    apply.recompute(alice.pk)
    assert decided_by(coffee) == {"coffee alone", "coffee again"}
    assert shown.matched == 2  # alone it counts 4: "coffee by ann" and "... with ann again" too
    assert shown.taken == {first.pk: 2}
    assert shown.taken_count == 2
    assert apply.preview(alice.pk, spec, days=30).matched == 4  # without the rules above
    examples = set(Item.objects.filter(pk__in=shown.examples).values_list("text", flat=True))
    assert examples == {"coffee alone", "coffee again"}


def test_a_new_rule_goes_last_and_a_rule_below_an_edited_one_does_not_count(
        alice: User, stored: list[Item]) -> None:
    coffee_spec = rule(words("coffee"))
    coffee = saved(alice, coffee_spec, "No coffee")
    # A new priority rule for Ann's posts comes after "No coffee": coffee by Ann stays hidden.
    ann = rule(words("ann"), action="priority")
    shown = apply.preview(alice.pk, ann, days=30, earlier=apply.rules_before(alice.pk))
    assert shown.verb == "marks as priority"
    assert shown.matched == 1
    assert shown.taken == {coffee.pk: 2}
    made = saved(alice, ann, "Ann")
    assert decided_by(made) == {"tea by ann"}
    # Editing "No coffee" (above "Ann"): the rule below it does not take its items.
    assert apply.preview(alice.pk, coffee_spec, days=30,
                         earlier=apply.rules_before(alice.pk, coffee.pk)).matched == 4
    assert decided_by(coffee) == {"coffee by ann", "coffee alone", "coffee again",
                                  "coffee with ann again"}
    # Moved below "Ann": two of its items are Ann's first.
    services.move_rule(coffee, 1)
    apply.recompute(alice.pk)
    coffee.refresh_from_db()
    shown = apply.preview(alice.pk, coffee_spec, days=30,
                          earlier=apply.rules_before(alice.pk, coffee.pk))
    assert shown.matched == 2 == len(decided_by(coffee))
    assert shown.taken == {made.pk: 2}


def test_rules_above_that_neither_hide_nor_mark_priority_take_nothing(
        alice: User, feed: Feed, stored: list[Item]) -> None:
    column = make_column(alice, [ensure_feed(feed.connection, "notifications")])
    saved(alice, spec_from({"conditions": [words("coffee")],
                            "actions": [{"kind": "mark_read"}, {"kind": "notify"},
                                        {"kind": "send_to", "column": column.pk}]}), "read")
    hide = rule(words("coffee"))
    shown = apply.preview(alice.pk, hide, days=30, earlier=apply.rules_before(alice.pk))
    assert shown.matched == 4
    assert not shown.taken
    assert len(decided_by(saved(alice, hide, "No coffee"))) == 4


def test_an_earlier_rule_on_a_column_is_checked_with_the_items_feeds(
        alice: User, feed: Feed, stored: list[Item]) -> None:
    """An earlier rule's conditions may need what the previewed rule does not read: the feeds
    of a column condition, checked on the cut's hits."""
    mentions = ensure_feed(feed.connection, "mentions")
    ingest(mentions, [now_item(2, "coffee alone")])  # the same item, also in mentions
    column = make_column(alice, [mentions])
    first = saved(alice, rule({"kind": "column", "values": [column.pk]}, action="priority"),
                  "Mentions first")
    hide = rule(words("coffee"))
    shown = apply.preview(alice.pk, hide, days=30, earlier=apply.rules_before(alice.pk))
    assert shown.matched == 3
    assert shown.taken == {first.pk: 1}
    assert decided_by(saved(alice, hide, "No coffee")) == {
        "coffee by ann", "coffee again", "coffee with ann again"}


def test_a_rule_that_hides_nothing_now_counts_nothing(alice: User, stored: list[Item]) -> None:
    past = spec_from({"conditions": [words("coffee")],
                      "actions": [{"kind": "hide_until", "until": "2020-01-01T00:00:00+00:00"}]})
    shown = apply.preview(alice.pk, past, days=30, earlier=apply.rules_before(alice.pk))
    assert shown.matched == 0
    assert not shown.taken


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_the_edit_page_previews_what_the_saved_rule_then_hides(
        web: Client, alice: User, stored: list[Item]) -> None:
    """The walkthrough's steps: "No coffee", below "Ana first" (priority), previewed on its
    edit page, then saved as it is."""
    for name, word, action in (("Ana first", "ann", "priority"), ("No coffee", "coffee", "hide")):
        assert web.post("/rules/new/", {"name": name, "words": word, "visibility": action,
                                        "days": "30", "do": "save"}).status_code == 302
    coffee = Rule.objects.get(name="No coffee")
    form = {"name": "No coffee", "words": "coffee", "visibility": "hide", "days": "30"}
    page = web.post(f"/rules/{coffee.pk}/", {**form, "do": "preview"}).content.decode()
    assert "Preview: hides 2 items of the last 30 days" in page
    assert "Not counted: 2 more items it matches, which a rule above it decides first" in page
    assert web.post(f"/rules/{coffee.pk}/", {**form, "do": "save"}).status_code == 302
    apply.recompute(alice.pk)
    assert decided_by(coffee) == {"coffee alone", "coffee again"}
