"""Add to queue keeps each account's own version: the composer's "Customize for ..." text and
content warning reach the queued post, with or without a saved draft, and stay through the
queue's own moves (move to top, pause, resume)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from hubbub.connections.models import Connection
from hubbub.planning import services
from hubbub.planning.models import QueueEntry
from hubbub.publishing import services as publishing
from hubbub.publishing.models import Delivery, DeliveryState, Post
from hubbub.publishing.outgoing import Outgoing
from tests.planning.conftest import Clock

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin


def _what_each_gets(post: Post) -> dict[int, tuple[str, str]]:
    """Connection id -> (text, warning) that the engine would send there."""
    found = {}
    for d in Delivery.objects.filter(post=post).select_related("post"):
        [draft] = publishing.part_drafts(post, d)
        found[d.connection_id] = (draft.text, draft.content_warning)
    return found


def _compose(client: Any, queue_id: int, conn: Connection, conn2: Connection, text: str,
             **extra: Any) -> Any:
    return client.post(reverse("publishing:compose"), {
        "action": "queue", "queue": queue_id, "targets": [conn.pk, conn2.pk], "text": text,
        f"custom_{conn2.pk}": "1", f"text_{conn2.pk}": f"{text}, told Bob's way",
        f"cw_{conn2.pk}": "for Bob", **extra})


def test_the_composer_queues_each_accounts_own_text(client: Any, owner: User,
                                                     conn: Connection, conn2: Connection,
                                                     clock: Clock) -> None:
    clock(NOW)
    client.force_login(owner)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9)), (4, time(9))])

    # Without a draft: the post is made straight into the queue.
    answer = _compose(client, queue.pk, conn, conn2, "Straight in")
    assert answer.status_code == 302, answer.content.decode()[:2000]
    first = Post.objects.get(text="Straight in")
    assert _what_each_gets(first) == {conn.pk: ("Straight in", ""),
                                      conn2.pk: ("Straight in, told Bob's way", "for Bob")}

    # With the draft the page saved: that draft is brought up to date and queued.
    draft = publishing.create_post(user=owner, text="autosaved", connections=[conn],
                                   draft=True)
    answer = _compose(client, queue.pk, conn, conn2, "From the draft", draft=draft.pk)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    second = Post.objects.get(pk=draft.pk)
    assert not second.is_draft
    assert _what_each_gets(second) == {conn.pk: ("From the draft", ""),
                                       conn2.pk: ("From the draft, told Bob's way", "for Bob")}
    assert Post.objects.count() == 2
    assert [e.post_id for e in services.waiting_entries(queue)] == [first.pk, second.pk]

    # The queue's own moves re-time the posts and keep every account's version.
    services.move_to_top(owner, QueueEntry.objects.get(post=second))
    services.pause_queue(owner, queue)
    assert set(Delivery.objects.filter(post=second).values_list("state", flat=True)) == {
        DeliveryState.DRAFT}
    services.resume_queue(owner, queue)
    second.refresh_from_db()
    assert second.scheduled_for == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    assert set(Delivery.objects.filter(post=second).values_list("state", flat=True)) == {
        DeliveryState.SCHEDULED}
    assert _what_each_gets(second)[conn2.pk] == ("From the draft, told Bob's way", "for Bob")
    assert _what_each_gets(first)[conn2.pk] == ("Straight in, told Bob's way", "for Bob")


def test_an_accounts_own_text_over_its_limit_is_refused_and_nothing_queued(
        client: Any, owner: User, conn: Connection, conn2: Connection, clock: Clock) -> None:
    clock(NOW)
    client.force_login(owner)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9))])
    answer = client.post(reverse("publishing:compose"), {
        "action": "queue", "queue": queue.pk, "targets": [conn.pk, conn2.pk], "text": "short",
        f"custom_{conn2.pk}": "1", f"text_{conn2.pk}": "x" * 501})
    assert answer.status_code == 400
    assert conn2.handle in answer.content.decode()
    assert not Post.objects.exists()
    assert not QueueEntry.objects.exists()


def test_add_to_queue_takes_each_accounts_version(owner: User, conn: Connection,
                                                  conn2: Connection, clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn, conn2], slots=[(2, time(9))])
    post = services.add_to_queue(owner, queue, Outgoing(
        text="Hello all", targets=(), customize={
            conn2.pk: publishing.TargetCustom(text="Hello Bob", content_warning=None,
                                              media_positions=None)}))
    assert _what_each_gets(post) == {conn.pk: ("Hello all", ""), conn2.pk: ("Hello Bob", "")}
