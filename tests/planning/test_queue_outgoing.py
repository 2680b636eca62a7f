"""The queue takes the composer's one value (an Outgoing): its words, accounts, versions,
visibility and language, at the queue's next free slot."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.contrib.auth.models import User

from hubbub.connections.models import Connection
from hubbub.planning import services
from hubbub.publishing.models import Post
from hubbub.publishing.outgoing import Outgoing, TargetCustom
from tests.planning.conftest import Clock, as_local

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin


def test_add_to_queue_takes_an_outgoing(owner: User, conn: Connection, conn2: Connection,
                                        clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9))])
    post = services.add_to_queue(owner, queue, Outgoing(
        text="Hello all", targets=(conn, conn2), visibility="private", language="fr",
        customize={conn2.pk: TargetCustom(text="Hello Bob")}))
    fresh = Post.objects.get(pk=post.pk)
    assert as_local(fresh.scheduled_for) == "Wed 2026-01-07 09:00 CET"
    assert (fresh.visibility, fresh.language) == ("private", "fr")
    texts = {d.connection_id: d.text_override for d in fresh.deliveries.all()}
    assert texts == {conn.pk: None, conn2.pk: "Hello Bob"}


def test_an_outgoing_without_accounts_goes_to_the_queues_own(owner: User, conn: Connection,
                                                             clock: Clock) -> None:
    clock(NOW)
    queue = services.create_queue(owner, name="Mornings", tz="Europe/Berlin",
                                  connections=[conn], slots=[(2, time(9))])
    post = services.add_to_queue(owner, queue, Outgoing(text="to the queue's", targets=()))
    assert [d.connection_id for d in post.deliveries.all()] == [conn.pk]
