""""Post now" goes out at once and side by side: the worker runs in this process (as in
`hubbub serve`), the posts go to the Mastodon mock (a real server), and the scheduler's tick is
an hour long, so only the wake-up from the commit can have sent them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.jobs.worker import HubWorker
from hubbub.networks.registry import get_connector
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post, send_draft
from tests.integration.postnow_gate import Gate
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)



@pytest.fixture
def owner() -> User:
    return User.objects.create_user("poster", password="a-long-enough-password")


@pytest.fixture
def worker(settings: Any) -> Iterator[HubWorker]:
    settings.HUBBUB_SCHEDULER_INTERVAL = 3600.0  # no second tick during a test
    settings.HUBBUB_READ_NETWORKS = False
    settings.HUBBUB_SEND_IN_WORKER = True
    hub = HubWorker(concurrency=0)
    hub.start()
    until(lambda: hub.ticks >= 1, "the worker's first tick")
    try:
        yield hub
    finally:
        hub.stop()


def _connect(owner: User, base_url: str, account: SeededAccount) -> Connection:
    connected = get_connector("mastodon").connect_with_token(
        base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected)


def _texts(peer: MastodonPeer, account: SeededAccount) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s["content"]) for s in peer.statuses(account)]


def _all_sent(post_id: int) -> bool:
    states = set(Delivery.objects.filter(post_id=post_id).values_list("state", flat=True))
    return states == {DeliveryState.SENT}


def test_post_now_is_sent_without_waiting_for_the_tick(
        mastodon_faults: MastodonPeer, owner: User, worker: HubWorker) -> None:
    account = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, account)
    ticks = worker.ticks
    post = create_post(user=owner, text="sent on the commit's wake-up", connections=[connection])
    until(lambda: _all_sent(post.pk), "the post to be sent")
    assert _texts(mastodon_faults, account) == ["sent on the commit's wake-up"]
    assert worker.ticks == ticks  # no tick ran: the wake-up did it


def test_the_targets_of_one_post_are_in_flight_at_once(
        mastodon_faults: MastodonPeer, owner: User, worker: HubWorker) -> None:
    gate = Gate(mastodon_faults.port, hold=("POST", "/api/v1/statuses"), meet=2)
    try:
        accounts = [mastodon_faults.new_account() for _ in range(2)]
        connections = [_connect(owner, gate.base_url, a) for a in accounts]
        post = create_post(user=owner, text="side by side", connections=connections)
        until(lambda: _all_sent(post.pk), "both targets to be sent")
    finally:
        gate.close()
    assert gate.guard_released == 0  # each publish met the other at the gate
    assert gate.peak == 2
    for account in accounts:
        assert _texts(mastodon_faults, account) == ["side by side"]
    # Exactly once each, on the server itself.
    assert Delivery.objects.filter(post=post, state=DeliveryState.SENT).count() == 2


def test_one_account_gets_one_post_at_a_time(
        mastodon_faults: MastodonPeer, owner: User, worker: HubWorker) -> None:
    """Two posts to the same account never meet at the gate (HUBBUB_SEND_PER_ACCOUNT=1): each
    waits there for the guard, alone, and both still go out once, in order."""
    gate = Gate(mastodon_faults.port, hold=("POST", "/api/v1/statuses"), meet=2, guard=1.0)
    try:
        account = mastodon_faults.new_account()
        connection = _connect(owner, gate.base_url, account)
        first = create_post(user=owner, text="first", connections=[connection])
        second = create_post(user=owner, text="second", connections=[connection])
        until(lambda: _all_sent(first.pk) and _all_sent(second.pk), "both posts")
    finally:
        gate.close()
    assert gate.peak == 1
    assert gate.guard_released == 2
    assert _texts(mastodon_faults, account) == ["second", "first"]  # newest first


def test_the_committing_thread_hands_a_post_sent_now_to_a_sender(
        mastodon_faults: MastodonPeer, owner: User, worker: HubWorker) -> None:
    """At the commit, in the thread that made it, the delivery is claimed and its sender
    started: create_post returns with the row already taken (the loop has not even looked)."""
    account = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, account)
    post = create_post(user=owner, text="handed over at the commit", connections=[connection])
    assert post.deliveries.get().state in {DeliveryState.SENDING, DeliveryState.SENT}
    until(lambda: _all_sent(post.pk), "the post to be sent")
    draft = create_post(user=owner, text="a draft sent", connections=[connection], draft=True)
    send_draft(draft)  # a draft's rows move to scheduled: handed over the same way
    assert draft.deliveries.get().state in {DeliveryState.SENDING, DeliveryState.SENT}
    until(lambda: _all_sent(draft.pk), "the draft to be sent")
    assert _texts(mastodon_faults, account) == ["a draft sent", "handed over at the commit"]
    events = list(post.deliveries.get().events.values_list("to_state", flat=True))
    assert events == ["scheduled", "sending", "sent"]  # claimed once
