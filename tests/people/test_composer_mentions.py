"""@[name] in the composer: each target's version names the person's account on that network
(Mastodon @user@host, Bluesky @handle, Nostr nostr:npub), the plain name where they have none,
and the drafts that are checked, counted and sent are the written ones."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from hubbub.networks.base import Draft
from hubbub.networks.nostr import keys
from hubbub.people import services
from hubbub.publishing.mentions import people_of, write, write_drafts
from hubbub.timeline.ingest import ingest
from hubbub.timeline.models import Feed
from tests.timeline.conftest import make_connection, net_item

pytestmark = pytest.mark.django_db

NPUB = keys.npub("f" * 63 + "0")


def _ana(user: User) -> None:
    ana = services.create_person(user, "Ána Lima")
    services.add_account(ana, "mastodon", "@ana@social.example")
    services.add_account(ana, "nostr", NPUB)


def test_each_network_gets_its_own_mention(alice: User) -> None:
    _ana(alice)
    people = people_of(alice.pk)
    mastodon = make_connection(alice, network="mastodon", handle="@me@other.example")
    local = make_connection(alice, network="mastodon", handle="@me@Social.example")
    nostr = make_connection(alice, network="nostr")
    bluesky = make_connection(alice, network="bluesky")
    text = "Thanks @[ana lima] and @[Nobody]!"
    assert write(text, mastodon, people).text == "Thanks @ana@social.example and Nobody!"
    assert write(text, local, people).text == "Thanks @ana and Nobody!"  # her own server
    assert write(text, nostr, people).text == f"Thanks nostr:{NPUB} and Nobody!"
    sky = write(text, bluesky, people)
    assert sky.text == "Thanks Ána Lima and Nobody!"
    assert sky.notes == ("Ána Lima has no Bluesky account here: written as “Ána Lima”.",
                         "No person is called “Nobody”: written as “Nobody”.")
    assert write(text, mastodon, people).notes == (
        "No person is called “Nobody”: written as “Nobody”.",)
    # A Bluesky account known only by its DID cannot be written as a handle; a handle can.
    ana = alice.people.get()
    services.add_account(ana, "bluesky", "did:plc:abcdefghijklmnopqrstuvwx")
    assert write("@[Ana Lima]", bluesky, people_of(alice.pk)).text == "Ána Lima"
    services.add_account(ana, "bluesky", "ana.bsky.social")
    assert write("@[Ana Lima]", bluesky, people_of(alice.pk)).text == "@ana.bsky.social"


def test_a_thread_is_written_part_by_part_and_text_without_names_is_untouched(
        alice: User) -> None:
    _ana(alice)
    nostr = make_connection(alice, network="nostr")
    parts = [Draft(text="1/2 hello @[Ána Lima]"), Draft(text="2/2 plain @[x")]
    written, notes = write_drafts(parts, nostr)
    assert [d.text for d in written] == [f"1/2 hello nostr:{NPUB}", "2/2 plain @[x"]
    assert notes == ()
    same = [Draft(text="no names here, just an address: user@[192.0.2.1]")]
    assert write_drafts(same, nostr) == (same, ())


def test_another_users_person_is_never_named(alice: User, bob: User) -> None:
    _ana(bob)
    mastodon = make_connection(alice, network="mastodon")
    written = write("hi @[Ana Lima]", mastodon, people_of(alice.pk))
    assert written.text == "hi Ana Lima"
    assert written.notes == ("No person is called “Ana Lima”: written as “Ana Lima”.",)


# --- the composer's page: counters, preview and suggestions -----------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_counters_and_preview_count_what_is_sent(alice: User) -> None:
    _ana(alice)  # Mastodon (another server) and Nostr, no Bluesky
    nostr = make_connection(alice, network="nostr")
    bluesky = make_connection(alice, network="bluesky", handle="me.bsky.social")
    html = _client(alice).post(reverse("publishing:count"), {
        "text": "hi @[Ana Lima]", "targets": [nostr.pk, bluesky.pk]}).content.decode()
    sent = f"hi nostr:{NPUB}"
    assert f"<strong>{len(sent)}</strong>" in html  # Nostr counts the reference it sends
    assert "<strong>11</strong>" in html  # Bluesky: "hi Ána Lima"
    assert NPUB in html  # the preview shows the reference sent
    assert "Ána Lima has no Bluesky account here: written as “Ána Lima”." in html
    assert "data-mention-note" in html


def test_typing_at_suggests_people_then_known_accounts(alice: User, bob: User,
                                                       feed: Feed) -> None:
    _ana(alice)
    services.create_person(alice, "Bo")
    services.create_person(bob, "Anatole")  # bob's, never alice's
    ingest(feed, [net_item(1, kind="post")])  # by "@ann@x.example" (Ann)
    client = _client(alice)
    url = reverse("publishing:mention_options")
    html = client.get(url, {"q": "an"}).content.decode()
    assert 'data-insert="@[Ána Lima]"' in html
    assert "Person: Mastodon, Nostr" in html
    assert 'data-insert="@ann@x.example"' in html  # an author the deck has seen
    assert "Anatole" not in html
    assert ">Bo<" not in html
    assert html.index("Ána Lima") < html.index("@ann@x.example")  # people first
    assert 'role="option"' in html
    everyone = client.get(url, {"q": ""}).content.decode()  # "@" alone: all people
    assert "Ána Lima" in everyone
    assert "Bo" in everyone
    assert "@ann@x.example" not in everyone
    for hostile in ["\x00", "x" * 10_000, "9" * 400, "@[", "%", "_", "' OR 1=1 --"]:
        assert client.get(url, {"q": hostile}).status_code == 200
    assert client.post(url, {"q": "an"}).status_code == 405
    assert Client().get(url, {"q": "an"}).status_code == 302  # signed in only
