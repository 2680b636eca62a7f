"""`@[Name]` in answers written from the inbox, against the real servers: a reply to a mention
(through the engine) and a direct answer on the Mastodon mock, and a NIP-17 answer on the Nostr
relay, each carry the person's account on that network, written by the composer's own code
(publishing/mentions.py); a person with no account there is written by name and the page says
so; a direct answer's words are frozen before its first attempt, so "Send again" sends the same
words under the same key even after the person's accounts changed."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.inbox.models import Answer
from hubbub.jobs import scheduler
from hubbub.networks.base import DIRECT_FEED, Account, Draft
from hubbub.networks.nostr import keys
from hubbub.networks.nostr.connector import NostrConnector
from hubbub.people import services as people
from hubbub.people.models import Person
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.timeline import polling
from hubbub.timeline.models import Item
from tests.conversations.helpers import PASSWORD, connect
from tests.inbox.test_inbox_mastodon import _send_again_form, _token
from tests.inbox.test_inbox_mastodon import setup as setup  # the fixture, re-exported
from tests.peers.mastodon import MastodonPeer
from tests.peers.nostr import NostrPeer
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)
NOSTR = NostrConnector()


def _ana_and_bo(owner: User, mastodon_peer: MastodonPeer) -> dict[str, Any]:
    """Ana has a Mastodon account on the mock; Bo has none on Mastodon (only on Nostr)."""
    ana = mastodon_peer.new_account()
    person = people.create_person(owner, "Ana Lima")
    people.add_account(person, "mastodon", f"{ana.username}@localhost")
    bo = people.create_person(owner, "Bo")
    people.add_account(bo, "nostr", keys.npub("1" * 64))
    return {"ana": ana, "person": person}


def test_the_answer_box_offers_people_for_its_network(setup: dict[str, Any], client: Client,
                                                       mastodon_peer: MastodonPeer) -> None:
    _ana_and_bo(setup["owner"], mastodon_peer)
    page = client.get("/inbox/").content.decode()
    assert 'data-mentions="/compose/mentions/?network=mastodon"' in page
    assert "hubbub/mentions.js" in page
    options = client.get("/compose/mentions/", {"q": "an", "network": "mastodon"})
    assert 'data-insert="@[Ana Lima]"' in options.content.decode()
    bo = client.get("/compose/mentions/", {"q": "bo", "network": "mastodon"}).content.decode()
    assert "no Mastodon account: written as “Bo”" in bo
    # Another network's account would be mere text here: not offered for a Mastodon answer.
    Item.objects.create(connection=setup["connection"], network="nostr", remote_id="n1",
                        kind="post", author_handle=keys.npub("2" * 64), author_name="Bob Nostr",
                        created_at=setup["mention"].created_at, text="hi")
    assert "Bob Nostr" not in client.get(
        "/compose/mentions/", {"q": "bob", "network": "mastodon"}).content.decode()
    assert "Bob Nostr" in client.get("/compose/mentions/", {"q": "bob"}).content.decode()
    for hostile in ("../x", "a b", "ñ", "x" * 500, "\x00"):
        assert client.get("/compose/mentions/", {"q": "an",
                                                 "network": hostile}).status_code == 200


def test_a_reply_and_a_direct_answer_name_ana_on_mastodon(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    named = _ana_and_bo(setup["owner"], mastodon_peer)
    ana = named["ana"]
    mention, direct, friend = setup["mention"], setup["direct"], setup["friend"]

    # A reply: the engine writes @[Ana Lima] (and freezes it on the Delivery).
    page = client.get("/inbox/").content.decode()
    response = client.post(f"/inbox/{mention.pk}/reply/", {
        "text": "ask @[ana lima] and @[Bo]", "token": _token(page, mention)}, follow=True)
    said = response.content.decode()
    assert "Bo has no Mastodon account here: written as “Bo”." in said
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = Answer.objects.get(item=mention).post.deliveries.get()  # type: ignore[union-attr]
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    assert delivery.written == [f"ask @{ana.username} and Bo"]
    status = mastodon_peer.status(friend, delivery.remote_id)
    assert status["in_reply_to_id"] == mention.remote_id
    assert {m["id"] for m in status["mentions"]} >= {ana.id}

    # A direct answer: written here, frozen on the Answer, and Ana is told to be a reader.
    page = client.get("/inbox/?show=direct").content.decode()
    # Said before sending too: naming someone in a Mastodon direct message lets them read it.
    assert "everyone named in a direct message can read it" in page
    response = client.post(f"/inbox/{direct.pk}/reply/", {
        "text": "@[Ana Lima] joins us", "token": _token(page, direct), "show": "direct"},
        follow=True)
    said = response.content.decode()
    assert "Ana Lima can read this message too" in said
    answer = Answer.objects.get(item=direct)
    assert answer.state == Answer.SENT, answer.error
    assert answer.written.endswith(f"@{ana.username} joins us")
    status = mastodon_peer.status(friend, answer.remote_id)
    assert status["visibility"] == "direct"
    assert {m["id"] for m in status["mentions"]} == {ana.id, friend.id}
    assert f"@{ana.username} joins us" in client.get("/inbox/?show=direct").content.decode()


def test_send_again_sends_the_words_frozen_before_the_first_attempt(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    named = _ana_and_bo(setup["owner"], mastodon_peer)
    direct = setup["direct"]
    mastodon_peer.add_fault({"type": "status", "status": 503}, methods=["POST"],
                            path="/api/v1/statuses")
    page = client.get("/inbox/?show=direct").content.decode()
    client.post(f"/inbox/{direct.pk}/reply/",
                {"text": "@[Ana Lima] has the keys", "token": _token(page, direct)})
    answer = Answer.objects.get(item=direct)
    assert answer.state == Answer.FAILED
    first = answer.written
    assert f"@{named['ana'].username} has the keys" in first
    # Ana's Mastodon account changes meanwhile: the retry still sends the first words.
    other = mastodon_peer.new_account()
    person: Person = named["person"]
    for account in person.accounts.all():
        people.remove_account(account)
    people.add_account(person, "mastodon", f"{other.username}@localhost")
    again = client.post(f"/inbox/{direct.pk}/reply/",
                        _send_again_form(client.get("/inbox/?show=direct").content.decode()),
                        follow=True).content.decode()
    answer.refresh_from_db()
    assert answer.state == Answer.SENT, answer.error
    assert answer.written == first
    # What the page says is about the words sent, not about Ana's accounts of today.
    assert "written as your People were when this was first sent" in again
    assert other.username not in again
    mine = [s for s in mastodon_peer.statuses(setup["me"]) if "has the keys" in s["content"]]
    assert len(mine) == 1
    assert {m["id"] for m in mine[0]["mentions"]} == {named["ana"].id, setup["friend"].id}


def test_a_nostr_direct_answer_names_ana_by_her_npub(nostr_peer: NostrPeer,
                                                     client: Client) -> None:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    connection = connect(owner, "nostr", nostr_peer.url, {"nsec": ""})
    friend, ana = nostr_peer.keygen(), nostr_peer.keygen()
    person = people.create_person(owner, "Ana Lima")
    people.add_account(person, "nostr", keys.npub(ana.pk))
    people.create_person(owner, "Bo")  # no account anywhere
    theirs = Account(base_url=nostr_peer.url, credentials={
        "secret_key_hex": friend.sk, "relays": [nostr_peer.url]},
        remote_id=friend.pk, handle=keys.npub(friend.pk))
    room = {"conversation": ",".join(sorted([friend.pk, connection.remote_id]))}
    sent = NOSTR.send_direct(theirs, room, Draft(text=f"who else? {secrets.token_hex(3)}"),
                             "friend-key-2")
    client.force_login(owner)
    assert client.get("/inbox/").status_code == 200

    def arrived() -> bool:
        for feed in polling.due_feeds():
            if feed.connection_id == connection.pk and polling.claim(feed):
                polling.poll_feed(feed)
        return Item.objects.filter(connection=connection, remote_id=sent.remote_id).exists()
    until(arrived, "the Nostr message read into the inbox")
    item = Item.objects.get(connection=connection, remote_id=sent.remote_id)
    page = client.get("/inbox/?show=direct").content.decode()
    assert 'data-mentions="/compose/mentions/?network=nostr"' in page
    response = client.post(f"/inbox/{item.pk}/reply/", {
        "text": "ask @[Ana Lima] or @[bo]", "token": _token(page, item)}, follow=True)
    assert "Bo has no Nostr account here: written as “Bo”." in response.content.decode()
    answer = Answer.objects.get(item=item)
    assert answer.state == Answer.SENT, answer.error
    expected = f"ask nostr:{keys.npub(ana.pk)} or Bo"
    assert answer.written == expected
    got = [i for i in NOSTR.fetch(theirs, DIRECT_FEED).items if i.remote_id == answer.remote_id]
    assert len(got) == 1
    assert got[0].text == expected
    # A p tag names a NIP-17 chat's members: Ana is named, not added to the conversation.
    assert got[0].extra["conversation"] == room["conversation"]


def test_an_answer_attempted_before_words_were_frozen_is_sent_again_as_typed(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    """An answer left failed by a version that sent the text as typed (no `written`): the
    upgrade freezes that text, so Send again sends those words, not @[Ana Lima] written anew."""
    from importlib import import_module

    from django.apps import apps

    named = _ana_and_bo(setup["owner"], mastodon_peer)
    direct = setup["direct"]
    old = Answer.objects.create(user=setup["owner"], item=direct, token=secrets.token_hex(8),
                                text="@[Ana Lima] typed before", direct=True,
                                idempotency_key=secrets.token_hex(16), state=Answer.FAILED,
                                error="Mastodon answered 503")
    unsent = Answer.objects.create(user=setup["owner"], item=direct, token=secrets.token_hex(8),
                                   text="@[Ana Lima] never tried", direct=True,
                                   idempotency_key=secrets.token_hex(16), state="new")
    import_module("hubbub.inbox.migrations.0003_answer_written_before").freeze_as_typed(
        apps, None)
    old.refresh_from_db()
    unsent.refresh_from_db()
    assert old.written == "@[Ana Lima] typed before"
    assert unsent.written == ""
    client.post(f"/inbox/{direct.pk}/reply/",
                _send_again_form(client.get("/inbox/?show=direct").content.decode()))
    old.refresh_from_db()
    assert old.state == Answer.SENT, old.error
    mine = [s for s in mastodon_peer.statuses(setup["me"]) if "typed before" in s["content"]]
    assert len(mine) == 1
    assert named["ana"].username not in mine[0]["content"]
