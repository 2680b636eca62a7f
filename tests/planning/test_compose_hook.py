"""The composer's "Add to queue" hook: the partial it includes and the call it makes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string

from hubbub.connections.models import Connection
from hubbub.planning import compose, services
from hubbub.publishing.outgoing import Outgoing
from hubbub.publishing.services import PostError
from tests.planning.conftest import Clock

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin


def test_the_partial_offers_queues_with_slots(owner: User, conn: Connection,
                                              clock: Clock) -> None:
    clock(NOW)
    assert render_to_string("planning/_compose_queue.html",
                            {"queues": compose.queues_for(owner)}).strip() == ""
    services.create_queue(owner, name="No slots yet", tz="Europe/Berlin", connections=[conn])
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9))])
    html = render_to_string("planning/_compose_queue.html",
                            {"queues": compose.queues_for(owner)})
    assert f'<option value="{queue.pk}">Mornings</option>' in html
    assert "No slots yet" not in html
    assert 'name="action" value="queue"' in html


def test_add_from_compose_goes_to_the_ticked_accounts(owner: User, other: User,
                                                      conn: Connection, conn2: Connection,
                                                      clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9))])
    queued = compose.add_from_compose(owner, str(queue.pk), Outgoing(
        text="from the composer", targets=(conn2,), content_warning="cw"))
    post, message = queued.post, queued.message
    assert queued.queue == queue
    assert message == "Added to Mornings for Wed 7 Jan, 09:00."
    assert [d.connection_id for d in post.deliveries.all()] == [conn2.pk]
    for wrong in ("", "x", "999", queue.pk):
        with pytest.raises(PostError, match="Pick one of your queues"):
            compose.add_from_compose(other if wrong == queue.pk else owner, wrong,
                                     Outgoing(text="nope", targets=(conn,)))


def test_a_composer_draft_goes_to_the_next_free_slot(owner: User, conn: Connection,
                                                     conn2: Connection, clock: Clock) -> None:
    from hubbub.planning.models import QueueEntry
    from hubbub.publishing import services as publishing
    from hubbub.publishing.models import Delivery, DeliveryState

    clock(NOW)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9)), (4, time(9))])
    services.add_to_queue(owner, queue, Outgoing(text="already waiting", targets=()))
    draft = publishing.create_post(user=owner, text="drafted in the composer",
                                   connections=[conn2], draft=True)
    queued = compose.queue_draft(owner, queue.pk, draft)
    post, message = queued.post, queued.message
    assert message == "Added to Mornings for Fri 9 Jan, 09:00."
    assert post.pk == draft.pk
    assert not post.is_draft
    assert post.scheduled_for == datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    assert [d.state for d in Delivery.objects.filter(post=post)] == [DeliveryState.SCHEDULED]
    assert QueueEntry.objects.get(post=post).queue == queue
    # Paused: it joins the end and waits.
    services.pause_queue(owner, queue)
    later = publishing.create_post(user=owner, text="while paused", connections=[conn],
                                   draft=True)
    queued = compose.queue_draft(owner, queue.pk, later)
    post, message = queued.post, queued.message
    assert message.endswith("It waits there while the queue is paused.")
    assert [d.state for d in Delivery.objects.filter(post=post)] == [DeliveryState.DRAFT]
    with pytest.raises(PostError, match="not a draft"):
        compose.queue_draft(owner, queue.pk, post)


def test_the_composer_button_queues_the_post(client: Any, owner: User, conn: Connection,
                                             clock: Clock) -> None:
    from django.urls import reverse

    from hubbub.planning.models import QueueEntry
    from hubbub.publishing import services as publishing
    from hubbub.publishing.models import Post

    clock(NOW)
    client.force_login(owner)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9)), (4, time(9))])
    page = client.get(reverse("publishing:compose")).content.decode()
    assert 'name="action" value="queue"' in page
    assert f'<option value="{queue.pk}">Mornings</option>' in page
    answer = client.post(reverse("publishing:compose"), {
        "action": "queue", "queue": queue.pk, "targets": [conn.pk], "text": "from compose"})
    assert answer.status_code == 302
    assert answer.url == reverse("planning:queue", args=[queue.pk])
    post = Post.objects.get(text="from compose")
    assert post.scheduled_for == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    assert QueueEntry.objects.get(post=post).queue == queue
    # A draft the composer saved is what gets queued: no second post.
    draft = publishing.create_post(user=owner, text="autosaved", connections=[conn],
                                   draft=True)
    answer = client.post(reverse("publishing:compose"), {
        "action": "queue", "queue": queue.pk, "targets": [conn.pk], "text": "autosaved, final",
        "draft": draft.pk})
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert (draft.text, draft.is_draft) == ("autosaved, final", False)
    assert draft.scheduled_for == datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    assert Post.objects.count() == 2
    # No queue picked: the form says so and nothing is made.
    answer = client.post(reverse("publishing:compose"), {
        "action": "queue", "queue": "", "targets": [conn.pk], "text": "lost?"})
    assert answer.status_code == 400
    assert "Pick one of your queues" in answer.content.decode()
    assert not Post.objects.filter(text="lost?").exists()
