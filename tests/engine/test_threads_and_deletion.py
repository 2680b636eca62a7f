"""Threads (one delivery, several parts) and deleting a sent post, on the engine's rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from hubbub.connections.models import Connection
from hubbub.networks.errors import NotFound, OutcomeUnknown, Transient
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post, delete_everywhere
from tests.engine.scripted import ScriptedConnector

pytestmark = pytest.mark.django_db
S = DeliveryState


def _thread(owner: Any, connection: Connection, parts: list[str]) -> Delivery:
    post = create_post(user=owner, text=" ".join(parts), connections=[connection])
    Delivery.objects.filter(post=post).update(parts=parts)
    return post.deliveries.get()


def _reload(d: Delivery) -> Delivery:
    return Delivery.objects.get(pk=d.pk)


def _due(d: Delivery) -> None:
    Delivery.objects.filter(pk=d.pk).update(due_at=timezone.now())


def test_a_thread_goes_out_in_order_each_part_answering_the_last(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    d = _thread(owner, connection, ["one", "two", "three"])
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert [x.text for x in scripted.drafts] == ["one", "two", "three"]
    assert [x.in_reply_to for x in scripted.drafts] == ["", "r1", "r2"]
    assert scripted.calls == [d.idempotency_key, f"{d.idempotency_key}-1",
                              f"{d.idempotency_key}-2"]
    assert [p["remote_id"] for p in d.parts_done] == ["r1", "r2", "r3"]
    assert d.remote_id == "r1"
    assert set(d.prepared) == {"0", "1", "2"}


def test_a_thread_interrupted_continues_after_the_last_part_that_landed(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    d = _thread(owner, connection, ["one", "two", "three"])
    scripted.answers.extend([None, Transient("503")])
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert len(d.parts_done) == 1
    _due(d)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert [x.text for x in scripted.drafts] == ["one", "two", "two", "three"]
    assert [p["remote_id"] for p in d.parts_done] == ["r1", "r2", "r3"]


def test_a_lost_answer_mid_thread_is_settled_then_the_rest_sent(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    from hubbub.networks.base import Published

    d = _thread(owner, connection, ["one", "two", "three"])
    scripted.answers.extend([None, OutcomeUnknown("read timeout")])
    engine.process(d.pk)
    assert _reload(d).state == S.UNKNOWN
    scripted.found = Published("r-found", "http://x.test/found")
    engine.process(d.pk)  # settle: part 2 found, the rest still to send
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert [p["remote_id"] for p in d.parts_done] == ["r1", "r-found"]
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert scripted.drafts[-1].text == "three"
    assert scripted.drafts[-1].in_reply_to == "r-found"


def test_delete_everywhere_removes_every_part_last_first(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    d = _thread(owner, connection, ["one", "two"])
    engine.process(d.pk)
    assert delete_everywhere(d.post) == 1
    assert _reload(d).state == S.DELETING
    engine.process(d.pk)
    assert _reload(d).state == S.DELETED
    assert scripted.deleted == ["r2", "r1"]
    assert delete_everywhere(d.post) == 0


def test_delete_retries_on_a_passing_failure_and_treats_gone_as_done(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    post = create_post(user=owner, text="short-lived", connections=[connection])
    d = post.deliveries.get()
    engine.process(d.pk)
    delete_everywhere(post)
    scripted.delete_answers.extend([Transient("502"), NotFound("gone already")])
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.DELETING
    assert "502" in d.last_error
    _due(d)
    engine.process(d.pk)
    assert _reload(d).state == S.DELETED
