"""The delivery engine: moves one Delivery through its states, exactly once or loudly failed.

States (see docs/architecture.md):
    scheduled -> sending -> sent
    sending -> scheduled (retry with backoff, honouring Retry-After)
            | failed (Rejected, too many tries)
            | unknown (outcome unknown: the call may have landed)
    unknown -> sent | scheduled, after find_published settles it
    scheduled -> held (far past its time and the person wants to decide)

Every transition is a compare-and-set UPDATE, so two workers (or a worker and the sweeper) never
both win. "sending" and the idempotency key are committed before the network is called; a worker
killed mid-call leaves a row whose lease expires, and the sweeper turns it into "unknown", which
is settled by asking the network before anything is sent again.

Which clock: when a row is due, its claim and lease, and the sweep that ends a lease all go by
the database's clock (core/dbclock.py), and so does every due time written relative to "now"
(a retry's backoff, a check or a delete due at once). Workers on machines whose clocks differ
then agree on when a post's time has come and whose send is abandoned. A time the person
chose, and a network's Retry-After end, are instants and are written as they are.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from hubbub.accounts.models import LatePolicy, Profile
from hubbub.connections.models import Health
from hubbub.connections.services import (
    account_for,
    mark_needs_reconnect,
    mark_ok,
    mark_rate_limited,
    store_credentials,
)
from hubbub.core.dbclock import Now, db_now
from hubbub.core.sanitize import safe_url
from hubbub.networks.base import Account, Connector, Draft, Published
from hubbub.networks.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Revoked,
    Transient,
)
from hubbub.networks.registry import get_connector
from hubbub.publishing.leasing import new_owner_id, next_try_at
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post
from hubbub.publishing.target_drafts import frozen_part_drafts, part_drafts, part_key
from hubbub.publishing.transitions import record_transition

log = logging.getLogger(__name__)
S = DeliveryState


def _transition(
    delivery: Delivery,
    from_states: list[str],
    to_state: str,
    detail: str,
    *,
    owner: str | None = None,
    **fields: Any,
) -> bool:
    """CAS: only rows still in from_states (and, when owner is given, still leased by it) move."""
    qs = Delivery.objects.filter(pk=delivery.pk, state__in=from_states)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    fields.setdefault("enqueued_at", None)
    # The move and its event in one transaction: one write lock, not two (SQLite's busy wait
    # sleeps), and never a move without its event.
    with transaction.atomic(savepoint=False):
        updated = qs.update(state=to_state, **fields)
        if updated:
            record_transition(delivery, delivery.state, to_state, detail)
    if updated:
        delivery.state = to_state
    return bool(updated)


def _late_policy(post: Post) -> str:
    if post.late_policy:
        return post.late_policy
    profile = Profile.objects.filter(user_id=post.user_id).first()
    return profile.late_policy if profile else LatePolicy.HOLD


def claim(delivery_id: int, owner: str) -> Delivery | None:
    """Take a due, scheduled delivery for publishing. Returns None if someone else has it.
    Due, late and the lease's end are the database's clock's."""
    now = db_now()
    lease = timedelta(seconds=settings.HUBBUB_LEASE_SECONDS)
    candidate = (
        Delivery.objects.select_related("post", "connection")
        .filter(pk=delivery_id, state=S.SCHEDULED, due_at__lte=now)
        .first()
    )
    if candidate is None:
        return None
    late_by = now - candidate.due_at
    if (
        candidate.attempts == 0
        and late_by > timedelta(seconds=settings.HUBBUB_LATE_AFTER_SECONDS)
        and _late_policy(candidate.post) == LatePolicy.HOLD
    ):
        minutes = int(late_by.total_seconds() // 60)
        _transition(candidate, [S.SCHEDULED], S.HELD,
                    f"{minutes} minutes past its time: waiting for you to send or cancel it",
                    last_error=f"Held: it was due {minutes} minutes ago.", error_kind="late")
        return None
    # The claim and its event in one transaction: one write lock (targets of one post claim
    # side by side, and SQLite's busy wait sleeps), and never a claim without its event.
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery_id, state=S.SCHEDULED, due_at__lte=now
        ).update(
            state=S.SENDING,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            enqueued_at=None,
        )
        if not updated:
            return None
        record_transition(candidate, S.SCHEDULED, S.SENDING, f"attempt {candidate.attempts + 1}")
    return Delivery.objects.select_related("post", "connection").get(pk=delivery_id)


def claims_without_reading(due_at: datetime, attempts: int, now: datetime) -> bool:
    """Whether `claim_taken` may claim a due, scheduled row from what the scheduler read of
    it: every row but a first attempt far past its time, which needs the person's late
    policy (its post and profile), and goes through `claim`. `now`: the database's clock."""
    return attempts > 0 or now - due_at <= timedelta(seconds=settings.HUBBUB_LATE_AFTER_SECONDS)


def claim_taken(delivery_id: int, *, enqueued_at: datetime | None, attempts: int, owner: str,
                now: datetime) -> bool:
    """The scheduler's take and the claim in one compare-and-set, for the worker's own
    senders: the row moves to sending, leased by `owner`, only if it is still as the caller
    read it (scheduled, due, not taken since, the same attempt). Run inside the scheduler's
    transaction, so a batch of rows is one write lock, and the sender starts with the row
    claimed (`send_claimed`) instead of reading and claiming it again. A first attempt far
    past its time is never claimed here: `claim` holds it by the person's late policy.
    `now` is the database's clock (db_now), read by the caller after it found the row due."""
    lease = timedelta(seconds=settings.HUBBUB_LEASE_SECONDS)
    rows = Delivery.objects.filter(pk=delivery_id, state=S.SCHEDULED, due_at__lte=now,
                                   enqueued_at=enqueued_at, attempts=attempts)
    if attempts == 0:
        rows = rows.filter(
            due_at__gte=now - timedelta(seconds=settings.HUBBUB_LATE_AFTER_SECONDS))
    with transaction.atomic(savepoint=False):
        updated = rows.update(
            state=S.SENDING,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=attempts + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            enqueued_at=None,
        )
        if updated:
            DeliveryEvent.objects.create(delivery_id=delivery_id, from_state=S.SCHEDULED,
                                         to_state=S.SENDING, detail=f"attempt {attempts + 1}")
    return bool(updated)


def send_claimed(delivery_id: int, owner: str) -> None:
    """Publish a delivery `claim_taken` claimed for `owner`; nothing if it is no longer ours
    (its lease ran out before a sender was free, and the sweeper made it 'unknown')."""
    delivery = (Delivery.objects.select_related("post", "connection")
                .filter(pk=delivery_id, state=S.SENDING, lease_owner=owner).first())
    if delivery is not None:
        publish(delivery, owner)


def _connector_and_account(delivery: Delivery) -> tuple[Connector, Account]:
    return get_connector(delivery.connection.network), account_for(delivery.connection)


def _mark_sent(delivery: Delivery, published: Published, detail: str,
               parts_done: list[dict[str, str]] | None = None) -> None:
    """`parts_done`: the parts sent, when the last one's landing is not stored yet; it goes in
    the same write as the move to sent (and on its own if the row moved elsewhere meanwhile)."""
    extra: dict[str, Any] = {} if parts_done is None else {"parts_done": parts_done}
    # Sent is the truth whoever holds the row now: a late success beats a sweeper's "unknown".
    moved = _transition(
        delivery, [S.SENDING, S.UNKNOWN, S.SCHEDULED], S.SENT, detail,
        remote_id=published.remote_id, remote_url=safe_url(published.url), sent_at=timezone.now(),
        lease_owner="", lease_until=None, last_error="", error_kind="", **extra,
    )
    if not moved and parts_done is not None:
        Delivery.objects.filter(pk=delivery.pk).update(parts_done=parts_done)
    if delivery.connection.health != Health.OK:  # as read with the row: a write only if needed
        mark_ok(delivery.connection)


def _refresh(connector: Connector, delivery: Delivery) -> Account | None:
    """After AuthExpired: refresh once. Returns the new account, or None when the network
    refused the refresh. A passing failure while refreshing (timeout, 5xx, 429) is raised as
    it is, so the delivery is retried later instead of asking the person to reconnect."""
    connection = delivery.connection
    try:
        fresh = connector.refresh_credentials(account_for(connection))
    except (Transient, RateLimited, OutcomeUnknown):
        raise
    except ConnectorError as exc:
        log.info("refresh failed for %s: %s", connection, exc)
        return None
    if fresh is None:
        return None
    store_credentials(connection, fresh)
    return account_for(connection)


def _prepared(connector: Connector, account: Account, delivery: Delivery, index: int,
              draft: Draft) -> dict[str, Any]:
    """The connector's payload for one part, made once and saved before that part's first
    network call. The caller holds the lease, so nobody else writes the row meanwhile."""
    stored = dict(delivery.prepared or {})
    key = str(index)
    if key not in stored and type(connector).prepare is Connector.prepare:
        return dict(stored.get(key) or {})  # nothing to keep: every call would make {} again
    if key not in stored:
        stored[key] = connector.prepare(account, draft, part_key(delivery, index))
        Delivery.objects.filter(pk=delivery.pk).update(prepared=stored)
        delivery.prepared = stored
    return dict(stored[key])


def _staged(connector: Connector, account: Account, delivery: Delivery, index: int,
            draft: Draft, media_ids: tuple[str, ...], prepared: dict[str, Any]) -> dict[str, Any]:
    """`prepared` with the connector's staged write (a media container) added, made once per
    part and saved before publish: a retry reuses it instead of staging a second one."""
    if "stage" in prepared or type(connector).stage is Connector.stage:
        return prepared
    staged = connector.stage(account, draft, media_ids, prepared)
    stored = dict(delivery.prepared or {})
    part = {**dict(stored.get(str(index)) or {}), "stage": staged}
    stored[str(index)] = part
    Delivery.objects.filter(pk=delivery.pk).update(prepared=stored)
    delivery.prepared = stored
    return dict(part)


def _part_draft(drafts: list[Draft], done: list[dict[str, str]], index: int) -> Draft:
    """Part `index`, answering the part before it (the first part answers what the post does)."""
    draft = drafts[index]
    if index > 0:
        draft = replace(draft, in_reply_to=done[index - 1]["remote_id"])
    return draft


def _publish_once(connector: Connector, account: Account, delivery: Delivery
                  ) -> tuple[Published, list[dict[str, str]]]:
    """Send the parts not sent yet. Returns the first part (the post's address) and every
    part sent; the last part's landing is stored by the caller, with the move to sent.
    What @[name] is written as is saved before the first call (frozen_part_drafts): a retry
    and a check send and look for the same words."""
    drafts = frozen_part_drafts(delivery)
    done: list[dict[str, str]] = list(delivery.parts_done or [])
    media_ids = list(delivery.media_ids or [])
    if len(media_ids) != len(drafts[0].media):
        media_ids = [connector.upload_media(account, media) for media in drafts[0].media]
        # Saved before publishing, so a retry reuses the uploads instead of uploading again.
        Delivery.objects.filter(pk=delivery.pk).update(media_ids=media_ids)
        delivery.media_ids = media_ids
    for index in range(len(done), len(drafts)):
        draft = _part_draft(drafts, done, index)
        part_media = tuple(media_ids) if index == 0 else ()
        prepared = _prepared(connector, account, delivery, index, draft)
        prepared = _staged(connector, account, delivery, index, draft, part_media, prepared)
        published = connector.publish(
            account, draft, part_key(delivery, index), part_media, prepared=prepared)
        # Each part is recorded as it lands: a retry continues after it, never repeats it.
        # The last one is recorded by the write that marks the delivery sent.
        done.append({"remote_id": published.remote_id, "url": published.url})
        if index < len(drafts) - 1:
            Delivery.objects.filter(pk=delivery.pk).update(parts_done=done)
        delivery.parts_done = done
    return Published(done[0]["remote_id"], done[0]["url"]), done


def publish(delivery: Delivery, owner: str) -> None:
    """Publish a claimed (sending) delivery and record the outcome."""
    connector, account = _connector_and_account(delivery)
    try:
        try:
            published, done = _publish_once(connector, account, delivery)
        except AuthExpired:
            refreshed = _refresh(connector, delivery)
            if refreshed is None:
                raise Revoked(
                    "The network says the login expired and it could not be renewed."
                ) from None
            published, done = _publish_once(connector, refreshed, delivery)
    except (Revoked, AuthExpired) as exc:
        mark_needs_reconnect(delivery.connection, exc.message)
        # The post waits for the person to reconnect; the attempt does not count against it.
        _transition(delivery, [S.SENDING], S.SCHEDULED,
                    f"waiting: the account needs reconnecting ({exc.message})",
                    owner=owner, lease_owner="", lease_until=None,
                    attempts=F("attempts") - 1, error_kind=exc.kind,
                    last_error=f"The account needs reconnecting: {exc.message}")
    except RateLimited as exc:
        mark_rate_limited(delivery.connection, exc.retry_at, exc.message)
        _retry(delivery, owner, exc, exc.retry_at, count_attempt=False)
    except Transient as exc:
        _retry(delivery, owner, exc, exc.retry_at)
    except OutcomeUnknown as exc:
        _to_unknown(delivery, owner, exc.message)
    except ConnectorError as exc:  # Rejected, NotFound: the person must change something
        _transition(delivery, [S.SENDING], S.FAILED, exc.message, owner=owner,
                    lease_owner="", lease_until=None, error_kind=exc.kind,
                    last_error=exc.message)
    except Exception as exc:
        # A bug or an unexpected library error mid-call: we cannot know whether it landed.
        log.exception("unexpected error publishing delivery %s", delivery.pk)
        _to_unknown(delivery, owner, f"unexpected error: {exc!r}")
    else:
        _mark_sent(delivery, published, f"sent as {published.remote_id}", parts_done=done)


def _to_unknown(delivery: Delivery, owner: str | None, why: str) -> None:
    _transition(delivery, [S.SENDING], S.UNKNOWN, f"outcome unknown: {why}", owner=owner,
                lease_owner="", lease_until=None, due_at=Now(),
                error_kind="outcome_unknown", last_error=f"Checking whether it was posted: {why}")


def _retry(delivery: Delivery, owner: str, exc: ConnectorError, retry_at: datetime | None,
           *, count_attempt: bool = True) -> None:
    attempts = Delivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
    if count_attempt and attempts >= settings.HUBBUB_MAX_ATTEMPTS:
        _transition(delivery, [S.SENDING], S.FAILED,
                    f"gave up after {attempts} attempts: {exc.message}", owner=owner,
                    lease_owner="", lease_until=None, error_kind=exc.kind,
                    last_error=f"Gave up after {attempts} attempts: {exc.message}")
        return
    due = next_try_at(attempts, retry_at)
    extra: dict[str, Any] = {} if count_attempt else {"attempts": F("attempts") - 1}
    _transition(delivery, [S.SENDING], S.SCHEDULED,
                f"retrying at {due.isoformat()}: {exc.message}", owner=owner,
                lease_owner="", lease_until=None, due_at=due, error_kind=exc.kind,
                last_error=exc.message, **extra)


def _lease(delivery_id: int, state: str, owner: str) -> Delivery | None:
    """Take a due row in `state` for this worker without changing its state (checking and
    deleting are safe to repeat, so a lease is enough to keep two workers from doing both).
    Due and the lease go by the database's clock."""
    now = db_now()
    lease = timedelta(seconds=settings.HUBBUB_LEASE_SECONDS)
    took = Delivery.objects.filter(pk=delivery_id, state=state, due_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ).update(lease_owner=owner, lease_until=now + lease, enqueued_at=None)
    if not took:
        return None
    return Delivery.objects.select_related("post", "connection").get(pk=delivery_id)


def settle(delivery_id: int, owner: str) -> None:
    """Decide an 'unknown' delivery by asking the network; never publishes."""
    delivery = _lease(delivery_id, S.UNKNOWN, owner)
    if delivery is None:
        return
    connector, account = _connector_and_account(delivery)
    since = (delivery.first_attempt_at or delivery.post.created_at) - timedelta(minutes=5)
    drafts = part_drafts(delivery.post, delivery)
    done: list[dict[str, str]] = list(delivery.parts_done or [])
    index = min(len(done), len(drafts) - 1)  # the part that was in flight
    draft = _part_draft(drafts, done, index)
    def look(account: Account) -> Published | None:
        return connector.find_published(
            account, draft, part_key(delivery, index), since,
            prepared=dict((delivery.prepared or {}).get(str(index)) or {}),
        )

    try:
        try:
            found = look(account)
        except AuthExpired:
            refreshed = _refresh(connector, delivery)
            if refreshed is None:
                raise
            found = look(refreshed)
    except (Revoked, AuthExpired) as exc:
        mark_needs_reconnect(delivery.connection, exc.message)
        Delivery.objects.filter(pk=delivery_id, lease_owner=owner).update(
            lease_owner="", lease_until=None, last_error=f"Cannot check: {exc.message}")
        return
    except ConnectorError as exc:
        retry_at = getattr(exc, "retry_at", None)
        due = next_try_at(delivery.attempts, retry_at)
        Delivery.objects.filter(pk=delivery_id, lease_owner=owner).update(
            lease_owner="", lease_until=None, due_at=due,
            last_error=f"Checking whether it was posted (next check {due:%H:%M:%S}): "
                       f"{exc.message}")
        return
    if found is not None and len(done) < len(drafts):
        done.append({"remote_id": found.remote_id, "url": found.url})
        Delivery.objects.filter(pk=delivery_id).update(parts_done=done)
        if len(done) < len(drafts):
            _transition(delivery, [S.UNKNOWN], S.SCHEDULED,
                        f"part {index + 1} found on the network; sending the rest",
                        owner=owner, lease_owner="", lease_until=None, due_at=Now())
            return
        found = Published(done[0]["remote_id"], done[0]["url"])
    if found is not None:
        _mark_sent(delivery, found, f"found on the network as {found.remote_id}")
        return
    if delivery.attempts >= settings.HUBBUB_MAX_ATTEMPTS:
        _transition(delivery, [S.UNKNOWN], S.FAILED,
                    "not found on the network and out of attempts", owner=owner,
                    lease_owner="", lease_until=None, error_kind="outcome_unknown",
                    last_error="It did not reach the network, and the attempts ran out.")
        return
    _transition(delivery, [S.UNKNOWN], S.SCHEDULED,
                "not found on the network: sending again with the same key", owner=owner,
                lease_owner="", lease_until=None, due_at=Now())


def remove(delivery_id: int, owner: str) -> None:
    """Delete a sent delivery from its network (every part of a thread, last first)."""
    delivery = _lease(delivery_id, S.DELETING, owner)
    if delivery is None:
        return
    connector, account = _connector_and_account(delivery)
    done: list[dict[str, str]] = list(delivery.parts_done or [])
    remote_ids = [part["remote_id"] for part in done] or [delivery.remote_id]
    try:
        for remote_id in reversed(remote_ids):
            with contextlib.suppress(NotFound):  # already gone: that is what was asked
                connector.delete(account, remote_id)
    except (Revoked, AuthExpired) as exc:
        mark_needs_reconnect(delivery.connection, exc.message)
        Delivery.objects.filter(pk=delivery_id, lease_owner=owner).update(
            lease_owner="", lease_until=None,
            last_error=f"Cannot delete until the account is reconnected: {exc.message}")
    except (Transient, RateLimited, OutcomeUnknown) as exc:
        due = next_try_at(delivery.attempts, getattr(exc, "retry_at", None))
        Delivery.objects.filter(pk=delivery_id, lease_owner=owner).update(
            lease_owner="", lease_until=None, due_at=due,
            last_error=f"Deleting again at {due:%H:%M:%S}: {exc.message}")
    except ConnectorError as exc:
        _transition(delivery, [S.DELETING], S.SENT, f"could not delete: {exc.message}",
                    owner=owner, lease_owner="", lease_until=None,
                    last_error=f"Could not delete it: {exc.message}")
    else:
        _transition(delivery, [S.DELETING], S.DELETED, "deleted from the network",
                    owner=owner, lease_owner="", lease_until=None, last_error="")


def process(delivery_id: int, owner: str | None = None) -> None:
    """Entry point for the task runner: do whatever the delivery's state calls for."""
    owner = owner or new_owner_id()
    state = Delivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
    if state == S.SCHEDULED:
        delivery = claim(delivery_id, owner)
        if delivery is not None:
            publish(delivery, owner)
    elif state == S.UNKNOWN:
        settle(delivery_id, owner)
    elif state == S.DELETING:
        remove(delivery_id, owner)


def sweep_expired_leases() -> int:
    """Deliveries whose worker vanished mid-send become 'unknown' to be checked, never resent.
    A lease is written (`claim`, `claim_taken`) and judged here by the database's clock: a
    worker whose clock runs ahead never takes another's send in progress for abandoned."""
    count = 0
    for delivery in Delivery.objects.filter(state=S.SENDING, lease_until__lt=Now()):
        if _transition(delivery, [S.SENDING], S.UNKNOWN,
                       "the worker sending it stopped answering; checking the network",
                       lease_owner="", lease_until=None, due_at=Now(),
                       error_kind="outcome_unknown",
                       last_error="Checking whether it was posted (the worker stopped)."):
            count += 1
    # An abandoned settle or delete leaves a stale lease: clear it so it is tried again
    # (both are safe to repeat: a check never sends, a delete of what is gone is a no-op).
    Delivery.objects.filter(state__in=[S.UNKNOWN, S.DELETING], lease_until__lt=Now()).update(
        lease_owner="", lease_until=None)
    return count
