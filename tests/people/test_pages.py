"""The People pages: make a person, add and remove accounts, confirm and dismiss suggestions,
add an item's author from the deck; only one's own people and items; CSRF; clear errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from hubbub.listening.models import Rule
from hubbub.networks.nostr import keys
from hubbub.people import services
from hubbub.people.models import DismissedSuggestion, Person, PersonAccount
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed, Item
from hubbub.timeline.selectors import ensure_feed
from tests.timeline.conftest import make_column, make_connection, net_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _feed(user: User, network: str) -> Feed:
    return ensure_feed(make_connection(user, network=network), "home")


def test_make_a_person_add_and_remove_accounts(web: Client, alice: User) -> None:
    made = web.post("/people/", {"name": "Ana", "note": "from the <b>conference</b>"})
    assert made.status_code == 302
    ana = Person.objects.get(user=alice)
    page = web.get(made["Location"]).content.decode()
    assert "from the &lt;b&gt;conference&lt;/b&gt;" in page
    assert "No rule names Ana yet" in page
    added = web.post(f"/people/{ana.pk}/accounts/",
                     {"network": "mastodon", "handle": "@ana@social.example",
                      "profile_url": "https://social.example/@ana"})
    assert added.status_code == 302
    twice = web.post(f"/people/{ana.pk}/accounts/",
                     {"network": "mastodon", "handle": "ana@social.example"})
    assert twice.status_code == 400
    assert "already one of Ana" in twice.content.decode()
    bad = web.post(f"/people/{ana.pk}/accounts/",
                   {"network": "mastodon", "handle": "ana", "profile_url": "javascript:x"})
    assert bad.status_code == 400
    assert "https://" in bad.content.decode()
    listing = web.get("/people/").content.decode()
    assert "ana@social.example" in listing
    account = PersonAccount.objects.get()
    assert web.post(f"/people/{ana.pk}/accounts/{account.pk}/remove/").status_code == 302
    assert not PersonAccount.objects.exists()
    renamed = web.post(f"/people/{ana.pk}/", {"name": "Ana Lima", "note": ""})
    assert renamed.status_code == 302
    assert Person.objects.get().name == "Ana Lima"
    empty = web.post(f"/people/{ana.pk}/", {"name": "", "note": ""})
    assert empty.status_code == 400
    assert web.post(f"/people/{ana.pk}/delete/").status_code == 302
    assert not Person.objects.exists()


def test_another_user_sees_and_changes_nothing(web: Client, alice: User, bob: User) -> None:
    ana = services.create_person(alice, "Ana Secret")
    account = services.add_account(ana, "bluesky", "ana.bsky.test")
    feed = _feed(alice, "mastodon")
    ingest(feed, [net_item(1)])
    item = Item.objects.get()
    other = Client()
    other.force_login(bob)
    assert "Ana Secret" not in other.get("/people/").content.decode()
    for url in (f"/people/{ana.pk}/", f"/people/from-item/{item.pk}/"):
        assert other.get(url).status_code == 404
    for url in (f"/people/{ana.pk}/", f"/people/{ana.pk}/accounts/",
                f"/people/{ana.pk}/accounts/{account.pk}/remove/", f"/people/{ana.pk}/delete/",
                f"/people/from-item/{item.pk}/"):
        assert other.post(url, {"name": "x", "network": "nostr", "handle": "y"}).status_code \
            == 404
    assert Person.objects.get().name == "Ana Secret"
    assert PersonAccount.objects.count() == 1
    # Bob cannot add his item's author to Alice's person either.
    bobs = _feed(bob, "mastodon")
    ingest(bobs, [net_item(2, prefix="b")])
    refused = other.post(f"/people/from-item/{Item.objects.get(connection__user=bob).pk}/",
                         {"person": ana.pk})
    assert refused.status_code == 400
    assert PersonAccount.objects.count() == 1
    # Nor put her person in his rule or his allow-list column.
    rule = other.post("/rules/new/", {"person": ana.pk, "visibility": "hide", "days": "30",
                                      "do": "save"})
    assert rule.status_code == 400
    column = make_column(bob, [bobs])
    allow = other.post(f"/rules/columns/{column.pk}/", {"only": "", "people": ana.pk})
    assert allow.status_code == 400


def test_posts_need_the_csrf_token(alice: User) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    ana = services.create_person(alice, "Ana")
    assert strict.post("/people/", {"name": "X"}).status_code == 403
    assert strict.post(f"/people/{ana.pk}/delete/").status_code == 403
    assert strict.post("/people/suggestions/dismiss/", {"key": "name:x"}).status_code == 403
    assert Person.objects.count() == 1


def test_suggestion_confirm_and_dismiss_from_the_page(web: Client, alice: User) -> None:
    now = timezone.now()
    npub = keys.npub("a" * 64)  # a Nostr author is always a key (an npub that decodes)
    for network, handle in (("mastodon", "@ana@social.example"), ("nostr", npub)):
        ingest(_feed(alice, network), [
            net_item(1, at=now - timedelta(minutes=1), prefix=network)])
        Item.objects.filter(network=network).update(author_handle=handle, author_name="Ana L.")
    page = web.get("/people/").content.decode()
    assert "Ana L.: one person?" in page
    done = web.post("/people/suggestions/confirm/", {
        "key": "name:ana l", "account": ["mastodon ana@social.example", f"nostr {npub}"]})
    assert done.status_code == 302
    assert sorted(PersonAccount.objects.values_list("network", flat=True)) == [
        "mastodon", "nostr"]
    gone = web.post("/people/suggestions/confirm/", {"key": "name:ana l", "account": "x"})
    assert gone.status_code == 302
    assert "no longer there" in web.get("/people/").content.decode()
    web.post("/people/suggestions/dismiss/", {"key": "name:bo"})
    assert DismissedSuggestion.objects.get().key == "name:bo"


def test_add_an_items_author_from_the_deck(web: Client, alice: User) -> None:
    feed = _feed(alice, "mastodon")
    ingest(feed, [net_item(1)])
    item = Item.objects.get()
    column = make_column(alice, [feed])
    deck = web.get(f"/deck/columns/{column.pk}/").content.decode()
    # The deck draws each item's actions from the page's one copy (items.js puts the item's id
    # where the placeholder's is); the item's own page has them written out, for no script.
    assert f'data-item="{item.pk}"' in deck
    assert '<template id="item-acts" data-id="987654321"' in deck
    assert "/people/from-item/987654321/" in deck
    own = web.get(f"/deck/items/{item.pk}/conversation/").content.decode()
    assert f"/people/from-item/{item.pk}/" in own
    form = web.get(f"/people/from-item/{item.pk}/").content.decode()
    assert "ann@x.example" in form
    made = web.post(f"/people/from-item/{item.pk}/", {"person": "", "name": ""})
    assert made.status_code == 302
    ann = Person.objects.get()
    assert ann.name == "Ann"
    assert list(ann.accounts.values_list("network", "handle")) == [
        ("mastodon", "ann@x.example")]
    assert "already one of" in web.get(f"/people/from-item/{item.pk}/").content.decode()


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "\x00", "\ufffe", "1e9",
                                   "a" * 6000])
def test_hostile_values_are_clear_errors_not_500s(web: Client, alice: User, value: str) -> None:
    ana = services.create_person(alice, "Ana")
    for url, data in [
        ("/people/", {"name": value, "note": value}),
        (f"/people/{ana.pk}/", {"name": value, "note": value}),
        (f"/people/{ana.pk}/accounts/", {"network": value, "handle": value,
                                         "profile_url": value}),
        ("/people/suggestions/confirm/", {"key": value, "account": [value, value]}),
        ("/people/suggestions/dismiss/", {"key": value}),
        ("/people/suggestions/dismiss/", {"key": f"name:{value}"}),
    ]:
        assert web.post(url, data).status_code < 500, (url, data)
    # Nothing unprintable is kept (PostgreSQL refuses NUL in text).
    kept = list(DismissedSuggestion.objects.values_list("key", flat=True))
    assert all(key.isprintable() for key in kept), kept
    if not f"name:{value}".isprintable():
        assert not DismissedSuggestion.objects.exists()


def test_the_rule_form_names_people_and_the_rules_page_says_who(web: Client,
                                                                 alice: User) -> None:
    ana = services.create_person(alice, "Ana Lima")
    form = web.get("/rules/new/").content.decode()
    assert "Author is one of your people" in form
    assert "Ana Lima" in form
    saved = web.post("/rules/new/", {"name": "priority: Ana", "person": ana.pk,
                                     "visibility": "priority", "days": "30", "do": "save"})
    assert saved.status_code == 302
    rule = Rule.objects.get(user=alice)
    assert rule.conditions == [{"kind": "person", "values": [ana.pk], "negate": False}]
    listing = web.get("/rules/").content.decode()
    assert "Author is one of your people (any of their accounts, every network): Ana Lima" \
        in listing
    edit = web.get(f"/rules/{rule.pk}/").content.decode()
    assert re.search(rf'value="{ana.pk}"[^>]*checked|checked[^>]*value="{ana.pk}"', edit)
    assert "priority: Ana" in web.get(f"/people/{ana.pk}/").content.decode()
    # "New rule for Ana" from her page: the form comes with her ticked; someone else's
    # person or a hostile value ticks nobody.
    ticked = re.compile(rf'value="{ana.pk}"[^>]*checked|checked[^>]*value="{ana.pk}"')
    assert ticked.search(web.get(f"/rules/new/?person={ana.pk}").content.decode())
    assert not ticked.search(web.get("/rules/new/").content.decode())
    for value in ("99999999999999999999999", "x", "-1"):
        assert web.get(f"/rules/new/?person={value}").status_code == 200
    services.delete_person(ana)
    assert "a deleted person" in web.get("/rules/").content.decode()
