"""The composer's "Add to queue" hook: the partial it includes and the call it makes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string

from hubbub.connections.models import Connection
from hubbub.planning import compose, services
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
    post, message = compose.add_from_compose(owner, str(queue.pk), text="from the composer",
                                             connections=[conn2], content_warning="cw")
    assert message == "Added to Mornings for Wed 7 Jan, 09:00."
    assert [d.connection_id for d in post.deliveries.all()] == [conn2.pk]
    for wrong in ("", "x", "999", queue.pk):
        with pytest.raises(PostError, match="Pick one of your queues"):
            compose.add_from_compose(other if wrong == queue.pk else owner, wrong,
                                     text="nope", connections=[conn])
