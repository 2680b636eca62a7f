"""A target's state changes after it was made: compare-and-set moves recorded as events
(cancel, retry, send a held one now, delete everywhere), and the post's state in one word.
A target made due at once is due at the database's now (core/dbclock.py), the clock the
workers' claims go by."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from hubbub.connections.models import Connection
from hubbub.core.dbclock import Now
from hubbub.publishing.models import Delivery, DeliveryEvent, DeliveryState, Post

# The states a target can still be changed or cancelled in: it has not started sending.
EDITABLE_STATES = (DeliveryState.SCHEDULED, DeliveryState.HELD, DeliveryState.DRAFT)


def record_transition(delivery: Delivery, from_state: str, to_state: str, detail: str = "") -> None:
    DeliveryEvent.objects.create(
        delivery=delivery, from_state=from_state, to_state=to_state, detail=detail[:2000]
    )


def move(delivery: Delivery, allowed: Iterable[str], to_state: str, detail: str,
          **fields: object) -> bool:
    """Compare-and-set: change state only if the row is still in one of the allowed states."""
    updated = Delivery.objects.filter(pk=delivery.pk, state__in=list(allowed)).update(
        state=to_state, **fields
    )
    if updated:
        record_transition(delivery, delivery.state, to_state, detail)
    return bool(updated)


# Failures in which the network said no to the words themselves: nothing of them landed.
REFUSED_KINDS = ("rejected", "not_found")


def retry_delivery(delivery: Delivery) -> bool:
    """Send a failed (or held) target again, alone. Keeps the idempotency key. A target the
    network refused before any part landed, with nothing prepared for it, also has its
    @[name] words written again from the person's People (they may have fixed what was
    refused); every other retry sends the words of its first attempt."""
    fields = {"due_at": Now(), "enqueued_at": None, "error_kind": ""}
    if Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.FAILED, error_kind__in=REFUSED_KINDS,
        parts_done=[], prepared__isnull=True, written__isnull=False,
    ).update(written=None):
        delivery.written = None
    return move(
        delivery, [DeliveryState.FAILED, DeliveryState.HELD], DeliveryState.SCHEDULED,
        "retry asked by the person", **fields,
    )


def send_held_now(delivery: Delivery) -> bool:
    return retry_delivery(delivery)


@transaction.atomic
def cancel_post(post: Post) -> int:
    """Cancel every target that has not started sending. Returns how many were cancelled."""
    count = 0
    for delivery in post.deliveries.all():
        if move(delivery, EDITABLE_STATES, DeliveryState.CANCELLED, "cancelled by the person"):
            count += 1
    return count


def cancel_delivery(delivery: Delivery) -> bool:
    """Cancel one target (e.g. a late one the person decided against) if it has not started."""
    return move(delivery, EDITABLE_STATES, DeliveryState.CANCELLED, "cancelled by the person")


def cancel_deliveries_for_connection(connection: Connection) -> int:
    count = 0
    for delivery in Delivery.objects.filter(connection=connection, state__in=EDITABLE_STATES):
        if move(delivery, EDITABLE_STATES, DeliveryState.CANCELLED, "account disconnected"):
            count += 1
    return count


def delete_everywhere(post: Post, connections: Iterable[Connection] | None = None) -> int:
    """Remove a sent post from every network it reached (or the given accounts only). The
    worker deletes each target and shows its own status. Returns how many were asked."""
    qs = post.deliveries.filter(state=DeliveryState.SENT)
    if connections is not None:
        qs = qs.filter(connection__in=list(connections))
    count = 0
    for delivery in qs:
        if move(delivery, [DeliveryState.SENT], DeliveryState.DELETING, "delete asked",
                 due_at=Now(), enqueued_at=None, attempts=0):
            count += 1
    return count


def post_status(post: Post) -> str:
    """One word for the whole post: scheduled, sending, sent, partly sent, failed, ..."""
    if post.is_draft:
        return "draft"
    states = [d.state for d in post.deliveries.all()]
    if not states:
        return "empty"
    unique = set(states)
    if unique <= {DeliveryState.DELETED, DeliveryState.CANCELLED} and \
            DeliveryState.DELETED in unique:
        return "deleted"
    if DeliveryState.DELETING in unique:
        return "deleting"
    if unique == {DeliveryState.SENT}:
        return "sent"
    if unique == {DeliveryState.CANCELLED}:
        return "cancelled"
    if DeliveryState.SENT in unique and unique & {DeliveryState.FAILED, DeliveryState.HELD}:
        return "partly sent"
    if unique & {DeliveryState.SENDING, DeliveryState.UNKNOWN}:
        return "sending"
    if DeliveryState.FAILED in unique:
        return "failed" if DeliveryState.SENT not in unique else "partly sent"
    if DeliveryState.HELD in unique:
        return "waiting for you"
    if DeliveryState.SENT in unique:
        return "partly sent"
    return "scheduled"
