"""The inbox against mastodon-mock: a mention and a direct message made on the server land in
the inbox with no deck column (its feeds are polled like a column's), are answered in place
(a reply through publishing; a direct status through send_direct, sent once even when the
form comes twice), read and done persist, and another person sees none of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from hubbub.inbox.models import Answer, EntryState, InboxFeed
from hubbub.jobs import scheduler
from hubbub.publishing import engine
from hubbub.publishing.models import DeliveryState
from hubbub.timeline import polling
from hubbub.timeline.models import Column, Item
from tests.conversations.helpers import PASSWORD, connect
from tests.peers.mastodon import MastodonPeer
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


def _poll_inbox(owner: User) -> None:
    """What the poll loop does: every due feed, the inbox's among them."""
    for feed in polling.due_feeds():
        if feed.connection.user_id == owner.pk and polling.claim(feed):
            polling.poll_feed(feed)


@pytest.fixture
def setup(mastodon_peer: MastodonPeer, client: Client) -> dict[str, Any]:
    cache.clear()
    owner = User.objects.create_user("ada", password=PASSWORD)
    me, friend = mastodon_peer.new_account(), mastodon_peer.new_account()
    connection = connect(owner, "mastodon", mastodon_peer.base_url,
                         {"access_token": me.access_token})
    mention = mastodon_peer.post_as(friend, f"@{me.username} what do you think?")
    direct = mastodon_peer.post_as(friend, f"@{me.username} psst, a secret",
                                   visibility="direct")
    client.force_login(owner)
    assert client.get("/inbox/").status_code == 200  # makes the inbox's feeds
    assert not Column.objects.exists()
    assert set(InboxFeed.objects.values_list("feed__key", flat=True)) == {"mentions", "direct"}

    def arrived() -> bool:
        _poll_inbox(owner)
        return Item.objects.filter(connection=connection,
                                   remote_id__in=[mention["id"], direct["id"]]).count() == 2
    until(arrived, "the mention and the direct message are read into the inbox")
    return {"owner": owner, "me": me, "friend": friend, "connection": connection,
            "mention": Item.objects.get(remote_id=mention["id"]),
            "direct": Item.objects.get(remote_id=direct["id"])}


def _token(html: str, item: Item) -> str:
    found = re.search(rf'name="token" value="([\w-]+-{item.pk})"', html)
    assert found, "a reply box for the entry"
    return found.group(1)


def test_a_mention_and_a_direct_message_land_and_are_answered(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    mention, direct, friend = setup["mention"], setup["direct"], setup["friend"]
    page = client.get("/inbox/").content.decode()
    assert "what do you think?" in page
    assert "psst, a secret" in page
    assert '<span class="nav-count">2<span class="visually-hidden"> unread</span>' in page
    assert "psst, a secret" in client.get("/inbox/?show=direct").content.decode()
    assert "psst" not in client.get("/inbox/?show=mentions").content.decode()

    # A reply in place: a Post with one delivery to the mention's account, answering it.
    token = _token(page, mention)
    client.post(f"/inbox/{mention.pk}/reply/", {"text": "I like it", "token": token})
    client.post(f"/inbox/{mention.pk}/reply/", {"text": "I like it", "token": token})
    answer = Answer.objects.get(item=mention)
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    delivery = answer.post.deliveries.get()  # type: ignore[union-attr]
    assert delivery.state == DeliveryState.SENT
    sent = mastodon_peer.status(friend, delivery.remote_id)
    assert sent["in_reply_to_id"] == mention.remote_id
    assert "Sent" in client.get("/inbox/").content.decode()

    # The direct message: answered as a direct status, once, however often the form comes.
    page = client.get("/inbox/?show=direct").content.decode()
    token = _token(page, direct)
    for _ in range(2):
        response = client.post(f"/inbox/{direct.pk}/reply/",
                               {"text": "tell me more", "token": token, "show": "direct"})
        assert response.status_code == 302
    answer = Answer.objects.get(item=direct)
    assert answer.state == Answer.SENT, answer.error
    status = mastodon_peer.status(friend, answer.remote_id)
    assert status["visibility"] == "direct"
    assert status["in_reply_to_id"] == direct.remote_id
    mine = [s for s in mastodon_peer.statuses(setup["me"]) if "tell me more" in s["content"]]
    assert len(mine) == 1


def test_read_and_done_persist_and_all_read(setup: dict[str, Any], client: Client) -> None:
    mention, direct = setup["mention"], setup["direct"]
    client.post(f"/inbox/{mention.pk}/state/", {"action": "done"})
    assert EntryState.objects.get(item=mention).state == EntryState.DONE
    assert "what do you think?" not in client.get("/inbox/").content.decode()
    assert "what do you think?" in client.get("/inbox/?show=done").content.decode()
    client.post(f"/inbox/{mention.pk}/state/", {"action": "undone"})
    assert EntryState.objects.get(item=mention).state == EntryState.READ
    client.post(f"/inbox/{mention.pk}/state/", {"action": "unread"})
    assert not EntryState.objects.filter(item=mention).exists()
    client.post("/inbox/read-all/")
    assert EntryState.objects.get(item=direct).state == EntryState.READ
    page = client.get("/inbox/").content.decode()
    assert "nav-count" not in page


def test_another_person_sees_none_of_it(setup: dict[str, Any], client: Client) -> None:
    mention = setup["mention"]
    User.objects.create_user("eve", password=PASSWORD)
    other = Client()
    other.login(username="eve", password=PASSWORD)
    page = other.get("/inbox/").content.decode()
    assert "what do you think?" not in page
    assert "psst" not in page
    assert other.post(f"/inbox/{mention.pk}/state/", {"action": "done"}).status_code == 404
    assert other.post(f"/inbox/{mention.pk}/reply/",
                      {"text": "hijack", "token": "x" * 20}).status_code == 404
    assert other.post(f"/inbox/{'9' * 30}/reply/", {"text": "x"}).status_code == 404
    assert not Answer.objects.exists()
    assert not EntryState.objects.exists()


def _send_again_form(html: str) -> dict[str, str]:
    """The fields of the entry's "Send again" form, as a browser would send them."""
    form = re.search(r'<form class="inbox-again".*?</form>', html, re.S)
    assert form, "a Send again form for the failed answer"
    fields = dict(re.findall(r'name="(token|text|show)" value="([^"]*)"', form.group(0)))
    return {k: v.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
            for k, v in fields.items()}


def test_a_failing_server_loses_nothing(setup: dict[str, Any], client: Client,
                                        mastodon_peer: MastodonPeer) -> None:
    """A direct answer the server refused is kept whole on the page with "Send again", which
    sends the same text under the same key (the page's new reply box would be a new key)."""
    direct = setup["direct"]
    mastodon_peer.add_fault({"type": "status", "status": 503}, methods=["POST"],
                            path="/api/v1/statuses")
    page = client.get("/inbox/?show=direct").content.decode()
    token = _token(page, direct)
    text = "are you there? it's about Friday's plan " + "and more " * 20
    response = client.post(f"/inbox/{direct.pk}/reply/",
                           {"text": text, "token": token}, follow=True)
    assert "Not sent" in response.content.decode()
    answer = Answer.objects.get(item=direct)
    assert answer.state == Answer.FAILED
    assert answer.text == text.strip()
    key = answer.idempotency_key
    again = _send_again_form(client.get("/inbox/?show=direct").content.decode())
    assert again["token"] == token
    assert again["text"] == text.strip()  # whole, not cut at 140 characters
    client.post(f"/inbox/{direct.pk}/reply/", again)
    answer.refresh_from_db()
    assert answer.state == Answer.SENT, answer.error
    assert answer.idempotency_key == key
    assert Answer.objects.filter(item=direct).count() == 1
    mine = [s for s in mastodon_peer.statuses(setup["me"]) if "Friday" in s["content"]]
    assert len(mine) == 1
    assert "inbox-again" not in client.get("/inbox/?show=direct").content.decode()


def test_an_answer_whose_request_died_can_be_sent_again_once(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    """A direct answer left "sending" (the request died mid-send) is offered again after a
    while, under its own key; an unforeseen error while sending is said, not a 500."""
    from datetime import timedelta

    from django.utils import timezone

    from hubbub.inbox import services

    direct = setup["direct"]
    page = client.get("/inbox/?show=direct").content.decode()
    token = _token(page, direct)
    Answer.objects.create(user=setup["owner"], item=direct, token=token, text="still there?",
                          direct=True, idempotency_key="k" * 32, state=Answer.SENDING)
    response = client.post(f"/inbox/{direct.pk}/reply/",
                           {"text": "still there?", "token": token}, follow=True)
    assert "Still sending" in response.content.decode()
    assert "inbox-again" not in client.get("/inbox/?show=direct").content.decode()
    Answer.objects.filter(token=token).update(
        created_at=timezone.now() - services.STALE_SENDING - timedelta(seconds=1))
    client.post(f"/inbox/{direct.pk}/reply/",
                _send_again_form(client.get("/inbox/?show=direct").content.decode()))
    answer = Answer.objects.get(token=token)
    assert answer.state == Answer.SENT, answer.error
    mine = [s for s in mastodon_peer.statuses(setup["me"]) if "still there?" in s["content"]]
    assert len(mine) == 1


def test_a_reply_is_never_more_public_than_what_it_answers(
        setup: dict[str, Any], client: Client, mastodon_peer: MastodonPeer) -> None:
    me, friend, owner = setup["me"], setup["friend"], setup["owner"]
    private = mastodon_peer.post_as(friend, f"@{me.username} between us followers",
                                    visibility="private")

    def arrived() -> bool:
        _poll_inbox(owner)
        return Item.objects.filter(remote_id=private["id"]).exists()
    until(arrived, "the followers-only mention is read into the inbox")
    item = Item.objects.get(remote_id=private["id"])
    page = client.get("/inbox/").content.decode()
    client.post(f"/inbox/{item.pk}/reply/", {"text": "agreed", "token": _token(page, item)})
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)
    answer = Answer.objects.get(item=item)
    delivery = answer.post.deliveries.get()  # type: ignore[union-attr]
    assert delivery.state == DeliveryState.SENT
    assert mastodon_peer.status(friend, delivery.remote_id)["visibility"] == "private"
