"""Tasks the task engine refused, kept until it takes them.

On the database queue a task row commits with the change that asked for it. On Celery
(HUBBUB_TASKS_BACKEND=celery) the message goes to the broker after the commit, and a broker that
is down refuses it: the change is saved, but the work it asked for would be lost, and the error
would answer the person's request with a 500 after their change was saved.
`enqueue_or_keep` enqueues, or keeps the task here (a KeptTask row, one for a task and its
arguments); the periodic job `retry` (every RETRY_SECONDS, on every worker) enqueues the kept
tasks again once the engine takes them. Only for tasks that may run twice (a kept task whose
first message did go out after all runs again): the rules' recompute.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from hubbub.core.dbclock import db_now
from hubbub.jobs.models import KeptTask

log = logging.getLogger(__name__)
RETRY_SECONDS = 10.0
BATCH = 100


def _key(path: str, args: list[Any]) -> str:
    return hashlib.sha256(json.dumps([path, args], separators=(",", ":")).encode()).hexdigest()


def enqueue_or_keep(task: Task[..., Any], *args: Any) -> bool:
    """Enqueue `task(*args)`; if the engine refuses it, keep it to be enqueued later (False).
    Never raises for the engine: call it from `transaction.on_commit`, after the change."""
    try:
        task.enqueue(*args)
    except Exception as exc:  # any engine's refusal (kombu's OperationalError on Celery)
        log.warning("the task engine refused %s%s (%s): kept, it is enqueued again once the "
                    "engine takes it", task.module_path, args, exc)
        keep(task.module_path, list(args))
        return False
    return True


def keep(path: str, args: list[Any]) -> None:
    now = timezone.now()
    key = _key(path, args)
    if KeptTask.objects.filter(key=key).update(kept_at=now):
        return
    try:
        with transaction.atomic():
            KeptTask.objects.create(key=key, task_path=path, args=args, kept_at=now)
    except IntegrityError:  # kept by another request meanwhile
        KeptTask.objects.filter(key=key).update(kept_at=now)


def _task(path: str) -> Task[..., Any] | None:
    try:
        found = import_string(path)
    except ImportError:
        return None
    return found if isinstance(found, Task) else None


def retry(now: datetime | None = None) -> int:
    """Enqueue the kept tasks again (the periodic job); how many went. A try is claimed by
    compare-and-set on `tried_at`, so several workers do not enqueue one row twice at once.
    While the engine still refuses, the first refusal raises (the periodic job says it once)
    and the rest wait for the next turn."""
    # The database's clock (core/dbclock.py): another worker, whose clock may be off, claims
    # the next try by tried_at.
    now = now or db_now()
    rows = list(KeptTask.objects.filter(
        Q(tried_at__isnull=True) | Q(tried_at__lte=now - timedelta(seconds=RETRY_SECONDS)))
        .order_by("kept_at").values_list("pk", "task_path", "args", "kept_at", "tried_at")
        [:BATCH])
    done = 0
    for pk, path, args, kept_at, tried_at in rows:
        if not KeptTask.objects.filter(pk=pk, tried_at=tried_at).update(tried_at=now):
            continue  # another worker is trying it
        task = _task(path)
        if task is None or not isinstance(args, list):
            log.error("kept task %s%s is no task of this hub: dropped", path, args)
            KeptTask.objects.filter(pk=pk).delete()
            continue
        task.enqueue(*args)
        # Refused again since it was read: that refusal is kept (its kept_at moved on).
        KeptTask.objects.filter(pk=pk, kept_at=kept_at).delete()
        done += 1
    if done:
        log.info("enqueued %s kept task(s) again", done)
    return done
