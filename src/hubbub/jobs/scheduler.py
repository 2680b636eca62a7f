"""The reconciliation loop: every tick, settle what vanished and enqueue what is due.

Safe to run on several machines at once: enqueueing is a compare-and-set on enqueued_at, and a
duplicate task is harmless because the task itself claims the row by compare-and-set.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hubbub.connections.models import Connection, Health
from hubbub.jobs import periodic
from hubbub.jobs.models import WorkerBeat
from hubbub.publishing import engine
from hubbub.publishing.models import Delivery, DeliveryState
from hubbub.publishing.tasks import deliver

log = logging.getLogger(__name__)
BATCH = 200


def requeue_after() -> timedelta:
    # A task enqueued but never run (its worker died holding it) is enqueued again after this.
    return timedelta(seconds=settings.HUBBUB_REQUEUE_SECONDS)


def release_rate_limits() -> int:
    now = timezone.now()
    return Connection.objects.filter(
        health=Health.RATE_LIMITED, rate_limited_until__lte=now
    ).update(health=Health.OK, rate_limited_until=None, health_detail="")


def due_deliveries() -> list[tuple[int, datetime | None]]:
    now = timezone.now()
    stale = now - requeue_after()
    rows = (
        Delivery.objects.filter(
            state__in=[DeliveryState.SCHEDULED, DeliveryState.UNKNOWN, DeliveryState.DELETING],
            due_at__lte=now,
            connection__disconnected_at__isnull=True,
        )
        .exclude(connection__health=Health.NEEDS_RECONNECT)
        .exclude(connection__health=Health.RATE_LIMITED, connection__rate_limited_until__gt=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("due_at")
        .values_list("pk", "enqueued_at")[:BATCH]
    )
    return list(rows)


def enqueue_due() -> int:
    count = 0
    for pk, previous in due_deliveries():
        now = timezone.now()
        with transaction.atomic():
            won = Delivery.objects.filter(pk=pk, enqueued_at=previous).update(enqueued_at=now)
            if won:
                deliver.enqueue(pk)
                count += 1
    return count


def beat(worker_id: str, started_at: datetime) -> None:
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:200], "pid": os.getpid(),
                  "started_at": started_at, "beat_at": timezone.now()},
    )


def tick() -> dict[str, int]:
    swept = engine.sweep_expired_leases()
    released = release_rate_limits()
    enqueued = enqueue_due()
    periodic.run_due()
    if swept or enqueued:
        log.debug("tick: swept=%s released=%s enqueued=%s", swept, released, enqueued)
    return {"swept": swept, "released": released, "enqueued": enqueued}
