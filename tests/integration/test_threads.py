"""A thread and its deletion, through the engine, on the real servers."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post, delete_everywhere
from tests.peers.bluesky import BlueskyPeer
from tests.peers.mastodon import MastodonPeer

pytestmark = pytest.mark.django_db
S = DeliveryState
PARTS = ["A thread, part one.", "Part two answers part one.", "Part three ends it."]


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", password="a-long-enough-password")


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _thread_post(owner: User, connection: Connection) -> Delivery:
    post = create_post(user=owner, text=" ".join(PARTS), connections=[connection])
    Delivery.objects.filter(post=post).update(parts=PARTS)
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SENT, delivery.last_error
    return delivery


def test_mastodon_thread_then_delete(mastodon_peer: MastodonPeer, owner: User) -> None:
    account = mastodon_peer.new_account()
    connection = save_connection(owner, "mastodon", get_connector("mastodon").connect_with_token(
        mastodon_peer.base_url, {"access_token": account.access_token}))
    delivery = _thread_post(owner, connection)
    statuses = {s["id"]: s for s in mastodon_peer.statuses(account)}
    ids = [p["remote_id"] for p in delivery.parts_done]
    assert [re.sub(r"<[^>]+>", "", statuses[i]["content"]) for i in ids] == PARTS
    assert statuses[ids[1]]["in_reply_to_id"] == ids[0]
    assert statuses[ids[2]]["in_reply_to_id"] == ids[1]
    assert delivery.remote_url == statuses[ids[0]]["url"]
    delete_everywhere(delivery.post)
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.DELETED
    assert mastodon_peer.statuses(account) == []


def test_bluesky_thread_then_delete(bluesky_peer: BlueskyPeer, owner: User) -> None:
    sky = bluesky_peer.create_account("thread")
    connection = save_connection(owner, "bluesky", get_connector("bluesky").connect_with_token(
        bluesky_peer.pds_url, {"handle": sky.handle, "app_password": sky.app_password}))
    delivery = _thread_post(owner, connection)
    uris = [p["remote_id"] for p in delivery.parts_done]
    records = [bluesky_peer.get_record(sky.did, "app.bsky.feed.post", uri.rsplit("/", 1)[1])
               for uri in uris]
    assert [r["value"]["text"] for r in records if r] == PARTS
    assert records[1] is not None
    assert records[2] is not None
    assert records[1]["value"]["reply"]["parent"]["uri"] == uris[0]
    assert records[2]["value"]["reply"]["parent"]["uri"] == uris[1]
    assert records[2]["value"]["reply"]["root"]["uri"] == uris[0]
    delete_everywhere(delivery.post)
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.DELETED
    assert all(bluesky_peer.get_record(sky.did, "app.bsky.feed.post", u.rsplit("/", 1)[1])
               is None for u in uris)
