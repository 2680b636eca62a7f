"""A post naming a Person (@[Ana]) is written once, at its first attempt: a retry and the check
after a lost answer use the same words, even if Ana's accounts changed meanwhile (otherwise
the check looks for other words, finds nothing, and the post is sent a second time)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.connections.services import save_connection
from hubbub.jobs import scheduler
from hubbub.networks.registry import get_connector
from hubbub.people import services as people
from hubbub.people.models import PersonAccount
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post, update_scheduled_post
from hubbub.publishing.target_drafts import frozen_part_drafts
from hubbub.publishing.transitions import retry_delivery
from tests.peers.mastodon import MastodonPeer, SeededAccount
from tests.peers.proxy import FaultProxy

pytestmark = pytest.mark.django_db
S = DeliveryState


def _connect(owner: User, base_url: str, account: SeededAccount) -> Connection:
    connected = get_connector("mastodon").connect_with_token(
        base_url, {"access_token": account.access_token})
    return save_connection(owner, "mastodon", connected)


def _run_due() -> None:
    for pk, _ in scheduler.due_deliveries():
        engine.process(pk)


def _texts(peer: MastodonPeer, account: SeededAccount) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s["content"]) for s in peer.statuses(account)]


def test_a_lost_answer_is_settled_with_the_words_first_sent(
    mastodon_peer: MastodonPeer, mastodon_fault_proxy: FaultProxy, settings: Any
) -> None:
    settings.HUBBUB_HTTP_TIMEOUT = 1.5
    owner = User.objects.create_user("frozen-mentions")
    poster = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_fault_proxy.base_url, poster)
    first, second = mastodon_peer.new_account(), mastodon_peer.new_account()
    ana = people.create_person(owner, "Ana")
    people.add_account(ana, "mastodon", f"{first.username}@localhost")

    mastodon_fault_proxy.arm(b"POST /api/v1/statuses", "drop")
    post = create_post(user=owner, text="Hello @[Ana]", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.UNKNOWN, delivery.last_error
    assert _texts(mastodon_peer, poster) == [f"Hello @{first.username}"]

    # Ana's Mastodon account changes before the check.
    people.remove_account(PersonAccount.objects.get(person=ana))
    people.add_account(ana, "mastodon", f"{second.username}@localhost")
    _run_due()  # the check finds what was sent
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    _run_due()
    assert _texts(mastodon_peer, poster) == [f"Hello @{first.username}"]
    assert delivery.attempts == 1


def test_a_retry_keeps_the_words_and_an_edit_writes_them_again(
    mastodon_faults: MastodonPeer,
) -> None:
    owner = User.objects.create_user("frozen-edit")
    poster = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, poster)
    first, second = mastodon_faults.new_account(), mastodon_faults.new_account()
    ana = people.create_person(owner, "Ana")
    people.add_account(ana, "mastodon", f"{first.username}@localhost")
    mastodon_faults.add_fault({"type": "status", "status": 503}, methods=["POST"],
                              path="/api/v1/statuses", count=2)
    post = create_post(user=owner, text="Hello @[Ana]", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.SCHEDULED, delivery.last_error  # the server was down: retried
    assert delivery.written == [f"Hello @{first.username}"]

    people.remove_account(PersonAccount.objects.get(person=ana))
    people.add_account(ana, "mastodon", f"{second.username}@localhost")
    Delivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    _run_due()  # down again: the retry sent the words of the first attempt
    delivery.refresh_from_db()
    assert delivery.state == S.SCHEDULED, delivery.last_error
    assert delivery.written == [f"Hello @{first.username}"]

    # The person edits the waiting post: it is written again, with Ana's account as it is now.
    update_scheduled_post(post, text="Hi again @[Ana]", content_warning="",
                          scheduled_for=timezone.now(), tz="UTC")
    delivery.refresh_from_db()
    assert delivery.written is None
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    assert _texts(mastodon_faults, poster) == [f"Hi again @{second.username}"]


def test_a_refused_post_retried_by_the_person_is_written_again(
    mastodon_faults: MastodonPeer,
) -> None:
    """Refused (nothing landed): Retry writes @[Ana] again, so fixing her account helps;
    otherwise the same refused words would go again."""
    owner = User.objects.create_user("frozen-refused")
    poster = mastodon_faults.new_account()
    connection = _connect(owner, mastodon_faults.base_url, poster)
    first, second = mastodon_faults.new_account(), mastodon_faults.new_account()
    ana = people.create_person(owner, "Ana")
    people.add_account(ana, "mastodon", f"{first.username}@localhost")
    mastodon_faults.add_fault({"type": "status", "status": 422}, methods=["POST"],
                              path="/api/v1/statuses", count=1)
    post = create_post(user=owner, text="Hello @[Ana]", connections=[connection])
    _run_due()
    delivery = post.deliveries.get()
    assert delivery.state == S.FAILED, delivery.last_error
    assert delivery.written == [f"Hello @{first.username}"]

    people.remove_account(PersonAccount.objects.get(person=ana))
    people.add_account(ana, "mastodon", f"{second.username}@localhost")
    assert retry_delivery(delivery)
    _run_due()
    delivery.refresh_from_db()
    assert delivery.state == S.SENT, delivery.last_error
    assert delivery.written == [f"Hello @{second.username}"]
    assert _texts(mastodon_faults, poster) == [f"Hello @{second.username}"]


def test_words_another_attempt_froze_first_are_the_ones_used(mastodon_peer: MastodonPeer) -> None:
    """Two attempts (one whose lease outlived it) never freeze two texts: the second to
    write takes the first's words."""
    owner = User.objects.create_user("frozen-race")
    poster = mastodon_peer.new_account()
    connection = _connect(owner, mastodon_peer.base_url, poster)
    first = mastodon_peer.new_account()
    ana = people.create_person(owner, "Ana")
    people.add_account(ana, "mastodon", f"{first.username}@localhost")
    post = create_post(user=owner, text="Hello @[Ana]", connections=[connection],
                       scheduled_for=timezone.now() + timedelta(hours=1))
    stale = post.deliveries.select_related("post").get()  # read before the other froze
    Delivery.objects.filter(pk=stale.pk).update(written=["Hello @someone-else"])
    drafts = frozen_part_drafts(stale)
    assert [d.text for d in drafts] == ["Hello @someone-else"]
    assert stale.written == ["Hello @someone-else"]
