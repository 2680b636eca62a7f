"""People: accounts checked and kept one person's each, suggestions by matching names (kept
dismissed), and a rule naming a person matching every account of theirs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.listening import apply
from hubbub.listening import services as rules
from hubbub.listening.conditions import CONDITIONS, Invalid, spec_from
from hubbub.listening.models import ItemMark, ListeningState
from hubbub.people import services, suggest
from hubbub.people.models import Person
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_connection, net_item

pytestmark = pytest.mark.django_db


def _feed(user: User, network: str) -> Feed:
    return ensure_feed(make_connection(user, network=network), "home")


def _post(feed: Feed, n: int, handle: str, name: str, text: str = "") -> None:
    item = net_item(n, at=timezone.now() - timedelta(minutes=n), prefix=f"{feed.pk}-",
                    text=text or f"post {n} by {name}")
    url = f"https://{feed.connection.network}.example/{n}"  # the author's profile page
    ingest(feed, [replace(item, author_handle=handle, author_name=name,
                          extra={**item.extra, "author_url": url})])


def test_accounts_are_checked_and_belong_to_one_person(alice: User) -> None:
    ana = services.create_person(alice, "  Ana Lima ", "met at the conference")
    assert ana.name == "Ana Lima"
    services.add_account(ana, "mastodon", "@Ana@Social.Example", "https://social.example/@ana")
    assert ana.accounts.get().handle == "ana@social.example"
    with pytest.raises(Invalid, match="already one of Ana Lima's accounts"):
        services.add_account(ana, "mastodon", "ana@social.example")
    other = services.create_person(alice, "Someone")
    with pytest.raises(Invalid, match="already an account of Ana Lima"):
        services.add_account(other, "mastodon", "ana@social.example")
    for network, handle, url, message in [
        ("myspace", "ana", "", "Choose a network"),
        ("bluesky", "   ", "", "handle"),
        ("bluesky", "two words", "", "one word"),
        ("bluesky", "ana.test", "javascript:alert(1)", "https://"),
        ("bluesky", "x" * 301, "", "300"),
        ("bluesky", "ana\ud800", "", "broken character"),
    ]:
        with pytest.raises(Invalid, match=message):
            services.add_account(ana, network, handle, url)
    with pytest.raises(Invalid, match="name"):
        services.create_person(alice, " \x00 ")
    # A Nostr hex key is kept as its npub, as the rules compare authors.
    services.add_account(ana, "nostr", "a" * 64)
    assert ana.accounts.get(network="nostr").handle.startswith("npub1")


def test_suggestions_by_matching_names_confirm_and_dismiss(alice: User, bob: User) -> None:
    masto, sky, nostr = (_feed(alice, n) for n in ("mastodon", "bluesky", "nostr"))
    _post(masto, 1, "@ana@social.example", "Ana Lima 🌻")
    _post(sky, 2, "ana.bsky.test", "ana lima")
    _post(nostr, 3, "npub1" + "q" * 58, "Ána LIMA")
    _post(masto, 4, "@bo@social.example", "Bo")  # one network only: no suggestion
    _post(sky, 5, "carl.bsky.test", "Carl")
    _post(nostr, 6, "npub1" + "c" * 58, "Carl")
    found = suggest.suggestions(alice)
    assert [s.key for s in found] == ["name:ana lima", "name:carl"]
    assert found[0].networks == ["bluesky", "mastodon", "nostr"]
    assert suggest.suggestions(bob) == []  # Bob's deck stored none of these
    # Confirming two of Ana's three accounts makes the person; the third stays suggested as
    # "add to Ana Lima".
    ana = suggest.confirm(alice, "name:ana lima",
                          ["mastodon ana@social.example", "bluesky ana.bsky.test",
                           "mastodon bo@social.example"])  # not part of the suggestion
    assert sorted(ana.accounts.values_list("network", "handle")) == [
        ("bluesky", "ana.bsky.test"), ("mastodon", "ana@social.example")]
    again = suggest.suggestions(alice)
    assert again[0].person == ana
    assert [a.network for a in again[0].accounts] == ["nostr"]
    with pytest.raises(Invalid, match="Tick at least one"):
        suggest.confirm(alice, "name:carl", [])
    with pytest.raises(Invalid, match="no longer there"):
        suggest.confirm(bob, "name:carl", ["bluesky carl.bsky.test"])
    suggest.dismiss(alice, "name:carl")
    _post(masto, 7, "@carl@social.example", "Carl")  # a new account: still dismissed
    assert [s.key for s in suggest.suggestions(alice)] == ["name:ana lima"]


def test_a_rule_naming_a_person_matches_all_their_accounts_and_follows_edits(
        alice: User) -> None:
    masto, sky = _feed(alice, "mastodon"), _feed(alice, "bluesky")
    _post(masto, 1, "@ana@social.example", "Ana", "from ana on mastodon")
    _post(sky, 2, "ana.bsky.test", "Ana", "from ana on bluesky")
    _post(sky, 3, "bo.bsky.test", "Bo", "from bo")
    ana = services.create_person(alice, "Ana")
    services.add_account(ana, "mastodon", "@ana@social.example")
    services.add_account(ana, "bluesky", "ana.bsky.test")
    spec = spec_from({"conditions": [{"kind": "person", "values": [ana.pk]}],
                      "actions": [{"kind": "priority"}]})
    preview = apply.preview(alice.pk, spec, days=1)
    assert preview.matched == 2
    rules.save_rule(alice, spec, name="priority: Ana", expires_at=None)
    apply.recompute(alice.pk)
    marked = ItemMark.objects.filter(priority=True)
    assert sorted(m.item.text for m in marked) == ["from ana on bluesky", "from ana on mastodon"]
    assert [r.name for r in services.rules_naming(ana)] == ["priority: Ana"]
    # Removing an account bumps the rules' version; the recompute then unmarks its items.
    version = ListeningState.objects.get(user=alice).version
    services.remove_account(ana.accounts.get(network="bluesky"))
    assert ListeningState.objects.get(user=alice).version == version + 1
    apply.recompute(alice.pk)
    assert [m.item.text for m in ItemMark.objects.filter(priority=True)] == [
        "from ana on mastodon"]
    # Deleting the person: the rule matches nobody.
    services.delete_person(ana)
    apply.recompute(alice.pk)
    assert not ItemMark.objects.filter(priority=True).exists()


def test_a_rule_cannot_name_another_users_person(alice: User, bob: User) -> None:
    theirs = Person.objects.create(user=bob, name="Bob's friend")
    spec = spec_from({"conditions": [{"kind": "person", "values": [theirs.pk]}],
                      "actions": [{"kind": "hide"}]})
    with pytest.raises(Invalid, match="not one of yours"):
        rules.save_rule(alice, spec, name="x", expires_at=None)
    exported = ('{"hubbub_rules": 1, "rules": [{"conditions": [{"kind": "person", "values": ['
                f'{theirs.pk}]}}], "actions": [{{"kind": "hide"}}]}}]}}')
    # In a file, such a rule is skipped and said (the rest of the file is imported).
    done = rules.import_file(alice, exported.encode())
    assert done.added == 0
    assert done.skipped == (f"“Untitled rule” ({CONDITIONS['person']}): the person "
                            f"{theirs.pk} (the file gives no name) is not one of yours",)


def test_an_allow_list_column_lets_a_persons_accounts_through(alice: User) -> None:
    from hubbub.timeline.selectors import column_page
    from tests.timeline.conftest import make_column

    masto, sky = _feed(alice, "mastodon"), _feed(alice, "bluesky")
    _post(masto, 1, "@ana@social.example", "Ana", "ana here")
    _post(sky, 2, "ana.bsky.test", "Ana", "ana there")
    _post(sky, 3, "bo.bsky.test", "Bo", "bo")
    column = make_column(alice, [masto, sky])
    ana = services.create_person(alice, "Ana")
    services.add_account(ana, "mastodon", "ana@social.example")
    rules.set_allow_list(column, [f"person:{ana.pk}"])
    column.refresh_from_db()
    apply.recompute(alice.pk)
    assert sorted(i.text for i in column_page(column)) == ["ana here"]
    services.add_account(ana, "bluesky", "ana.bsky.test")  # bumps: the column names Ana
    apply.recompute(alice.pk)
    assert sorted(i.text for i in column_page(column)) == ["ana here", "ana there"]
    assert [c.pk for c in services.columns_naming(ana)] == [column.pk]
