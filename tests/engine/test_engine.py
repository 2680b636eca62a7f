"""The delivery state machine's rules, with a scripted connector (see scripted.py)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hubbub.accounts.models import Profile
from hubbub.connections.models import Connection, Health
from hubbub.jobs import scheduler
from hubbub.networks.errors import OutcomeUnknown, RateLimited, Rejected, Revoked, Transient
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.services import create_post, retry_delivery
from tests.engine.scripted import ScriptedConnector, StagingConnector

pytestmark = pytest.mark.django_db
S = DeliveryState


def _one(owner: Any, connection: Connection, **kw: Any) -> Delivery:
    post = create_post(user=owner, text="hello", connections=[connection], **kw)
    return post.deliveries.get()


def _reload(d: Delivery) -> Delivery:
    return Delivery.objects.get(pk=d.pk)


def test_sent_once_with_key_saved_before_call(owner: Any, connection: Connection,
                                              scripted: ScriptedConnector) -> None:
    d = _one(owner, connection)
    assert d.idempotency_key
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert d.remote_id == "r1"
    assert scripted.calls == [d.idempotency_key]
    engine.process(d.pk)  # running the task twice publishes nothing more
    assert scripted.calls == [d.idempotency_key]


def test_claim_is_compare_and_set(owner: Any, connection: Connection) -> None:
    d = _one(owner, connection)
    assert engine.claim(d.pk, "a") is not None
    assert engine.claim(d.pk, "b") is None
    assert _reload(d).lease_owner == "a"


def test_transient_retries_with_backoff_then_sends(owner: Any, connection: Connection,
                                                   scripted: ScriptedConnector) -> None:
    scripted.answers.append(Transient("503 Service Unavailable"))
    d = _one(owner, connection)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert d.due_at > timezone.now()
    assert "503" in d.last_error
    Delivery.objects.filter(pk=d.pk).update(due_at=timezone.now())
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert d.attempts == 2
    assert len(set(scripted.calls)) == 1  # the same key both times


def test_rate_limit_waits_until_retry_at(owner: Any, connection: Connection,
                                         scripted: ScriptedConnector) -> None:
    until = timezone.now() + timedelta(seconds=90)
    scripted.answers.append(RateLimited("429", until))
    d = _one(owner, connection)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert d.due_at >= until
    assert d.attempts == 0
    connection.refresh_from_db()
    assert connection.health == Health.RATE_LIMITED
    assert scheduler.due_deliveries() == []


def test_rejected_fails_and_says_why(owner: Any, connection: Connection,
                                     scripted: ScriptedConnector) -> None:
    scripted.answers.append(Rejected("Text character limit of 500 exceeded"))
    d = _one(owner, connection)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.FAILED
    assert "500" in d.last_error
    assert retry_delivery(d)
    engine.process(d.pk)
    assert _reload(d).state == S.SENT


def test_attempts_run_out(owner: Any, connection: Connection, scripted: ScriptedConnector,
                          settings: Any) -> None:
    settings.HUBBUB_MAX_ATTEMPTS = 2
    scripted.answers.extend([Transient("boom"), Transient("boom again")])
    d = _one(owner, connection)
    engine.process(d.pk)
    Delivery.objects.filter(pk=d.pk).update(due_at=timezone.now())
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.FAILED
    assert "Gave up after 2 attempts" in d.last_error


def test_revoked_waits_for_reconnect(owner: Any, connection: Connection,
                                     scripted: ScriptedConnector) -> None:
    scripted.answers.append(Revoked("The access token is invalid"))
    d = _one(owner, connection)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert d.attempts == 0
    connection.refresh_from_db()
    assert connection.health == Health.NEEDS_RECONNECT
    assert scheduler.due_deliveries() == []


def test_outcome_unknown_is_settled_before_any_retry(owner: Any, connection: Connection,
                                                     scripted: ScriptedConnector) -> None:
    scripted.answers.append(OutcomeUnknown("read timeout"))
    d = _one(owner, connection)
    engine.process(d.pk)
    assert _reload(d).state == S.UNKNOWN
    from hubbub.networks.base import Published

    scripted.found = Published("r9", "http://x.test/9")
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert d.remote_id == "r9"
    assert len(scripted.calls) == 1  # never sent twice


def test_unknown_not_found_resends_with_same_key(owner: Any, connection: Connection,
                                                 scripted: ScriptedConnector) -> None:
    scripted.answers.append(OutcomeUnknown("connection reset"))
    d = _one(owner, connection)
    engine.process(d.pk)
    engine.process(d.pk)  # settle: not found -> scheduled
    assert _reload(d).state == S.SCHEDULED
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    assert scripted.calls == [d.idempotency_key, d.idempotency_key]


def test_expired_lease_becomes_unknown(owner: Any, connection: Connection) -> None:
    d = _one(owner, connection)
    assert engine.claim(d.pk, "dead-worker") is not None
    Delivery.objects.filter(pk=d.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert engine.sweep_expired_leases() == 1
    assert _reload(d).state == S.UNKNOWN


def test_late_post_is_held_unless_the_person_said_send(owner: Any, connection: Connection,
                                                       scripted: ScriptedConnector) -> None:
    past = timezone.now() - timedelta(hours=2)
    d = _one(owner, connection, scheduled_for=past)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.HELD
    assert scripted.calls == []
    retry_delivery(d)  # "Send now"
    engine.process(d.pk)
    assert _reload(d).state == S.SENT

    Profile.objects.update_or_create(user=owner, defaults={"late_policy": "send"})
    d2 = _one(owner, connection, scheduled_for=past)
    engine.process(d2.pk)
    assert _reload(d2).state == S.SENT


def test_scheduler_enqueues_due_work_once(owner: Any, connection: Connection) -> None:
    d = _one(owner, connection)
    later = _one(owner, connection, scheduled_for=timezone.now() + timedelta(hours=1))
    assert [pk for pk, _ in scheduler.due_deliveries()] == [d.pk]
    assert scheduler.enqueue_due() == 1
    assert scheduler.enqueue_due() == 0  # already enqueued, not stale
    assert later.pk not in [pk for pk, _ in scheduler.due_deliveries()]


def test_prepared_payload_is_made_once_and_reused(owner: Any, connection: Connection,
                                                  scripted: ScriptedConnector) -> None:
    scripted.answers.extend([Transient("503"), OutcomeUnknown("reset")])
    d = _one(owner, connection)
    engine.process(d.pk)  # transient -> scheduled
    _make_due(d)
    engine.process(d.pk)  # outcome unknown
    engine.process(d.pk)  # settle: not found -> scheduled
    engine.process(d.pk)  # sent
    assert _reload(d).state == S.SENT
    assert scripted.prepares == 1
    assert scripted.prepared_seen == [{"record_key": "k1"}] * 4
    assert _reload(d).prepared == {"0": {"record_key": "k1"}}


def test_a_staged_container_is_made_once_and_every_retry_publishes_it(
    owner: Any, staging: StagingConnector
) -> None:
    c = Connection(user=owner, network="staging", base_url="http://x.test", remote_id="1",
                   handle="@me")
    c.credentials = {"token": "t"}
    c.save()
    staging.stage_answers.append(Transient("container: 503"))
    staging.answers.extend([Transient("publish: 503"), OutcomeUnknown("reset")])
    d = _one(owner, c)
    engine.process(d.pk)  # staging failed: nothing stored, retried later
    assert _reload(d).state == S.SCHEDULED
    assert _reload(d).prepared == {"0": {"record_key": "k1"}}
    _make_due(d)
    engine.process(d.pk)  # staged c1, publish 503
    assert _reload(d).prepared == {
        "0": {"record_key": "k1", "stage": {"container": "c1", "record_key": "k1"}}}
    _make_due(d)
    engine.process(d.pk)  # publish: outcome unknown
    engine.process(d.pk)  # settle: not found -> scheduled
    engine.process(d.pk)  # sent, with the same container
    assert _reload(d).state == S.SENT
    assert staging.stages == 1
    with_stage = {"record_key": "k1", "stage": {"container": "c1", "record_key": "k1"}}
    assert staging.prepared_seen == [with_stage] * 4  # 3 publishes + 1 find_published
    assert staging.staged_with == [(), ()]


def _make_due(d: Delivery) -> None:
    Delivery.objects.filter(pk=d.pk).update(due_at=timezone.now())


def test_editing_drops_what_was_prepared_for_the_old_text(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    from hubbub.publishing.services import update_scheduled_post

    scripted.answers.append(Transient("503"))
    d = _one(owner, connection)
    engine.process(d.pk)
    assert _reload(d).prepared == {"0": {"record_key": "k1"}}
    update_scheduled_post(d.post, text="edited", content_warning="",
                          scheduled_for=timezone.now(), tz="UTC")
    assert _reload(d).prepared is None
    engine.process(d.pk)
    assert _reload(d).state == S.SENT
    assert scripted.prepared_seen[-1] == {"record_key": "k2"}


def test_a_refresh_that_fails_for_a_moment_retries_instead_of_asking_to_reconnect(
    owner: Any, connection: Connection, scripted: ScriptedConnector
) -> None:
    from hubbub.networks.errors import AuthExpired

    scripted.answers.append(AuthExpired("ExpiredToken"))
    scripted.refresh_answer = Transient("refresh timed out")
    d = _one(owner, connection)
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SCHEDULED
    assert "refresh timed out" in d.last_error
    connection.refresh_from_db()
    assert connection.health == Health.OK


def test_settle_refreshes_an_expired_session_once(owner: Any, connection: Connection,
                                                  scripted: ScriptedConnector) -> None:
    from hubbub.networks.base import Published
    from hubbub.networks.errors import AuthExpired

    scripted.answers.append(OutcomeUnknown("timeout"))
    d = _one(owner, connection)
    engine.process(d.pk)
    scripted.find_answers.append(AuthExpired("ExpiredToken"))
    scripted.refresh_answer = {"token": "fresh"}
    scripted.found = Published("r5", "http://x.test/5")
    engine.process(d.pk)
    d = _reload(d)
    assert d.state == S.SENT
    connection.refresh_from_db()
    assert connection.credentials == {"token": "fresh"}


def test_limits_are_cached_and_a_failing_server_is_not_asked_on_every_call(
    owner: Any, connection: Connection, scripted: ScriptedConnector,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubbub.connections.services import CAPABILITIES_TTL, capabilities_for
    from hubbub.networks.errors import Transient as TransientError

    asked = []

    def failing(account: Any) -> Any:
        asked.append(1)
        raise TransientError("instance down")

    from django_tasks_db.models import DBTaskResult

    from hubbub.connections.services import read_capabilities

    capabilities_for(connection)  # cached now
    Connection.objects.filter(pk=connection.pk).update(
        capabilities_fetched_at=timezone.now() - CAPABILITIES_TTL - timedelta(minutes=1))
    connection.refresh_from_db()
    monkeypatch.setattr(scripted, "capabilities", failing)
    for _ in range(5):
        assert capabilities_for(connection).text_limit == 100  # the cached limits, at once
    assert asked == []  # no caller waited on the network
    readings = DBTaskResult.objects.filter(task_path=read_capabilities.module_path)
    assert readings.count() == 1  # one reading in the background, not one a call
    read_capabilities.call(connection.pk)  # what the worker runs
    assert len(asked) == 1
    for _ in range(5):
        assert capabilities_for(connection).text_limit == 100  # still the cached limits
    assert len(asked) == 1  # the failure is not asked again at once
    assert readings.count() == 1


def test_limits_read_again_in_the_background_replace_the_stale_ones(
    owner: Any, connection: Connection, scripted: ScriptedConnector,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks_db.models import DBTaskResult

    from hubbub.connections.services import CAPABILITIES_TTL, capabilities_for, read_capabilities

    capabilities_for(connection)
    stale = timezone.now() - CAPABILITIES_TTL - timedelta(minutes=1)
    Connection.objects.filter(pk=connection.pk).update(capabilities_fetched_at=stale)
    connection.refresh_from_db()
    real = scripted.capabilities
    monkeypatch.setattr(scripted, "capabilities",
                        lambda account: dataclasses.replace(real(account), text_limit=321))
    assert capabilities_for(connection).text_limit == 100
    assert DBTaskResult.objects.filter(task_path=read_capabilities.module_path).count() == 1
    read_capabilities.call(connection.pk)
    connection.refresh_from_db()
    assert capabilities_for(connection).text_limit == 321
    assert connection.capabilities_fetched_at is not None
    assert connection.capabilities_fetched_at > stale + CAPABILITIES_TTL


def test_an_account_whose_server_never_answered_gets_the_defaults_without_waiting_again(
    owner: Any, connection: Connection, scripted: ScriptedConnector,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubbub.connections.services import capabilities_for
    from hubbub.networks.errors import Transient as TransientError

    asked = []

    def failing(account: Any) -> Any:
        asked.append(1)
        raise TransientError("instance down")

    Connection.objects.filter(pk=connection.pk).update(capabilities_json=None,
                                                       capabilities_fetched_at=None)
    connection.refresh_from_db()
    monkeypatch.setattr(scripted, "capabilities", failing)
    defaults = scripted.default_capabilities()
    for _ in range(5):
        assert capabilities_for(connection) == defaults
    assert len(asked) == 1  # asked once, then the defaults until the next try


def test_limits_saved_by_an_older_version_are_read_again(
    owner: Any, connection: Connection, scripted: ScriptedConnector,
) -> None:
    """Limits cached before a field existed (e.g. video) are not taken as "no video": the
    network is asked again at once, however fresh the cache is."""
    from hubbub.connections.services import capabilities_for

    capabilities_for(connection)
    connection.refresh_from_db()
    old = dict(connection.capabilities_json or {})
    old["media"] = {k: v for k, v in old["media"].items() if k != "video"}
    old.pop("text_byte_limit", None)
    Connection.objects.filter(pk=connection.pk).update(capabilities_json=old)
    connection.refresh_from_db()
    capabilities_for(connection)
    connection.refresh_from_db()
    assert "video" in connection.capabilities_json["media"]
    assert "text_byte_limit" in connection.capabilities_json


def test_a_task_engine_that_refuses_the_reading_leaves_the_kept_limits(
    owner: Any, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a broker (Celery) the message is sent at once: a broker that is down must not turn
    the page that asked for the limits (the composer, the deck) into an error."""
    from types import SimpleNamespace

    from hubbub.connections import services

    services.capabilities_for(connection)
    stale = timezone.now() - services.CAPABILITIES_TTL - timedelta(minutes=1)
    Connection.objects.filter(pk=connection.pk).update(capabilities_fetched_at=stale)
    connection.refresh_from_db()

    def refused(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("the broker is down")

    monkeypatch.setattr(services, "read_capabilities", SimpleNamespace(enqueue=refused))
    assert services.capabilities_for(connection).text_limit == 100
    connection.refresh_from_db()
    # Claimed: the next try is CAPABILITIES_RETRY later, not on every page.
    assert connection.capabilities_fetched_at is not None
    assert connection.capabilities_fetched_at > stale
